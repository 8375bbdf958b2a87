#!/usr/bin/env bash
# hookd delivery benchmark: outbound deliveries/s and ingest-to-receiver latency, against
# Debian's nginx as the receiver, in one run.
#
#   bench/delivery.sh <build-dir>
#
# <build-dir> holds `hookd` and `bench_http_client_loop` (or bench/bench_http_client_loop).
# Environment:
#   BENCH_DELIVERY_CONNECTIONS  baseline client connections (default 8 = hookd's per-endpoint
#                               concurrency); also the connections of the loaders
#   BENCH_BASELINE_SECONDS      baseline client run (default 10)
#   BENCH_MESSAGES              messages published for the throughput phase (default 60000)
#   BENCH_LATENCY_RATE          ingest events/s of the latency phase (default 1000)
#   BENCH_LATENCY_SECONDS       length of the latency phase (default 10)
#   BENCH_LATENCY_WARMUP_SECONDS  unmeasured paced warm-up before it (default 1, 0 = none)
#   BENCH_DRAIN_TIMEOUT         longest wait for the receiver to see every message (default 120)
#   BENCH_KEEP=1                keep the temporary directory (databases, logs, nginx logs)
#
# Exit status: non-zero when the correctness check fails (a published message or an
# acknowledged event never reached the receiver, or hookd refused requests) or when a step
# cannot run. The throughput and latency goals are informational only.
set -euo pipefail

usage() { echo "usage: $0 <build-dir>" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
BUILD_DIR=$(cd "$1" && pwd) || usage
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

CONNS=${BENCH_DELIVERY_CONNECTIONS:-8}
BASELINE_SECONDS=${BENCH_BASELINE_SECONDS:-10}
MESSAGES=${BENCH_MESSAGES:-60000}
LAT_RATE=${BENCH_LATENCY_RATE:-1000}
LAT_SECONDS=${BENCH_LATENCY_SECONDS:-10}
LAT_WARMUP=${BENCH_LATENCY_WARMUP_SECONDS:-1}
DRAIN_TIMEOUT=${BENCH_DRAIN_TIMEOUT:-120}
ADMIN_TOKEN=bench-admin-token-0123456789abcdef
SOURCE_SECRET=benchsecret

GOAL_RATIO=0.5  # hookd deliveries/s / bare client requests/s
GOAL_P50=5      # ms, ingest request sent -> receiver logged the delivery
GOAL_P99=50

for tool in sqlite3 openssl curl awk sort comm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: '$tool' is required but not installed" >&2; exit 2; }
done
NGINX=$(command -v nginx 2>/dev/null || true)
[[ -n $NGINX ]] || { [[ -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx; }
[[ -n $NGINX ]] || { echo "bench: nginx is required (scripts/install-deps.sh bench installs Debian's)" >&2; exit 2; }
[[ -n ${EPOCHREALTIME:-} ]] || { echo "bench: needs bash >= 5 (EPOCHREALTIME)" >&2; exit 2; }

HOOKD=$BUILD_DIR/hookd
LOOP=$BUILD_DIR/bench_http_client_loop
[[ -x $LOOP ]] || LOOP=$BUILD_DIR/bench/bench_http_client_loop
[[ -x $HOOKD ]] || { echo "bench: $HOOKD not found (build hookd first)" >&2; exit 2; }
[[ -x $LOOP ]] || { echo "bench: bench_http_client_loop not found in $BUILD_DIR (build with HOOKD_BUILD_BENCH=ON)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hookd-delivery-bench.XXXXXX")
NGINX_PID=""
HOOKD_PID=""
LOOP_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n $LOOP_PID ]] && { kill -TERM "$LOOP_PID" 2>/dev/null || true; wait "$LOOP_PID" 2>/dev/null || true; }
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
now_ms() { local t=${EPOCHREALTIME/,/.}; calc "$t * 1000" 3; }
kv() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" "$2"; }  # kv <key> <file>: a key=value of the loop's output
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

start_hookd() {  # start_hookd <name> <data-dir> <args...>: sets HOOKD_PID, HOOKD_BASE
  local name=$1 data=$2; shift 2
  local port stream_port
  port=$(free_port)
  stream_port=$(free_port)
  HOOKD_BASE=http://127.0.0.1:$port
  mkdir -p "$data"
  HOOKD_ADMIN_TOKEN=$ADMIN_TOKEN HOOKD_STREAM_LISTEN=127.0.0.1:$stream_port HOOKD_ALLOW_PRIVATE_TARGETS=1 \
    "$HOOKD" serve --listen "127.0.0.1:$port" --data-dir "$data" "$@" >>"$WORK/hookd-$name.log" 2>&1 &
  HOOKD_PID=$!
}

stop_hookd() {  # stop_hookd <name>: SIGTERM; warns unless it exits 0
  local rc=0
  stop_pid "$HOOKD_PID" 30 || rc=$?
  HOOKD_PID=""
  if ((rc != 0)); then
    echo "  WARN: hookd ($1) exited with status $rc after SIGTERM (expected 0)"
    WARNINGS+=("hookd ($1) exited with status $rc after SIGTERM")
  fi
}

distinct_ids() {  # distinct_ids <nginx log>: how many distinct msg_ webhook-ids it holds
  awk '$2 ~ /^msg_/ && !seen[$2]++ { n++ } END { print n + 0 }' "$1"
}

# wait_receiver <nginx log> <count> <pid>: polls every 50 ms until the log holds <count>
# distinct webhook-ids; 1 on timeout or when the hookd process exits.
wait_receiver() {
  local log=$1 want=$2 pid=$3 start lines have
  start=$SECONDS
  while :; do
    lines=$(wc -l <"$log")
    if ((lines >= want)); then
      have=$(distinct_ids "$log")
      ((have >= want)) && return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "bench: hookd exited while the receiver waited" >&2; return 1; }
    if ((SECONDS - start >= DRAIN_TIMEOUT)); then
      echo "bench: after ${DRAIN_TIMEOUT}s the receiver holds $(distinct_ids "$log") of $want webhook-ids" >&2
      return 1
    fi
    sleep 0.05
  done
}

