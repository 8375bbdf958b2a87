#!/usr/bin/env bash
# hookd's CPU per unit of work, beside the reference programs' CPU per request in the same run:
# an ingested event, a message published and delivered to one endpoint, a delivery of a message
# fanned out to many endpoints. SQLite with hookd's default synchronous (FULL); Debian's nginx
# answering `return 204` is the receiver; wrk is the loader.
#
#   bench/cpu.sh <build-dir>
#
# CPU time is utime + stime of a process (/proc/<pid>/stat, every thread), the difference over
# the measured window, read after the window's work is done. It moves far less with a noisy
# neighbour than a rate does, so two builds can be compared by running this script alternately
# with each build dir. The last line printed is machine-readable:
#   cpu_us ingest=<us> publish_deliver=<us> fanout=<us>
#
# <build-dir> holds `hookd`. Environment (defaults in brackets):
#   BENCH_CPU_PHASES              which phases to run, in order ["ingest publish fanout"]
#   BENCH_CPU_SECONDS             wrk's measured run in the ingest and publish phases [10]
#   BENCH_CPU_WARMUP_SECONDS      unmeasured wrk run before each of them (0 = none) [2]
#   BENCH_CPU_INGEST_CONNECTIONS  wrk connections, ingest [64]
#   BENCH_CPU_INGEST_THREADS      wrk threads, ingest [2]
#   BENCH_CPU_PUBLISH_CONNECTIONS wrk connections, publish [32]
#   BENCH_CPU_PUBLISH_THREADS     wrk threads, publish [1]
#   BENCH_CPU_FANOUT_ENDPOINTS    endpoints subscribed to the fanned-out event type [1000]
#   BENCH_CPU_FANOUT_MESSAGES     messages published to them in the window [40]
#   BENCH_CPU_FANOUT_WARMUP       messages published and drained before the window [1]
#   BENCH_CPU_SETTLE              seconds between the end of the work and the reading [0.5]
#   BENCH_DRAIN_TIMEOUT           longest wait for a drain, seconds [60]
#   BENCH_KEEP=1                  keep the temporary directory (databases, logs, wrk outputs)
#
# Exit status: non-zero when a step cannot run or a correctness check fails (a non-2xx answer,
# fewer events stored than acknowledged, a stored message or a delivery that never reached the
# receiver). The goals are informational.
set -euo pipefail

