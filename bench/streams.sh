#!/usr/bin/env bash
# hookd status-stream benchmark: the lag of 1,000 SSE clients under a steady delivery load, and
# the cost of many idle stream connections (RSS per connection, ingest throughput with them).
#
#   bench/streams.sh <build-dir>
#
# <build-dir> holds `hookd`, `bench_stream_client` and `bench_http_client_loop`.
# Environment:
#   BENCH_STREAM_CLIENTS        SSE clients of the lag phase (default 1000)
#   BENCH_STREAM_RATE           messages published per second during it (default 500)
#   BENCH_STREAM_SECONDS        length of the paced load (default 20)
#   BENCH_IDLE_CONNECTIONS      idle stream connections, half SSE, half WebSocket (default 10000)
#   BENCH_IDLE_QUERY            their filter (default types=endpoint.disabled: nothing the run
#                               produces, so they stay idle while events are ingested)
#   BENCH_IDLE_WRK_SECONDS      each ingest run of the idle phase (default 15)
#   BENCH_CONNECTIONS           wrk connections (64), BENCH_WRK_THREADS (2)
#   BENCH_KEEP=1                keep the temporary directory (databases, logs)
#   BENCH_PERF=<file>           record hookd with `perf record -g` during the lag phase's load
#                               (and <file>.idle during the ingest run with idle connections)
#
# Exit status: non-zero when the check fails (an SSE client missed or repeated an entry, was
# dropped, or a published message did not reach the receiver) or a step cannot run. The lag,
# memory and throughput goals are informational.
set -euo pipefail