WARNINGS=()
RUN_ID=$$-$(date +%s)
echo "hookd delivery bench: $CONNS connections, $MESSAGES messages, ${LAT_RATE}/s for ${LAT_SECONDS}s, $(nproc 2>/dev/null || echo '?') CPUs"
echo "work dir: $WORK"
LOAD_START=$(load_avg)
echo "load average at start: $LOAD_START (other work on the machine skews the numbers)"

# A ~1 KB push-like JSON body (bench/lib.sh).
BODY_FILE=$WORK/body.json
write_push_body "$BODY_FILE"

# ---------------------------------------------------------------- nginx, the receiver
NGX=$WORK/nginx
mkdir -p "$NGX/tmp"
BASELINE_PORT=$(free_port)
THROUGHPUT_PORT=$(free_port)
LATENCY_PORT=$(free_port)
USER_LINE=""
# A master started as root would run its worker as nobody; keep the current user instead.
[[ $(id -u) == 0 ]] && USER_LINE="user $(id -un) $(id -gn);"
sed -e "s|@PREFIX@|$NGX|g" -e "s|@USER@|$USER_LINE|" -e "s|@BASELINE_PORT@|$BASELINE_PORT|" \
  -e "s|@THROUGHPUT_PORT@|$THROUGHPUT_PORT|" -e "s|@LATENCY_PORT@|$LATENCY_PORT|" \
  "$BENCH_DIR/nginx.conf.in" >"$NGX/nginx.conf"
# -e: the error log from the start (else nginx first tries /var/log/nginx/error.log).
"$NGINX" -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" >"$NGX/stdout.log" 2>&1 &
NGINX_PID=$!
wait_http "http://127.0.0.1:$BASELINE_PORT/" "$NGINX_PID" 10 || { cat "$NGX/stdout.log" "$NGX/error.log" >&2 2>/dev/null; exit 1; }
echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') on :$BASELINE_PORT (baseline), :$THROUGHPUT_PORT (throughput), :$LATENCY_PORT (latency); 1 worker, return 204"

# ---------------------------------------------------------------- 1. baseline
echo "--- 1. baseline: bench_http_client_loop, $CONNS keep-alive connections, ~1 KB POST, ${BASELINE_SECONDS}s"
"$LOOP" --url "http://127.0.0.1:$BASELINE_PORT/hook" --connections "$CONNS" --seconds "$BASELINE_SECONDS" \
  --body-file "$BODY_FILE" >"$WORK/baseline.txt" &
LOOP_PID=$!
wait "$LOOP_PID"
LOOP_PID=""
sed 's/^/    /' "$WORK/baseline.txt"
BASE_RPS=$(kv rps "$WORK/baseline.txt")
BASE_FAILED=$(($(kv non2xx "$WORK/baseline.txt") + $(kv errors "$WORK/baseline.txt")))
sleep 1