usage() { echo "usage: $0 <build-dir>" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
BUILD_DIR=$(cd "$1" && pwd) || usage
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

PHASES=${BENCH_CPU_PHASES:-ingest publish fanout}
RUN_SECONDS=${BENCH_CPU_SECONDS:-10}
WARMUP_SECONDS=${BENCH_CPU_WARMUP_SECONDS:-2}
INGEST_CONNS=${BENCH_CPU_INGEST_CONNECTIONS:-64}
INGEST_THREADS=${BENCH_CPU_INGEST_THREADS:-2}
PUBLISH_CONNS=${BENCH_CPU_PUBLISH_CONNECTIONS:-32}
PUBLISH_THREADS=${BENCH_CPU_PUBLISH_THREADS:-1}
FAN_ENDPOINTS=${BENCH_CPU_FANOUT_ENDPOINTS:-1000}
FAN_MESSAGES=${BENCH_CPU_FANOUT_MESSAGES:-40}
FAN_WARMUP=${BENCH_CPU_FANOUT_WARMUP:-1}
SETTLE=${BENCH_CPU_SETTLE:-0.5}
DRAIN_TIMEOUT=${BENCH_DRAIN_TIMEOUT:-60}
ADMIN_TOKEN=bench-admin-token-0123456789abcdef
AUTH="Authorization: Bearer $ADMIN_TOKEN"
SOURCE_SECRET=benchsecret

# Goals of hookd's CPU per unit, in microseconds (informational).
GOAL_INGEST=40
GOAL_PUBLISH=80
GOAL_FANOUT=35

for phase in $PHASES; do
  [[ $phase =~ ^(ingest|publish|fanout)$ ]] || { echo "bench: unknown phase '$phase' in BENCH_CPU_PHASES" >&2; exit 2; }
done
for tool in wrk sqlite3 openssl curl awk; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: '$tool' is required but not installed" >&2; exit 2; }
done
NGINX=$(command -v nginx 2>/dev/null || true)
[[ -n $NGINX ]] || { [[ -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx; }
[[ -n $NGINX ]] || { echo "bench: nginx is required (scripts/install-deps.sh bench installs Debian's)" >&2; exit 2; }
[[ -n ${EPOCHREALTIME:-} ]] || { echo "bench: needs bash >= 5 (EPOCHREALTIME)" >&2; exit 2; }
HOOKD=$BUILD_DIR/hookd
[[ -x $HOOKD ]] || { echo "bench: $HOOKD not found (build hookd first)" >&2; exit 2; }
HZ=$(getconf CLK_TCK)

# Fan-out endpoints may each hold a connection to nginx.
WANT_FDS=$((FAN_ENDPOINTS * 2 + 4096))
HARD_FDS=$(ulimit -Hn)
if [[ $HARD_FDS == unlimited ]] || ((HARD_FDS >= WANT_FDS)); then ulimit -n "$WANT_FDS"; else ulimit -n "$HARD_FDS"; fi
FDS=$(ulimit -n)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hookd-cpu.XXXXXX")
NGINX_PID="" HOOKD_PID="" WRK_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $WRK_PID ]]; then  # the subshell running wrk, and wrk
    pkill -TERM -P "$WRK_PID" 2>/dev/null || true
    wait "$WRK_PID" 2>/dev/null || true
  fi
  [[ -n $HOOKD_PID ]] && { stop_pid "$HOOKD_PID" 20 || true; }
  [[ -n $NGINX_PID ]] && { stop_pid "$NGINX_PID" 5 || true; }
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then echo "bench: kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

calc() { awk "BEGIN { printf \"%.${2:-1}f\", ($1) }"; }
now() { echo "${EPOCHREALTIME/,/.}"; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }  # utime + stime, every thread, in 1/HZ s
goal() { if awk "BEGIN { exit !($1) }"; then echo "GOAL MET"; else echo "GOAL MISSED"; fi; }

start_hookd() {  # start_hookd <name>: a fresh data dir; sets HOOKD_PID, HOOKD_BASE, HOOKD_DATA
  local name=$1 port stream_port
  port=$(free_port)
  stream_port=$(free_port)
  HOOKD_BASE=http://127.0.0.1:$port
  HOOKD_DATA=$WORK/$name
  mkdir -p "$HOOKD_DATA"
  HOOKD_ADMIN_TOKEN=$ADMIN_TOKEN HOOKD_STREAM_LISTEN=127.0.0.1:$stream_port HOOKD_ALLOW_PRIVATE_TARGETS=1 \
    "$HOOKD" serve --listen "127.0.0.1:$port" --data-dir "$HOOKD_DATA" >>"$WORK/hookd-$name.log" 2>&1 &
  HOOKD_PID=$!
  wait_http "$HOOKD_BASE/readyz" "$HOOKD_PID" 30 || { tail -n 30 "$WORK/hookd-$name.log" >&2; exit 1; }
}

stop_hookd() {  # stop_hookd <name>
  local rc=0
  stop_pid "$HOOKD_PID" 30 || rc=$?
  HOOKD_PID=""
  ((rc == 0)) || WARNINGS+=("hookd ($1) exited with status $rc after SIGTERM")
}

api_post() {  # api_post <path> <json>: prints the answer's body; fails unless 2xx
  local out status
  out=$(curl -sS --max-time 10 -X POST "$HOOKD_BASE$1" -H "$AUTH" -H 'Content-Type: application/json' \
    --data-binary "$2" -w '\n%{http_code}')
  status=${out##*$'\n'}
  [[ $status == 2?? ]] || { echo "bench: POST $1 answered $status: ${out%$'\n'*}" >&2; return 1; }
  printf '%s\n' "${out%$'\n'*}"
}

# run_wrk <label> <name> <wrk args...>: wrk in a subshell that prints its children's CPU time
# (bash `times`, second line) to $WORK/<name>.times once wrk has exited, so wrk's CPU is known.
run_wrk() {
  local label=$1 name=$2 rc=0
  shift 2
  echo "    $label"
  (
    r=0
    wrk "$@" >"$WORK/$name.txt" 2>&1 || r=$?
    times >"$WORK/$name.times"
    exit "$r"
  ) &
  WRK_PID=$!
  wait "$WRK_PID" || rc=$?
  WRK_PID=""
  ((rc == 0)) || { cat "$WORK/$name.txt" >&2; echo "bench: wrk failed ($label)" >&2; exit 1; }
}

wrk_cpu_s() {  # wrk_cpu_s <name>: wrk's user + system seconds
  awk 'NR == 2 {
      t = 0
      for (i = 1; i <= 2; i++) { v = $i; m = 0; if (v ~ /m/) { m = v; sub(/m.*/, "", m); sub(/^[^m]*m/, "", v) } sub(/s$/, "", v); t += m * 60 + v }
      printf "%.3f", t }' "$WORK/$1.times"
}

nginx_worker() { pgrep -P "$NGINX_PID" | head -n 1; }

# wait_until <description> <command...>: polls every 0.1 s until the command succeeds, hookd
# still running, for at most BENCH_DRAIN_TIMEOUT seconds.
wait_until() {
  local what=$1 start=$SECONDS
  shift
  until "$@"; do
    kill -0 "$HOOKD_PID" 2>/dev/null || { echo "bench: hookd exited while waiting for $what" >&2; return 1; }
    ((SECONDS - start < DRAIN_TIMEOUT)) || { echo "bench: $what: not within ${DRAIN_TIMEOUT}s" >&2; return 1; }
    sleep 0.1
  done
}
lines_at_least() { (($(wc -l <"$1") >= $2)); }
# No delivery waiting or held by a worker: every attempt's outcome is recorded.
deliveries_final() { [[ $(sqlite3 "$HOOKD_DATA/hookd.db" 'SELECT COUNT(*) FROM deliveries WHERE next_attempt_at IS NOT NULL') == 0 ]]; }

# window_begin / window_end: hookd's and nginx's CPU ticks and the wall clock around the work.
window_begin() {
  local idle0
  idle0=$(ticks "$HOOKD_PID")
  sleep 1
  H0=$(ticks "$HOOKD_PID")
  IDLE_MS=$(calc "($H0 - $idle0) * 1000 / $HZ" 0)  # hookd's CPU in the idle second before
  N0=$(ticks "$NGINX_WORKER")
  T0=$(now)
}
window_end() {
  sleep "$SETTLE"
  H1=$(ticks "$HOOKD_PID")
  N1=$(ticks "$NGINX_WORKER")
  T1=$(now)
  WALL=$(calc "$T1 - $T0" 2)
}
per_unit() { calc "$1 * 1000000 / $HZ / $2" 1; }  # per_unit <ticks> <units>: microseconds

WARNINGS=() FAIL=() ROWS=() MACHINE=() GOALS=()
echo "hookd CPU per unit of work: $(nproc) CPUs, SQLite synchronous FULL, ulimit -n $FDS, CLK_TCK $HZ, work dir $WORK"
LOAD_START=$(load_avg)
echo "load average at start: $LOAD_START"

# ------------------------------------------------------------------ nginx
NGX=$WORK/nginx
PUBLISH_PORT=$(free_port) FAN_PORT=$(free_port)
start_nginx_204 "$NGX" "$FDS" "
  server { listen 127.0.0.1:$PUBLISH_PORT; access_log $NGX/publish.log hookd; location / { return 204; } }
  server { listen 127.0.0.1:$FAN_PORT backlog=4096; access_log $NGX/fanout.log hookd; location / { return 204; } }" || exit 1
NGINX_WORKER=$(nginx_worker)
[[ -n $NGINX_WORKER ]] || { echo "bench: no nginx worker process" >&2; exit 1; }

BODY_FILE=$WORK/body.json  # the ~1 KB push of bench/run.sh: the ingested body and the payload published
write_push_body "$BODY_FILE"
RUN_ID=$$-$(date +%s)

# ------------------------------------------------------------------ ingest
phase_ingest() {
  echo "--- ingest: GitHub-signed $(wc -c <"$BODY_FILE")-byte push to a github source, no endpoint;" \
    "wrk -t$INGEST_THREADS -c$INGEST_CONNS for ${RUN_SECONDS}s (load $(load_avg))"
  start_hookd ingest
  local source_json source_id sig probe
  source_json=$(api_post /api/v1/sources "{\"name\":\"bench\",\"provider\":\"github\",\"secret\":\"$SOURCE_SECRET\"}")
  source_id=$(printf '%s' "$source_json" | sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p')
  [[ -n $source_id ]] || { echo "bench: no id in $source_json" >&2; exit 1; }
  sig=sha256=$(openssl dgst -sha256 -hmac "$SOURCE_SECRET" <"$BODY_FILE" | awk '{ print $NF }')
  probe=$(curl -sS -o "$WORK/probe.json" -w '%{http_code}' --max-time 5 -X POST "$HOOKD_BASE/ingest/$source_id" \
    -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' -H "X-GitHub-Delivery: probe-$RUN_ID" \
    -H "X-Hub-Signature-256: $sig" --data-binary "@$BODY_FILE")
  [[ $probe == 202 ]] || { echo "bench: probe ingest answered $probe (want 202): $(cat "$WORK/probe.json")" >&2; exit 1; }
  local acked=1 non2xx=0 total n2 sockerr
  export BENCH_BODY_FILE=$BODY_FILE BENCH_SIG=$sig BENCH_PATH=/ingest/$source_id BENCH_KEEPALIVE=1
  if ((WARMUP_SECONDS > 0)); then
    BENCH_NONCE=warm-$RUN_ID run_wrk "warm-up, ${WARMUP_SECONDS}s (not measured)" ingest-warmup \
      -t"$INGEST_THREADS" -c"$INGEST_CONNS" -d"${WARMUP_SECONDS}s" -s "$BENCH_DIR/github.lua" "$HOOKD_BASE/ingest/$source_id"
    read -r _ _ total _ n2 _ < <(parse_wrk "$WORK/ingest-warmup.txt")
    acked=$((acked + total - n2))
    non2xx=$((non2xx + n2))
  fi
  window_begin
  BENCH_NONCE=run-$RUN_ID run_wrk "measured, ${RUN_SECONDS}s" ingest \
    -t"$INGEST_THREADS" -c"$INGEST_CONNS" -d"${RUN_SECONDS}s" -s "$BENCH_DIR/github.lua" "$HOOKD_BASE/ingest/$source_id"
  window_end
  unset BENCH_BODY_FILE BENCH_SIG BENCH_PATH BENCH_KEEPALIVE
  read -r _ _ total _ n2 sockerr < <(parse_wrk "$WORK/ingest.txt")
  local ok=$((total - n2))
  acked=$((acked + ok))
  non2xx=$((non2xx + n2))
  stop_hookd ingest
  local stored
  stored=$(sqlite3 "$HOOKD_DATA/hookd.db" 'SELECT COUNT(*) FROM events')
  local h_us w_us wrk_s
  h_us=$(per_unit $((H1 - H0)) "$ok")
  wrk_s=$(wrk_cpu_s ingest)
  w_us=$(calc "$wrk_s * 1000000 / $total" 1)
  echo "    $ok accepted (2xx), $n2 other statuses, $sockerr socket errors; hookd idle before: ${IDLE_MS} ms/s;" \
    "events stored $stored, acknowledged $acked (warm-up and probe included)"
  ROWS+=("ingest (accepted event)|$h_us|-|$w_us|$ok|$WALL")
  MACHINE+=("ingest=$h_us")
  GOALS+=("ingest: hookd $h_us us per accepted event (goal <= $GOAL_INGEST): $(goal "$h_us <= $GOAL_INGEST")")
  ((non2xx == 0)) || FAIL+=("ingest: $non2xx requests answered other than 2xx")
  ((stored >= acked)) || FAIL+=("ingest: $stored events stored, $acked acknowledged")
  ((ok > 0)) || FAIL+=("ingest: nothing accepted")
}

# ------------------------------------------------------------------ publish + deliver
phase_publish() {
  echo "--- publish + deliver: wrk -t$PUBLISH_THREADS -c$PUBLISH_CONNS POST /api/v1/messages for ${RUN_SECONDS}s," \
    "one endpoint at nginx, until every message is delivered (load $(load_avg))"
  start_hookd publish
  api_post /api/v1/endpoints "{\"url\":\"http://127.0.0.1:$PUBLISH_PORT/hook\"}" >/dev/null
  local warm_type=bench.warm type=bench.cpu
  { printf '{"event_type":"%s","payload":' "$warm_type"; cat "$BODY_FILE"; printf '}'; } >"$WORK/publish-warm.json"
  { printf '{"event_type":"%s","payload":' "$type"; cat "$BODY_FILE"; printf '}'; } >"$WORK/publish-msg.json"
  local non2xx=0 total n2 sockerr warm_stored=0
  if ((WARMUP_SECONDS > 0)); then
    BENCH_BODY_FILE=$WORK/publish-warm.json BENCH_TOKEN=$ADMIN_TOKEN run_wrk "warm-up, ${WARMUP_SECONDS}s (not measured)" publish-warmup \
      -t"$PUBLISH_THREADS" -c"$PUBLISH_CONNS" -d"${WARMUP_SECONDS}s" -s "$BENCH_DIR/publish.lua" "$HOOKD_BASE/api/v1/messages"
    read -r _ _ total _ n2 _ < <(parse_wrk "$WORK/publish-warmup.txt")
    non2xx=$((non2xx + n2))
    warm_stored=$(sqlite3 "$HOOKD_DATA/hookd.db" "SELECT COUNT(*) FROM messages WHERE event_type = '$warm_type'")
    wait_until "the warm-up's drain" lines_at_least "$NGX/publish.log" "$warm_stored" || exit 1
    wait_until "the warm-up's outcomes recorded" deliveries_final || exit 1
  fi
  local lines0
  lines0=$(wc -l <"$NGX/publish.log")
  window_begin
  BENCH_BODY_FILE=$WORK/publish-msg.json BENCH_TOKEN=$ADMIN_TOKEN run_wrk "measured, ${RUN_SECONDS}s" publish \
    -t"$PUBLISH_THREADS" -c"$PUBLISH_CONNS" -d"${RUN_SECONDS}s" -s "$BENCH_DIR/publish.lua" "$HOOKD_BASE/api/v1/messages"
  # A 202 is sent after the commit; a request cut off by wrk's end may be stored without wrk
  # counting its 202. Every stored message is waited for.
  local stored
  stored=$(sqlite3 "$HOOKD_DATA/hookd.db" "SELECT COUNT(*) FROM messages WHERE event_type = '$type'")
  wait_until "the drain" lines_at_least "$NGX/publish.log" $((lines0 + stored)) || true
  wait_until "the outcomes recorded" deliveries_final || true
  window_end
  local lines1
  lines1=$(wc -l <"$NGX/publish.log")
  stop_hookd publish
  read -r _ _ total _ n2 sockerr < <(parse_wrk "$WORK/publish.txt")
  local ok=$((total - n2))
  non2xx=$((non2xx + n2))
  sqlite3 "$HOOKD_DATA/hookd.db" "SELECT id FROM messages WHERE event_type = '$type'" >"$WORK/publish-ids.txt"
  stored=$(wc -l <"$WORK/publish-ids.txt")
  local got dup
  read -r got dup < <(awk 'FILENAME == ARGV[1] { want[$1]; next }
      ($2 in want) && $3 == 204 { if (c[$2]++) dup++; else n++ }
      END { printf "%d %d\n", n, dup }' "$WORK/publish-ids.txt" "$NGX/publish.log")
  local h_us n_us w_us wrk_s answered=$((lines1 - lines0))
  h_us=$(per_unit $((H1 - H0)) "$got")
  n_us=$(per_unit $((N1 - N0)) "$answered")
  wrk_s=$(wrk_cpu_s publish)
  w_us=$(calc "$wrk_s * 1000000 / $total" 1)
  echo "    $ok published (202), $n2 other statuses, $sockerr socket errors; $stored stored, $got delivered" \
    "($dup more than once); nginx answered $answered; hookd idle before: ${IDLE_MS} ms/s"
  ROWS+=("publish + deliver (message)|$h_us|$n_us|$w_us|$got|$WALL")
  MACHINE+=("publish_deliver=$h_us")
  GOALS+=("publish + deliver: hookd $h_us us per message (goal <= $GOAL_PUBLISH): $(goal "$h_us <= $GOAL_PUBLISH")")
  ((non2xx == 0)) || FAIL+=("publish: $non2xx requests answered other than 202")
  ((stored >= ok && got == stored)) || FAIL+=("publish: $ok 202s, $stored stored, $((stored - got)) never delivered")
  ((got > 0)) || FAIL+=("publish: nothing delivered")
}

# ------------------------------------------------------------------ fan-out
# curl_batch <config> <out>: the requests of a curl config file over one keep-alive connection
# (the config's last line, a "next" with nothing after it, left out); <out> gets each answer's
# status, one a line.
curl_batch() { curl -sS --max-time 300 -K <(sed '$d' "$1") >"$2"; }
batch_entry() {  # batch_entry <path> <json>: one POST of a curl config file, then "next"
  local json=${2//\"/\\\"}
  printf 'url = "%s%s"\nheader = "%s"\nheader = "Content-Type: application/json"\n' "$HOOKD_BASE" "$1" "$AUTH"
  printf 'data-binary = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nnext\n' "$json"
}

phase_fanout() {
  echo "--- fan-out: $FAN_ENDPOINTS endpoints (distinct URLs on one nginx) subscribed to one event type," \
    "$FAN_MESSAGES messages published (load $(load_avg))"
  start_hookd fanout
  local type=bench.fanout i t0
  for ((i = 0; i < FAN_ENDPOINTS; i++)); do
    batch_entry /api/v1/endpoints "{\"url\":\"http://127.0.0.1:$FAN_PORT/f/$i\",\"event_types\":[\"$type\"]}"
  done >"$WORK/fanout-endpoints.cfg"
  t0=$(now)
  curl_batch "$WORK/fanout-endpoints.cfg" "$WORK/fanout-endpoints.status"
  local created
  created=$(grep -c '^2' "$WORK/fanout-endpoints.status" || true)
  ((created == FAN_ENDPOINTS)) || { echo "bench: $created of $FAN_ENDPOINTS endpoints created" >&2; exit 1; }
  echo "    created $FAN_ENDPOINTS endpoints through the API in $(calc "$(now) - $t0" 2)s (one connection)"
  local msg
  msg=$({ printf '{"event_type":"%s","payload":' "$type"; cat "$BODY_FILE"; printf '}'; })
  local warm_lines=$((FAN_WARMUP * FAN_ENDPOINTS))
  if ((FAN_WARMUP > 0)); then
    for ((i = 0; i < FAN_WARMUP; i++)); do batch_entry /api/v1/messages "$msg"; done >"$WORK/fanout-warm.cfg"
    curl_batch "$WORK/fanout-warm.cfg" "$WORK/fanout-warm.status"
    wait_until "the warm-up's drain" lines_at_least "$NGX/fanout.log" "$warm_lines" || exit 1
    wait_until "the warm-up's outcomes recorded" deliveries_final || exit 1
    echo "    warm-up: $FAN_WARMUP message(s), $warm_lines deliveries (not measured)"
  fi
  sqlite3 "$HOOKD_DATA/hookd.db" "SELECT id FROM messages WHERE event_type = '$type'" | sort >"$WORK/fanout-warm-ids.txt"
  for ((i = 0; i < FAN_MESSAGES; i++)); do batch_entry /api/v1/messages "$msg"; done >"$WORK/fanout-msgs.cfg"
  local want=$((FAN_MESSAGES * FAN_ENDPOINTS)) lines0
  lines0=$(wc -l <"$NGX/fanout.log")
  window_begin
  curl_batch "$WORK/fanout-msgs.cfg" "$WORK/fanout-msgs.status"
  wait_until "the drain" lines_at_least "$NGX/fanout.log" $((lines0 + want)) || true
  wait_until "the outcomes recorded" deliveries_final || true
  window_end
  local lines1
  lines1=$(wc -l <"$NGX/fanout.log")
  stop_hookd fanout
  local accepted
  accepted=$(grep -c '^202$' "$WORK/fanout-msgs.status" || true)
  sqlite3 "$HOOKD_DATA/hookd.db" "SELECT id FROM messages WHERE event_type = '$type'" | sort |
    comm -23 - "$WORK/fanout-warm-ids.txt" >"$WORK/fanout-ids.txt"
  local stored got dup
  stored=$(wc -l <"$WORK/fanout-ids.txt")
  # A delivery is a (webhook-id, endpoint path) pair.
  read -r got dup < <(awk 'FILENAME == ARGV[1] { want[$1]; next }
      ($2 in want) && $3 == 204 { if (c[$2, $4]++) dup++; else n++ }
      END { printf "%d %d\n", n, dup }' "$WORK/fanout-ids.txt" "$NGX/fanout.log")
  local h_us n_us answered=$((lines1 - lines0))
  h_us=$(per_unit $((H1 - H0)) "$got")
  n_us=$(per_unit $((N1 - N0)) "$answered")
  echo "    $accepted of $FAN_MESSAGES published (202), $stored stored; $got of $want deliveries received ($dup more than once);" \
    "hookd idle before: ${IDLE_MS} ms/s"
  ROWS+=("fan-out (delivery)|$h_us|$n_us|-|$got|$WALL")
  MACHINE+=("fanout=$h_us")
  GOALS+=("fan-out: hookd $h_us us per delivery (goal <= $GOAL_FANOUT): $(goal "$h_us <= $GOAL_FANOUT")")
  ((accepted == FAN_MESSAGES && stored == FAN_MESSAGES)) || FAIL+=("fan-out: $accepted of $FAN_MESSAGES answered 202, $stored stored")
  ((got == want)) || FAIL+=("fan-out: $got of $want deliveries received")
}

for phase in $PHASES; do "phase_$phase"; done

echo "=================================================================== CPU per unit of work (load $(load_avg); at start $LOAD_START)"
# (µ is two bytes: the headers get one more column of width each)
printf '  %-30s %15s %14s %12s %8s %8s\n' "unit" "hookd µs/unit" "nginx µs/req" "wrk µs/req" "count" "seconds"
for r in "${ROWS[@]}"; do
  IFS='|' read -r u h n w c s <<<"$r"
  printf '  %-30s %14s %13s %11s %8s %8s\n' "$u" "$h" "$n" "$w" "$c" "$s"
done
echo "  (hookd: its CPU over the window, the drain included, per unit; nginx: per request it answered in the window;"
echo "   wrk: per request it sent; CPU = utime + stime, ${HZ} ticks/s)"
for g in "${GOALS[@]}"; do echo "  $g"; done
for w in "${WARNINGS[@]}"; do echo "  WARN: $w"; done
if ((${#FAIL[@]} == 0)); then
  echo "  check (every answer 2xx, every acknowledged event stored, every message and delivery received): PASS"
else
  for f in "${FAIL[@]}"; do echo "  check: FAIL: $f"; done
fi
echo "cpu_us ${MACHINE[*]}"
((${#FAIL[@]} == 0)) || exit 1