usage() { echo "usage: $0 <build-dir>" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
BUILD_DIR=$(cd "$1" && pwd) || usage
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

LAG_CLIENTS=${BENCH_STREAM_CLIENTS:-1000}
LAG_RATE=${BENCH_STREAM_RATE:-500}
LAG_SECONDS=${BENCH_STREAM_SECONDS:-20}
IDLE_CONNS=${BENCH_IDLE_CONNECTIONS:-10000}
IDLE_QUERY=${BENCH_IDLE_QUERY:-types=endpoint.disabled}
IDLE_WRK_SECONDS=${BENCH_IDLE_WRK_SECONDS:-15}
WRK_CONNS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
ADMIN_TOKEN=bench-admin-token-0123456789abcdef
SOURCE_SECRET=benchsecret

GOAL_LAG_P99=200     # ms, commit -> SSE client
GOAL_RSS_KIB=16      # KiB of hookd RSS per idle connection
GOAL_INGEST_RATIO=0.9  # ingest events/s with the idle connections / without

for tool in sqlite3 openssl curl awk wrk; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: '$tool' is required but not installed" >&2; exit 2; }
done
NGINX=$(command -v nginx 2>/dev/null || true)
[[ -n $NGINX ]] || { [[ -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx; }
[[ -n $NGINX ]] || { echo "bench: nginx is required (scripts/install-deps.sh bench installs Debian's)" >&2; exit 2; }

HOOKD=$BUILD_DIR/hookd
CLIENT=$BUILD_DIR/bench_stream_client
LOOP=$BUILD_DIR/bench_http_client_loop
for b in "$HOOKD" "$CLIENT" "$LOOP"; do
  [[ -x $b ]] || { echo "bench: $b not found (build hookd and the bench targets first)" >&2; exit 2; }
done

# Every idle connection is a descriptor in hookd and in the client (each process gets this limit).
WANT_FDS=$((IDLE_CONNS + 1024))
if (($(ulimit -n) < WANT_FDS)); then
  HARD=$(ulimit -Hn)
  if [[ $HARD == unlimited ]] || ((HARD >= WANT_FDS)); then
    ulimit -n "$WANT_FDS"
  else
    ulimit -n "$HARD"
    echo "bench: the hard descriptor limit is $HARD, under the $WANT_FDS wanted" >&2
  fi
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hookd-streams-bench.XXXXXX")
NGINX_PID=""
HOOKD_PID=""
CLIENT_PID=""
LOOP_PID=""
WRK_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for p in "$WRK_PID" "$LOOP_PID" "$CLIENT_PID"; do
    [[ -n $p ]] && { kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; }
  done
  [[ -n $HOOKD_PID ]] && { stop_pid "$HOOKD_PID" 20 || true; }
  [[ -n $NGINX_PID ]] && { stop_pid "$NGINX_PID" 5 || true; }
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    echo "bench: kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

calc() { awk "BEGIN { printf \"%.${2:-1}f\", ($1) }"; }
kv() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" "$2" | tail -n 1; }  # kv <key> <file>
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }  # utime + stime, clock ticks
TICKS=$(getconf CLK_TCK)
json_id() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
  else
    sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p'
  fi
}
api_post() {  # api_post <base> <path> <json>: prints the created object's id, fails unless 201
  local out status
  out=$(curl -sS --max-time 5 -X POST "$1$2" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' -d "$3" -w '\n%{http_code}')
  status=${out##*$'\n'}
  out=${out%$'\n'*}
  if [[ $status != 201 ]]; then
    echo "bench: POST $2 answered $status: $out" >&2
    return 1
  fi
  printf '%s' "$out" | json_id
}

start_hookd() {  # start_hookd <name> <data-dir>: sets HOOKD_PID, HOOKD_BASE, STREAM_PORT
  local name=$1 data=$2 port
  port=$(free_port)
  STREAM_PORT=$(free_port)
  HOOKD_BASE=http://127.0.0.1:$port
  mkdir -p "$data"
  HOOKD_ADMIN_TOKEN=$ADMIN_TOKEN HOOKD_STREAM_LISTEN=127.0.0.1:$STREAM_PORT HOOKD_ALLOW_PRIVATE_TARGETS=1 \
    "$HOOKD" serve --listen "127.0.0.1:$port" --data-dir "$data" >>"$WORK/hookd-$name.log" 2>&1 &
  HOOKD_PID=$!
  wait_http "$HOOKD_BASE/readyz" "$HOOKD_PID" 30 || { tail -n 30 "$WORK/hookd-$name.log" >&2; exit 1; }
}

wait_ready() {  # wait_ready <file> <pid> <seconds>: until the client wrote its ready line
  local file=$1 pid=$2 limit=$3 i
  for ((i = 0; i < limit * 10; i++)); do
    [[ -s $file ]] && return 0
    kill -0 "$pid" 2>/dev/null || { echo "bench: the stream client exited before it was ready" >&2; return 1; }
    sleep 0.1
  done
  echo "bench: the stream client was not ready after ${limit}s" >&2
  return 1
}

max_seq() { sqlite3 "$1" 'select coalesce(max(seq), 0) from status_log'; }

echo "hookd streams bench: $LAG_CLIENTS SSE clients at $LAG_RATE messages/s for ${LAG_SECONDS}s;" \
  "$IDLE_CONNS idle connections; $(nproc 2>/dev/null || echo '?') CPUs; ulimit -n $(ulimit -n)"
echo "work dir: $WORK"
LOAD_START=$(load_avg)
echo "load average at start: $LOAD_START (other work on the machine skews the numbers)"

# A ~1 KB push-like JSON body (bench/lib.sh).
BODY_FILE=$WORK/body.json
write_push_body "$BODY_FILE"

# ---------------------------------------------------------------- nginx, the receiver
NGX=$WORK/nginx
mkdir -p "$NGX/tmp"
RECEIVER_PORT=$(free_port)
USER_LINE=""
[[ $(id -u) == 0 ]] && USER_LINE="user $(id -un) $(id -gn);"
sed -e "s|@PREFIX@|$NGX|g" -e "s|@USER@|$USER_LINE|" -e "s|@BASELINE_PORT@|$(free_port)|" \
  -e "s|@THROUGHPUT_PORT@|$(free_port)|" -e "s|@LATENCY_PORT@|$RECEIVER_PORT|" \
  "$BENCH_DIR/nginx.conf.in" >"$NGX/nginx.conf"
"$NGINX" -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" >"$NGX/stdout.log" 2>&1 &
NGINX_PID=$!
wait_http "http://127.0.0.1:$RECEIVER_PORT/" "$NGINX_PID" 10 || { cat "$NGX/stdout.log" "$NGX/error.log" >&2 2>/dev/null; exit 1; }

# ---------------------------------------------------------------- 1. lag under load
echo "--- 1. lag: $LAG_CLIENTS SSE clients (no filter), messages published at ${LAG_RATE}/s to an nginx endpoint"
LAG_DATA=$WORK/lag
start_hookd lag "$LAG_DATA"
LAG_DB=$LAG_DATA/hookd.db
ENDPOINT=$(api_post "$HOOKD_BASE" /api/v1/endpoints "{\"url\":\"http://127.0.0.1:$RECEIVER_PORT/hook\",\"description\":\"bench streams\"}")
MSG_FILE=$WORK/message.json
{ printf '{"event_type":"bench.streams","payload":'; cat "$BODY_FILE"; printf '}'; } >"$MSG_FILE"
SEQ_BEFORE=$(max_seq "$LAG_DB")
# The clients run for the load plus a drain; they are all connected before the load starts.
DRAIN=5
"$CLIENT" --port "$STREAM_PORT" --token "$ADMIN_TOKEN" --sse "$LAG_CLIENTS" \
  --seconds "$((LAG_SECONDS + DRAIN))" --ready-file "$WORK/lag-ready.txt" >"$WORK/lag-client.txt" 2>&1 &
CLIENT_PID=$!
wait_ready "$WORK/lag-ready.txt" "$CLIENT_PID" 60
sed 's/^/    client: /' "$WORK/lag-ready.txt"
LAG_HELD=$(kv held "$WORK/lag-ready.txt")
LAG_LOAD=$(load_avg)
HOOKD_T0=$(cpu_ticks "$HOOKD_PID")
CLIENT_T0=$(cpu_ticks "$CLIENT_PID")
"$LOOP" --url "$HOOKD_BASE/api/v1/messages" --connections 8 --rate "$LAG_RATE" --seconds "$LAG_SECONDS" \
  --body-file "$MSG_FILE" --header "Authorization: Bearer $ADMIN_TOKEN" >"$WORK/lag-publish.txt" &
LOOP_PID=$!
PERF_PID=""
if [[ -n ${BENCH_PERF:-} ]]; then
  perf record -g -o "$BENCH_PERF" -p "$HOOKD_PID" -- sleep "$LAG_SECONDS" >"$WORK/perf-lag.log" 2>&1 &
  PERF_PID=$!
fi
wait "$LOOP_PID"
LOOP_PID=""
[[ -n $PERF_PID ]] && { wait "$PERF_PID" || true; }
HOOKD_T1=$(cpu_ticks "$HOOKD_PID")
CLIENT_T1=$(cpu_ticks "$CLIENT_PID")
LAG_LOAD_END=$(load_avg)
sed 's/^/    publish: /' "$WORK/lag-publish.txt"
wait "$CLIENT_PID" || true
CLIENT_PID=""
sed 's/^/    client: /' "$WORK/lag-client.txt" | grep -v ' ready '
curl -sS --max-time 5 "$HOOKD_BASE/metrics" 2>/dev/null | grep '^hookd_stream_clients_dropped_total' >"$WORK/lag-metrics.txt" || true
stop_pid "$HOOKD_PID" 30 || echo "  WARN: hookd exited with status $? after SIGTERM"
HOOKD_PID=""
SEQ_AFTER=$(max_seq "$LAG_DB")
LAG_PUBLISHED=$(kv ok "$WORK/lag-publish.txt")
LAG_PUB_FAILED=$(($(kv non2xx "$WORK/lag-publish.txt") + $(kv errors "$WORK/lag-publish.txt")))
LAG_DELIVERED=$(awk '$2 ~ /^msg_/ && $3 == 204 && !seen[$2]++ { n++ } END { print n + 0 }' "$NGX/latency.log")
R=$WORK/lag-client.txt
LAG_ENTRIES=$(kv entries "$R")
LAG_EXPECTED=$((LAG_HELD * (SEQ_AFTER - SEQ_BEFORE)))
LAG_SECS=$(calc "($HOOKD_T1 - $HOOKD_T0) / $TICKS / $LAG_SECONDS" 2)
CLIENT_SECS=$(calc "($CLIENT_T1 - $CLIENT_T0) / $TICKS / $LAG_SECONDS" 2)
echo "    log entries during the run: $((SEQ_AFTER - SEQ_BEFORE)) (seq $((SEQ_BEFORE + 1))..$SEQ_AFTER);" \
  "messages published $LAG_PUBLISHED, delivered (204) $LAG_DELIVERED"
echo "    CPU during the load: hookd $LAG_SECS cores, the stream client $CLIENT_SECS cores (of $(nproc))"
sed 's/^/    metrics: /' "$WORK/lag-metrics.txt"
sleep 1

# ---------------------------------------------------------------- 2. idle connections
SSE_IDLE=$((IDLE_CONNS / 2))
WS_IDLE=$((IDLE_CONNS - SSE_IDLE))
echo "--- 2. idle: $SSE_IDLE SSE + $WS_IDLE WebSocket connections ($IDLE_QUERY); ingest with wrk -c$WRK_CONNS, ${IDLE_WRK_SECONDS}s runs"
IDLE_DATA=$WORK/idle
start_hookd idle "$IDLE_DATA"
SOURCE=$(api_post "$HOOKD_BASE" /api/v1/sources "{\"name\":\"bench\",\"provider\":\"github\",\"secret\":\"$SOURCE_SECRET\"}")
BODY_SIG=sha256=$(openssl dgst -sha256 -hmac "$SOURCE_SECRET" <"$BODY_FILE" | awk '{print $NF}')
export BENCH_BODY_FILE=$BODY_FILE BENCH_SIG=$BODY_SIG BENCH_PATH=/ingest/$SOURCE BENCH_KEEPALIVE=1
RUN_ID=$$-$(date +%s)

run_wrk() {  # run_wrk <label> <name> <seconds>: prints the events/s (2xx / duration), the p99,
  # the requests, the non-2xx and hookd's CPU µs per 2xx event (less swayed by other work on the
  # machine than events/s)
  local label=$1 name=$2 secs=$3 out=$WORK/wrk-$2.txt rc=0 t0 t1
  t0=$(cpu_ticks "$HOOKD_PID")
  BENCH_NONCE=$name-$RUN_ID wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${secs}s" --latency \
    -s "$BENCH_DIR/github.lua" "$HOOKD_BASE/ingest/$SOURCE" >"$out" 2>&1 &
  WRK_PID=$!
  wait "$WRK_PID" || rc=$?
  WRK_PID=""
  t1=$(cpu_ticks "$HOOKD_PID")
  ((rc == 0)) || { cat "$out" >&2; echo "bench: wrk failed ($label)" >&2; return 1; }
  awk -v label="$label" -v cpu="$(((t1 - t0) * 1000000 / TICKS))" '
    / requests in / { total = $1; d = $4; sub(/,$/, "", d); secs = d; sub(/s$/, "", secs) }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    /^[ \t]+99%/ { p99 = $2 }
    END { printf "%.0f %s %d %d %.0f\n", (total - bad) / secs, p99, total, bad, (total > bad ? cpu / (total - bad) : 0) }' "$out"
}

run_wrk warm-up warm 2 >/dev/null
sleep 1
read -r EPS_BEFORE P99_BEFORE _ BAD_BEFORE US_BEFORE < <(run_wrk "without" before "$IDLE_WRK_SECONDS")
echo "    ingest without stream connections:     $EPS_BEFORE events/s (p99 $P99_BEFORE; hookd $US_BEFORE µs CPU/event)"
sleep 1
RSS_BEFORE=$(rss_kib "$HOOKD_PID")
IDLE_LOAD=$(load_avg)
"$CLIENT" --port "$STREAM_PORT" --token "$ADMIN_TOKEN" --sse "$SSE_IDLE" --ws "$WS_IDLE" \
  --query "$IDLE_QUERY" --ready-file "$WORK/idle-ready.txt" >"$WORK/idle-client.txt" 2>&1 &
CLIENT_PID=$!
wait_ready "$WORK/idle-ready.txt" "$CLIENT_PID" 120
sed 's/^/    client: /' "$WORK/idle-ready.txt"
IDLE_HELD=$(kv held "$WORK/idle-ready.txt")
IDLE_REFUSED=$(kv refused "$WORK/idle-ready.txt")
sleep 2
RSS_WITH=$(rss_kib "$HOOKD_PID")
curl -sS --max-time 5 "$HOOKD_BASE/metrics" 2>/dev/null | grep '^hookd_stream_clients{' >"$WORK/idle-metrics.txt" || true
sed 's/^/    metrics: /' "$WORK/idle-metrics.txt"
PERF_PID=""
if [[ -n ${BENCH_PERF:-} ]]; then
  perf record -g -o "$BENCH_PERF.idle" -p "$HOOKD_PID" -- sleep "$IDLE_WRK_SECONDS" >"$WORK/perf-idle.log" 2>&1 &
  PERF_PID=$!
fi
read -r EPS_WITH P99_WITH _ BAD_WITH US_WITH < <(run_wrk "with" with "$IDLE_WRK_SECONDS")
[[ -n $PERF_PID ]] && { wait "$PERF_PID" || true; }
RSS_AFTER_WRK=$(rss_kib "$HOOKD_PID")
echo "    ingest with $IDLE_HELD stream connections: $EPS_WITH events/s (p99 $P99_WITH; hookd $US_WITH µs CPU/event)"
kill -TERM "$CLIENT_PID" 2>/dev/null || true
wait "$CLIENT_PID" || true
CLIENT_PID=""
IDLE_CLOSED=$(kv closed "$WORK/idle-client.txt")
sleep 2
read -r EPS_AFTER P99_AFTER _ BAD_AFTER US_AFTER < <(run_wrk "without, after" after "$IDLE_WRK_SECONDS")
echo "    ingest without them again:             $EPS_AFTER events/s (p99 $P99_AFTER; hookd $US_AFTER µs CPU/event)"
stop_pid "$HOOKD_PID" 30 || echo "  WARN: hookd exited with status $? after SIGTERM"
HOOKD_PID=""
LOAD_END=$(load_avg)

# ---------------------------------------------------------------- 3. summary
goal_line() {  # goal_line <label> <value> <op> <goal> <unit>
  local verdict
  verdict=$(awk "BEGIN { print (($2 $3 $4) ? \"GOAL MET\" : \"GOAL MISSED\") }")
  printf '  %-46s %10s   goal %s %-8s %s\n' "$1" "$2$5" "$3" "$4$5" "$verdict"
}
EPS_WITHOUT=$(calc "($EPS_BEFORE + $EPS_AFTER) / 2" 0)
INGEST_RATIO=$(calc "$EPS_WITHOUT > 0 ? $EPS_WITH / $EPS_WITHOUT : 0" 3)
RSS_PER=$(calc "$IDLE_HELD > 0 ? ($RSS_WITH - $RSS_BEFORE) / $IDLE_HELD : 0" 2)

echo
echo "============================== hookd streams bench summary =============================="
echo "  load average: start $LOAD_START, lag phase $LAG_LOAD -> $LAG_LOAD_END, idle phase $IDLE_LOAD, end $LOAD_END"
echo "  1. $LAG_HELD of $LAG_CLIENTS SSE clients connected; $LAG_PUBLISHED messages at ${LAG_RATE}/s ->" \
  "$((SEQ_AFTER - SEQ_BEFORE)) entries; CPU: hookd $LAG_SECS, client $CLIENT_SECS cores"
echo "     entry commit (\"at\", ms) -> client read: $(kv lag_n "$R") samples, p50 $(kv lag_p50_ms "$R") ms," \
  "p99 $(kv lag_p99_ms "$R") ms, max $(kv lag_max_ms "$R") ms (\"at\" is truncated to the ms: +0..1 ms)"
echo "     entries read $LAG_ENTRIES of $LAG_EXPECTED expected; gaps $(kv gaps "$R") (missing $(kv missing "$R"));" \
  "dropped $(kv dropped "$R"); closed by hookd $(kv closed "$R"); behind at the end $(kv behind "$R")"
echo "  2. idle: $IDLE_HELD of $IDLE_CONNS connections held ($IDLE_REFUSED refused with 503);" \
  "hookd RSS $RSS_BEFORE KiB -> $RSS_WITH KiB with them ($RSS_AFTER_WRK KiB after the ingest run)"
echo "     ingest events/s: without $EPS_BEFORE, with $EPS_WITH, without again $EPS_AFTER; closed by hookd $IDLE_CLOSED"
echo "     hookd CPU µs per ingested event: without $US_BEFORE, with $US_WITH, without again $US_AFTER"
echo
goal_line "lag p99 (1. $LAG_HELD SSE clients)" "$(kv lag_p99_ms "$R")" "<=" "$GOAL_LAG_P99" " ms"
goal_line "RSS per idle connection" "$RSS_PER" "<=" "$GOAL_RSS_KIB" " KiB"
goal_line "ingest with / without idle connections" "$INGEST_RATIO" ">=" "$GOAL_INGEST_RATIO" ""
if ((IDLE_HELD < IDLE_CONNS)); then
  echo "  NOTE: only $IDLE_HELD of $IDLE_CONNS idle connections were accepted: the stream listener's cap"
  echo "        (HOOKD_STREAM_MAX_CONNECTIONS, or the descriptor limit) refuses the rest with 503;"
  echo "        the per-connection and throughput figures are for the connections held."
fi

FAIL=()
((LAG_HELD == LAG_CLIENTS)) || FAIL+=("only $LAG_HELD of $LAG_CLIENTS SSE clients were accepted")
(($(kv gaps "$R") == 0 && $(kv dropped "$R") == 0 && $(kv closed "$R") == 0)) ||
  FAIL+=("SSE clients saw gaps, drops or closes")
((LAG_ENTRIES == LAG_EXPECTED)) || FAIL+=("SSE clients read $LAG_ENTRIES entries, $LAG_EXPECTED expected")
((LAG_PUB_FAILED == 0 && LAG_DELIVERED == LAG_PUBLISHED)) ||
  FAIL+=("$LAG_DELIVERED of $LAG_PUBLISHED messages delivered ($LAG_PUB_FAILED publish failures)")
((BAD_BEFORE + BAD_WITH + BAD_AFTER == 0)) || FAIL+=("hookd answered non-2xx to ingest requests")
if ((${#FAIL[@]} == 0)); then
  echo "  check (every entry reached every SSE client once and in order, every message delivered): PASS"
  echo "========================================================================================="
else
  for f in "${FAIL[@]}"; do echo "  check: FAIL: $f"; done
  echo "========================================================================================="
  exit 1
fi