# ---------------------------------------------------------------- 2. sustained deliveries/s
echo "--- 2. throughput: publish $MESSAGES messages (hookd --roles ingest,api), then deliver them (--roles deliver)"
TP_DATA=$WORK/throughput
start_hookd throughput-api "$TP_DATA" --roles ingest,api
wait_http "$HOOKD_BASE/readyz" "$HOOKD_PID" 30 || { tail -n 30 "$WORK/hookd-throughput-api.log" >&2; exit 1; }
TP_ENDPOINT=$(api_post "$HOOKD_BASE" /api/v1/endpoints "{\"url\":\"http://127.0.0.1:$THROUGHPUT_PORT/hook\",\"description\":\"bench throughput\"}")
MSG_FILE=$WORK/message.json
{ printf '{"event_type":"bench.delivery","payload":'; cat "$BODY_FILE"; printf '}'; } >"$MSG_FILE"
"$LOOP" --url "$HOOKD_BASE/api/v1/messages" --connections "$CONNS" --count "$MESSAGES" \
  --body-file "$MSG_FILE" --header "Authorization: Bearer $ADMIN_TOKEN" >"$WORK/publish.txt" &
LOOP_PID=$!
wait "$LOOP_PID"
LOOP_PID=""
sed 's/^/    publish: /' "$WORK/publish.txt"
PUB_OK=$(kv ok "$WORK/publish.txt")
PUB_FAILED=$(($(kv non2xx "$WORK/publish.txt") + $(kv errors "$WORK/publish.txt")))
PUB_RPS=$(kv ok_rps "$WORK/publish.txt")
stop_hookd throughput-api
TP_DB=$TP_DATA/hookd.db
TP_STORED=$(sqlite3 "$TP_DB" 'select count(*) from messages')
TP_PENDING=$(sqlite3 "$TP_DB" "select count(*) from deliveries where status = 'pending'")
echo "    endpoint $TP_ENDPOINT; 202 answers: $PUB_OK; messages stored: $TP_STORED; pending deliveries: $TP_PENDING"

TP_LOG=$NGX/throughput.log
TP_START_MS=$(now_ms)
start_hookd throughput-deliver "$TP_DATA" --roles deliver
TP_DRAINED=1
wait_receiver "$TP_LOG" "$TP_STORED" "$HOOKD_PID" || TP_DRAINED=0
TP_POLL_END_MS=$(now_ms)
# hookd's CPU (user + system) over its whole run, start-up and the drain.
TP_CPU_S=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$HOOKD_PID/stat" 2>/dev/null || echo 0)
curl -sS --max-time 5 "$HOOKD_BASE/metrics" 2>/dev/null | grep '^hookd_delivery_attempts_total' >"$WORK/throughput-metrics.txt" || true
stop_hookd throughput-deliver
# First receipt of each webhook-id: the last of those is when the receiver held every message.
read -r TP_FIRST_MS TP_LAST_MS TP_LINES TP_DISTINCT TP_NON204 < <(awk '
  $2 ~ /^msg_/ { lines++; if ($3 != 204) bad++; if (!seen[$2]++) { t = $1 * 1000; n++; if (!min || t < min) min = t; if (t > max) max = t } }
  END { printf "%.3f %.3f %d %d %d\n", min, max, lines, n, bad }' "$TP_LOG")
sqlite3 "$TP_DB" 'select id from messages' | sort -u >"$WORK/tp-published.txt"
awk '$2 ~ /^msg_/ { print $2 }' "$TP_LOG" | sort -u >"$WORK/tp-received.txt"
TP_MISSING=$(comm -23 "$WORK/tp-published.txt" "$WORK/tp-received.txt" | wc -l)
TP_UNKNOWN=$(comm -13 "$WORK/tp-published.txt" "$WORK/tp-received.txt" | wc -l)
TP_STATUS=$(sqlite3 "$TP_DB" "select status || '=' || count(*) from deliveries group by status" | paste -sd' ' -)
TP_ATTEMPTS=$(sqlite3 "$TP_DB" 'select count(*) from attempts')
TP_ELAPSED_S=$(calc "($TP_LAST_MS - $TP_START_MS) / 1000" 3)
TP_WINDOW_S=$(calc "($TP_LAST_MS - $TP_FIRST_MS) / 1000" 3)
TP_RATE=$(calc "$TP_ELAPSED_S > 0 ? $TP_DISTINCT / $TP_ELAPSED_S : 0")
TP_WINDOW_RATE=$(calc "$TP_WINDOW_S > 0 ? ($TP_DISTINCT - 1) / $TP_WINDOW_S : 0")
echo "    receiver: $TP_LINES requests, $TP_DISTINCT distinct webhook-ids, non-204 $TP_NON204"
echo "    hookd --roles deliver start -> last first-receipt: ${TP_ELAPSED_S}s ($TP_RATE deliveries/s);" \
  "first -> last receipt: ${TP_WINDOW_S}s ($TP_WINDOW_RATE/s); poll saw it done after $(calc "($TP_POLL_END_MS - $TP_START_MS) / 1000" 3)s"
echo "    deliveries in the database: $TP_STATUS; attempts recorded: $TP_ATTEMPTS"
echo "    hookd CPU (user + system): ${TP_CPU_S}s, $(calc "$TP_DISTINCT > 0 ? $TP_CPU_S * 1000000 / $TP_DISTINCT : 0") us per delivery"
sed 's/^/    metrics: /' "$WORK/throughput-metrics.txt"
sleep 1

# ---------------------------------------------------------------- 3. latency at a fixed rate
echo "--- 3. latency: GitHub-signed ingest at ${LAT_RATE}/s for ${LAT_SECONDS}s (hookd, every role), receiver time - send time"
LAT_DATA=$WORK/latency
start_hookd latency "$LAT_DATA"
wait_http "$HOOKD_BASE/readyz" "$HOOKD_PID" 30 || { tail -n 30 "$WORK/hookd-latency.log" >&2; exit 1; }
LAT_SOURCE=$(api_post "$HOOKD_BASE" /api/v1/sources "{\"name\":\"bench\",\"provider\":\"github\",\"secret\":\"$SOURCE_SECRET\"}")
LAT_ENDPOINT=$(api_post "$HOOKD_BASE" /api/v1/endpoints \
  "{\"url\":\"http://127.0.0.1:$LATENCY_PORT/hook\",\"description\":\"bench latency\",\"source_ids\":[\"$LAT_SOURCE\"]}")
BODY_SIG=sha256=$(openssl dgst -sha256 -hmac "$SOURCE_SECRET" <"$BODY_FILE" | awk '{print $NF}')
echo "    source $LAT_SOURCE, endpoint $LAT_ENDPOINT (source_ids [$LAT_SOURCE])"
paced() {  # paced <seconds> <id prefix> <output> [--record FILE]
  local secs=$1 prefix=$2 out=$3; shift 3
  "$LOOP" --url "$HOOKD_BASE/ingest/$LAT_SOURCE" --connections "$CONNS" --rate "$LAT_RATE" --seconds "$secs" \
    --body-file "$BODY_FILE" --header 'X-GitHub-Event: push' --header "X-Hub-Signature-256: $BODY_SIG" \
    --id-header X-GitHub-Delivery --id-prefix "$prefix" "$@" >"$out" &
  LOOP_PID=$!
  wait "$LOOP_PID"
  LOOP_PID=""
}
WARM_OK=0
WARM_FAILED=0
if [[ $LAT_WARMUP != 0 ]]; then
  paced "$LAT_WARMUP" "warm-$RUN_ID-" "$WORK/latency-warmup.txt"
  sed 's/^/    warm-up (not measured): /' "$WORK/latency-warmup.txt"
  WARM_OK=$(kv ok "$WORK/latency-warmup.txt")
  WARM_FAILED=$(($(kv non2xx "$WORK/latency-warmup.txt") + $(kv errors "$WORK/latency-warmup.txt")))
fi
paced "$LAT_SECONDS" "lat-$RUN_ID-" "$WORK/latency-send.txt" --record "$WORK/latency-sends.txt"
sed 's/^/    paced: /' "$WORK/latency-send.txt"
LAT_OK=$(kv ok "$WORK/latency-send.txt")
LAT_FAILED=$(($(kv non2xx "$WORK/latency-send.txt") + $(kv errors "$WORK/latency-send.txt")))
LAT_RPS=$(kv ok_rps "$WORK/latency-send.txt")
LAT_LATE=$(kv max_late_ms "$WORK/latency-send.txt")
LAT_LOG=$NGX/latency.log
LAT_DRAINED=1
wait_receiver "$LAT_LOG" "$((LAT_OK + WARM_OK))" "$HOOKD_PID" || LAT_DRAINED=0
stop_hookd latency
LAT_DB=$LAT_DATA/hookd.db
sqlite3 -separator ' ' "$LAT_DB" \
  'select e.provider_event_id, m.id from messages m join events e on e.id = m.event_id' >"$WORK/latency-map.txt"
# sends: "<delivery id> <send ms> <status> <answer ms>"; map: "<delivery id> <msg id>"; log: "<msec> <msg id> <status>".
# nginx's $msec is truncated to the millisecond (and is the time its event loop last woke), so
# a receipt is taken at the middle of its millisecond (+0.5 ms): latencies are good to about
# +-0.5 ms, and one under 1 ms means "within the receiver clock's resolution".
awk -v out="$WORK/latency-ms.txt" '
  FILENAME == ARGV[1] { if ($3 >= 200 && $3 < 300) { sent[$1] = $2; acked++ } next }
  FILENAME == ARGV[2] { msg[$1] = $2; next }
  $2 ~ /^msg_/ { t = $1 * 1000 + 0.5; if (!($2 in recv) || t < recv[$2]) recv[$2] = t }
  END {
    for (d in sent) {
      if (!(d in msg)) { nomsg++; continue }
      if (!(msg[d] in recv)) { missing++; continue }
      printf "%.3f\n", recv[msg[d]] - sent[d] > out
    }
    printf "%d %d %d\n", acked, nomsg, missing
  }' "$WORK/latency-sends.txt" "$WORK/latency-map.txt" "$LAT_LOG" >"$WORK/latency-join.txt"
read -r LAT_ACKED LAT_NOMSG LAT_MISSING <"$WORK/latency-join.txt"
sort -n "$WORK/latency-ms.txt" -o "$WORK/latency-ms.txt"
read -r LAT_N LAT_P50 LAT_P99 LAT_MAX LAT_MEAN < <(awk '
  { v[NR] = $1; sum += $1 }
  function rank(p) { i = int(p * NR + 0.999999); if (i < 1) i = 1; return v[i] }
  END { if (NR == 0) { print "0 0 0 0 0"; exit } printf "%d %.3f %.3f %.3f %.3f\n", NR, rank(0.5), rank(0.99), v[NR], sum / NR }' \
  "$WORK/latency-ms.txt")
# The ingest answer times (the 4th column of the sends): where the paced sender fell behind.
read -r ING_P50 ING_P99 ING_MAX < <(awk '{ print $4 }' "$WORK/latency-sends.txt" | sort -n | awk '
  { v[NR] = $1 }
  function rank(p) { i = int(p * NR + 0.999999); if (i < 1) i = 1; return v[i] }
  END { if (NR == 0) { print "0 0 0"; exit } printf "%.3f %.3f %.3f\n", rank(0.5), rank(0.99), v[NR] }')
# Every event acknowledged (warm-up too) must have reached the receiver.
sqlite3 "$LAT_DB" 'select id from messages' | sort -u >"$WORK/lat-published.txt"
awk '$2 ~ /^msg_/ { print $2 }' "$LAT_LOG" | sort -u >"$WORK/lat-received.txt"
LAT_EVENTS=$(sqlite3 "$LAT_DB" 'select count(*) from events')
LAT_MSGS=$(wc -l <"$WORK/lat-published.txt")
LAT_ALL_MISSING=$(comm -23 "$WORK/lat-published.txt" "$WORK/lat-received.txt" | wc -l)
LAT_NON204=$(awk '$2 ~ /^msg_/ && $3 != 204 { n++ } END { print n + 0 }' "$LAT_LOG")
echo "    events stored: $LAT_EVENTS; messages: $LAT_MSGS; at the receiver: $(wc -l <"$WORK/lat-received.txt") (non-204 $LAT_NON204)"

# ---------------------------------------------------------------- 4. summary
goal_line() {  # goal_line <label> <value> <op> <goal> <unit>
  local verdict
  verdict=$(awk "BEGIN { print (($2 $3 $4) ? \"GOAL MET\" : \"GOAL MISSED\") }")
  printf '  %-44s %10s   goal %s %-6s %s\n' "$1" "$2$5" "$3" "$4$5" "$verdict"
}
# Sustained: from the first receipt to the last, once hookd is up; the start-inclusive figure
# (process start, opening the database) is printed beside it.
RATIO=$(calc "$BASE_RPS > 0 ? $TP_WINDOW_RATE / $BASE_RPS : 0" 3)
START_RATIO=$(calc "$BASE_RPS > 0 ? $TP_RATE / $BASE_RPS : 0" 3)

echo
echo "============================ hookd delivery bench summary ============================"
printf '  %-44s %12.0f\n' "bare cpp-httplib client -> nginx ($CONNS conn, req/s)" "$BASE_RPS"
printf '  %-44s %12.0f   (first to last receipt, %ss)\n' "hookd --roles deliver -> nginx (deliveries/s)" "$TP_WINDOW_RATE" "$TP_WINDOW_S"
printf '  %-44s %12.0f   (%s messages in %ss)\n' "  counting from the process start" "$TP_RATE" "$TP_DISTINCT" "$TP_ELAPSED_S"
printf '  %-44s %12.0f\n' "publishing: POST /api/v1/messages (msgs/s)" "$PUB_RPS"
printf '  %-44s %12.0f   (target %s/s, max %s ms behind schedule)\n' "paced GitHub ingest (events/s)" "$LAT_RPS" "$LAT_RATE" "$LAT_LATE"
printf '  %-44s %s samples: p50 %s ms, p99 %s ms, max %s ms, mean %s ms\n' "ingest sent -> nginx \$msec" "$LAT_N" "$LAT_P50" "$LAT_P99" "$LAT_MAX" "$LAT_MEAN"
printf '  %-44s p50 %s ms, p99 %s ms, max %s ms\n' "  ingest answer time (202 received)" "$ING_P50" "$ING_P99" "$ING_MAX"
echo "  nginx \$msec has millisecond resolution (receipts taken at +0.5 ms: latencies are +-0.5 ms);"
echo "  the sender runs on the same CPUs as hookd and nginx."
echo "  load average before the runs: $LOAD_START"
echo
goal_line "sustained deliveries/s / bare client req/s" "$RATIO" ">=" "$GOAL_RATIO" ""
printf '  %-44s %10s   (informational: counting the process start)\n' "  from the start / bare client req/s" "$START_RATIO"
goal_line "latency p50 at ${LAT_RATE}/s" "$LAT_P50" "<=" "$GOAL_P50" " ms"
goal_line "latency p99 at ${LAT_RATE}/s" "$LAT_P99" "<=" "$GOAL_P99" " ms"
echo
echo "  throughput: published $PUB_OK (failed $PUB_FAILED), stored $TP_STORED, received $TP_DISTINCT distinct" \
  "($((TP_LINES - TP_DISTINCT)) repeated), missing $TP_MISSING, unknown $TP_UNKNOWN; deliveries: $TP_STATUS"
echo "  latency: acknowledged $((LAT_OK + WARM_OK)) (failed $((LAT_FAILED + WARM_FAILED))), events $LAT_EVENTS," \
  "messages $LAT_MSGS, missing at the receiver $LAT_ALL_MISSING (measured: $LAT_N of $LAT_ACKED timed," \
  "$LAT_MISSING missing, $LAT_NOMSG without a message)"
for w in ${WARNINGS[@]+"${WARNINGS[@]}"}; do echo "  WARN: $w"; done

FAIL=()
((BASE_FAILED == 0)) || FAIL+=("the baseline client saw $BASE_FAILED failed requests")
((PUB_FAILED == 0 && PUB_OK == MESSAGES)) || FAIL+=("hookd accepted $PUB_OK of $MESSAGES messages ($PUB_FAILED failed)")
((TP_STORED == PUB_OK)) || FAIL+=("$TP_STORED messages stored but $PUB_OK acknowledged")
((TP_MISSING == 0 && TP_DRAINED == 1)) || FAIL+=("$TP_MISSING published messages never reached the receiver")
((TP_NON204 == 0 && LAT_NON204 == 0)) || FAIL+=("the receiver logged non-204 statuses")
((LAT_FAILED + WARM_FAILED == 0)) || FAIL+=("hookd refused $((LAT_FAILED + WARM_FAILED)) ingest requests")
((LAT_NOMSG == 0)) || FAIL+=("$LAT_NOMSG acknowledged events have no message")
((LAT_ALL_MISSING == 0 && LAT_MISSING == 0 && LAT_DRAINED == 1)) || FAIL+=("$LAT_ALL_MISSING messages of ingested events never reached the receiver")
if ((${#FAIL[@]} == 0)); then
  echo "  check (every published message and ingested event counted at the receiver): PASS"
  echo "======================================================================================"
else
  for f in "${FAIL[@]}"; do echo "  check: FAIL: $f"; done
  echo "======================================================================================"
  exit 1
fi
