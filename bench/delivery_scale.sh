#!/usr/bin/env bash
# hookd delivery at scale, in one run: a healthy endpoint's latency while 1,000 endpoints never
# answer (isolation), publishing and delivering at once (end to end), and one event type
# subscribed by 10,000 endpoints (fan-out). Debian's nginx is the receiver.
#
#   bench/delivery_scale.sh <build-dir>
#
# <build-dir> holds `hookd` and `bench_http_client_loop`. Environment (defaults in brackets):
#   BENCH_ISO_DEAD_ENDPOINTS   endpoints that never answer [1000]
#   BENCH_ISO_BACKLOG          messages queued for each of them [20]
#   BENCH_ISO_TIMEOUT          HOOKD_DELIVERY_TIMEOUT of phase 1 [10s]
#   BENCH_ISO_RATE             messages/s published to the healthy endpoint [20]
#   BENCH_ISO_SECONDS          how long [30]
#   BENCH_E2E_CONNECTIONS      publishing connections of phase 2 (wrk) [32]
#   BENCH_E2E_SECONDS          how long phase 2 publishes [20]
#   BENCH_E2E_WRK_THREADS      wrk threads of phase 2 [1]
#   BENCH_BASELINE_CONNECTIONS bare client connections [8, hookd's per-endpoint concurrency]
#   BENCH_BASELINE_SECONDS     bare client run [10]
#   BENCH_FANOUT_ENDPOINTS     endpoints of phase 3 [10000]
#   BENCH_FANOUT_MESSAGES      messages of phase 3b [10]
#   BENCH_DRAIN_TIMEOUT        longest wait for a drain [120]
#   BENCH_KEEP=1               keep the temporary directory
#
# Exit status: non-zero when a step cannot run or the correctness checks fail (a 202 of phase 2
# or 3 never reached the receiver, or reached it twice; a healthy message of phase 1 never
# arrived). The goals are informational.
set -euo pipefail

usage() { echo "usage: $0 <build-dir>" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
BUILD_DIR=$(cd "$1" && pwd) || usage
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

ISO_DEAD=${BENCH_ISO_DEAD_ENDPOINTS:-1000}
ISO_BACKLOG=${BENCH_ISO_BACKLOG:-20}
ISO_TIMEOUT=${BENCH_ISO_TIMEOUT:-10s}
ISO_RATE=${BENCH_ISO_RATE:-20}
ISO_SECONDS=${BENCH_ISO_SECONDS:-30}
E2E_CONNS=${BENCH_E2E_CONNECTIONS:-32}
E2E_SECONDS=${BENCH_E2E_SECONDS:-20}
E2E_WRK_THREADS=${BENCH_E2E_WRK_THREADS:-1}
BASE_CONNS=${BENCH_BASELINE_CONNECTIONS:-8}
BASELINE_SECONDS=${BENCH_BASELINE_SECONDS:-10}
FAN_ENDPOINTS=${BENCH_FANOUT_ENDPOINTS:-10000}
FAN_MESSAGES=${BENCH_FANOUT_MESSAGES:-10}
DRAIN_TIMEOUT=${BENCH_DRAIN_TIMEOUT:-120}
ADMIN_TOKEN=bench-admin-token-0123456789abcdef
AUTH="Authorization: Bearer $ADMIN_TOKEN"

GOAL_ISO_P99=250     # ms, healthy publish -> receipt
GOAL_RSS_MIB=512
GOAL_RATIO=0.5       # hookd deliveries/s / bare client requests/s
GOAL_FANOUT_MS=250   # answer time of a POST fanned out to 10,000 endpoints

for tool in sqlite3 curl awk sort ss wrk; do
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
[[ -x $LOOP ]] || { echo "bench: bench_http_client_loop not found in $BUILD_DIR" >&2; exit 2; }

# 10,000 endpoints each get their own connection: hookd, nginx and the black hole need the fds.
WANT_FDS=$((FAN_ENDPOINTS * 2 + 8192))
HARD_FDS=$(ulimit -Hn)
if [[ $HARD_FDS == unlimited ]] || ((HARD_FDS >= WANT_FDS)); then ulimit -n "$WANT_FDS"; else ulimit -n "$HARD_FDS"; fi
FDS=$(ulimit -n)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hookd-delivery-scale.XXXXXX")
NGINX_PID="" HOOKD_PID="" HOLE_PID="" SAMPLER_PID="" LOOP_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n $SAMPLER_PID ]] && { kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; }
  [[ -n $LOOP_PID ]] && { kill -TERM "$LOOP_PID" 2>/dev/null || true; wait "$LOOP_PID" 2>/dev/null || true; }
  [[ -n $HOOKD_PID ]] && { stop_pid "$HOOKD_PID" 20 || true; }
  [[ -n $HOLE_PID ]] && { stop_pid "$HOLE_PID" 5 || true; }
  [[ -n $NGINX_PID ]] && { stop_pid "$NGINX_PID" 5 || true; }
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then echo "bench: kept $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

calc() { awk "BEGIN { printf \"%.${2:-1}f\", ($1) }"; }
now_ms() { local t=${EPOCHREALTIME/,/.}; calc "$t * 1000" 3; }
kv() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" "$2"; }
goal() { if awk "BEGIN { exit !($1) }"; then echo "GOAL MET"; else echo "GOAL MISSED"; fi; }
# stats <file of numbers>: "n p50 p99 max"
stats() {
  sort -n "$1" | awk '{ v[NR] = $1 }
    function rank(p) { i = int(p * NR + 0.999999); if (i < 1) i = 1; return v[i] }
    END { if (NR == 0) { print "0 - - -"; exit } printf "%d %.1f %.1f %.1f\n", NR, rank(0.5), rank(0.99), v[NR] }'
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
  wait_http "$HOOKD_BASE/readyz" "$HOOKD_PID" 30 || { tail -n 30 "$WORK/hookd-$name.log" >&2; exit 1; }
}

stop_hookd() {
  local rc=0
  stop_pid "$HOOKD_PID" 30 || rc=$?
  HOOKD_PID=""
  ((rc == 0)) || WARNINGS+=("hookd ($1) exited with status $rc after SIGTERM")
}

# create_endpoints <count> <json with @I@ for the index> <name>: through the API, 8 connections;
# prints the seconds it took and fails unless every one was created.
create_endpoints() {
  local n=$1 json=$2 name=$3 t0 t1
  printf '%s' "$json" >"$WORK/$name-endpoint.json"
  t0=$(now_ms)
  "$LOOP" --url "$HOOKD_BASE/api/v1/endpoints" --connections 8 --count "$n" --header "$AUTH" \
    --body-file "$WORK/$name-endpoint.json" --body-index-marker @I@ >"$WORK/$name-create.txt"
  t1=$(now_ms)
  [[ $(kv ok "$WORK/$name-create.txt") == "$n" ]] || { echo "bench: creating $name endpoints: $(cat "$WORK/$name-create.txt")" >&2; exit 1; }
  calc "($t1 - $t0) / 1000" 2
}

publish() {  # publish <event type> <count>: one message after the other, fails unless all 202
  printf '{"event_type":"%s","payload":{"bench":true}}' "$1" >"$WORK/msg-$1.json"
  "$LOOP" --url "$HOOKD_BASE/api/v1/messages" --connections 1 --count "$2" --header "$AUTH" \
    --body-file "$WORK/msg-$1.json" --record "$WORK/publish-$1.txt" --record-response-id >"$WORK/publish-$1.out"
  [[ $(kv ok "$WORK/publish-$1.out") == "$2" ]] || { echo "bench: publishing $1: $(cat "$WORK/publish-$1.out")" >&2; exit 1; }
}

# receipts <nginx log> <ids file>: "<ids> <delivered> <twice or more> <first ms> <last ms>" for
# the webhook-ids in the ids file (first receipt of each).
receipts() {
  awk 'FILENAME == ARGV[1] { want[$1] = 1; n++; next }
       ($2 in want) { c[$2]++; if (c[$2] == 1) { t = $1 * 1000; if (!min || t < min) min = t; if (t > max) max = t } }
       END { for (id in want) { if (c[id] >= 1) got++; if (c[id] > 1) dup++ }
             printf "%d %d %d %.3f %.3f\n", n, got, dup, min, max }' "$2" "$1"
}

wait_lines() {  # wait_lines <log> <lines>: until the access log has that many lines
  local start=$SECONDS
  while (($(wc -l <"$1") < $2)); do
    kill -0 "$HOOKD_PID" 2>/dev/null || { echo "bench: hookd exited during the drain" >&2; return 1; }
    ((SECONDS - start < DRAIN_TIMEOUT)) || { echo "bench: drain timed out: $(wc -l <"$1") of $2" >&2; return 1; }
    sleep 0.1
  done
}

WARNINGS=() FAIL=() SUMMARY=()
echo "hookd delivery-scale bench: $(nproc) CPUs, ulimit -n $FDS, work dir $WORK"
echo "load average at start: $(load_avg)"

# ------------------------------------------------------------------ nginx
NGX=$WORK/nginx
BASE_PORT=$(free_port) HEALTHY_PORT=$(free_port) E2E_PORT=$(free_port) FAN_PORT=$(free_port)
start_nginx_204 "$NGX" "$FDS" "
  server { listen 127.0.0.1:$BASE_PORT; access_log $NGX/baseline.log hookd; location / { return 204; } }
  server { listen 127.0.0.1:$HEALTHY_PORT; access_log $NGX/healthy.log hookd; location / { return 204; } }
  server { listen 127.0.0.1:$E2E_PORT; access_log $NGX/e2e.log hookd; location / { return 204; } }
  server { listen 127.0.0.1:$FAN_PORT backlog=4096; access_log $NGX/fanout.log hookd; location / { return 204; } }" || exit 1

# ------------------------------------------------------------------ baseline
echo "--- baseline: bench_http_client_loop, $BASE_CONNS keep-alive connections, ~1 KB POST, ${BASELINE_SECONDS}s (load $(load_avg))"
head -c 1000 /dev/zero | tr '\0' x | sed 's/.*/{"pad":"&"}/' >"$WORK/body.json"
"$LOOP" --url "http://127.0.0.1:$BASE_PORT/hook" --connections "$BASE_CONNS" --seconds "$BASELINE_SECONDS" \
  --body-file "$WORK/body.json" >"$WORK/baseline.txt"
sed 's/^/    /' "$WORK/baseline.txt"
BASE_RPS=$(kv rps "$WORK/baseline.txt")

# ------------------------------------------------------------------ 1. isolation
echo "--- 1. isolation: $ISO_DEAD endpoints that never answer, $ISO_BACKLOG messages each, timeout $ISO_TIMEOUT;"
echo "       a healthy endpoint published to at ${ISO_RATE}/s for ${ISO_SECONDS}s (load $(load_avg))"
HOLE_PORT=$(free_port)
"$LOOP" --blackhole "127.0.0.1:$HOLE_PORT" >"$WORK/blackhole.txt" 2>&1 &
HOLE_PID=$!
HOOKD_DELIVERY_TIMEOUT=$ISO_TIMEOUT start_hookd isolation "$WORK/isolation"
T=$(create_endpoints "$ISO_DEAD" "{\"url\":\"http://127.0.0.1:$HOLE_PORT/dead/@I@\",\"event_types\":[\"bench.dead\"]}" dead)
echo "    created $ISO_DEAD endpoints in ${T}s ($(calc "$ISO_DEAD / $T" 0)/s, 8 connections)"
printf '{"url":"http://127.0.0.1:%s/healthy","event_types":["bench.healthy"]}' "$HEALTHY_PORT" >"$WORK/healthy-endpoint.json"
curl -fsS -o /dev/null -X POST "$HOOKD_BASE/api/v1/endpoints" -H "$AUTH" -H 'Content-Type: application/json' \
  --data-binary @"$WORK/healthy-endpoint.json"

# Sampler: every 0.5 s "<unix ms> <VmRSS kB> <Threads> <connections to the black hole> <open circuits>"
sample() {
  local pid=$1 out=$2 rss thr conns circ
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    thr=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    conns=$(ss -Htn state established "( dport = :$HOLE_PORT )" 2>/dev/null | wc -l)
    circ=$(curl -sS --max-time 1 "$HOOKD_BASE/metrics" 2>/dev/null | awk '/^hookd_endpoint_circuits\{.*state="open"/ { print $2 + 0 }')
    echo "$(now_ms) ${rss:-0} ${thr:-0} $conns ${circ:-0}" >>"$out"
    sleep 0.5
  done
}
sleep 1
IDLE_THREADS=$(awk '/^Threads:/ { print $2 }' "/proc/$HOOKD_PID/status")
IDLE_RSS=$(awk '/^VmRSS:/ { print $2 }' "/proc/$HOOKD_PID/status")
sample "$HOOKD_PID" "$WORK/samples.txt" &
SAMPLER_PID=$!
DEAD_T0=$(now_ms)
publish bench.dead "$ISO_BACKLOG"
echo "    published $ISO_BACKLOG messages to bench.dead: $((ISO_DEAD * ISO_BACKLOG)) deliveries that will time out"
sleep 2
"$LOOP" --url "$HOOKD_BASE/api/v1/messages" --connections 4 --rate "$ISO_RATE" --seconds "$ISO_SECONDS" \
  --header "$AUTH" --body-file <(printf '{"event_type":"bench.healthy","payload":{"bench":true}}') \
  --record "$WORK/healthy-sends.txt" --record-response-id >"$WORK/healthy-publish.txt" &
LOOP_PID=$!
wait "$LOOP_PID"
LOOP_PID=""
sed 's/^/    healthy publish: /' "$WORK/healthy-publish.txt"
awk '$3 >= 200 && $3 < 300 { print $1 }' "$WORK/healthy-sends.txt" >"$WORK/healthy-ids.txt"
HEALTHY_N=$(wc -l <"$WORK/healthy-ids.txt")
start=$SECONDS
while (($(awk 'FILENAME == ARGV[1] { w[$1]; next } ($2 in w) && !s[$2]++ { n++ } END { print n + 0 }' \
  "$WORK/healthy-ids.txt" "$NGX/healthy.log") < HEALTHY_N)); do
  ((SECONDS - start < 30)) || break
  sleep 0.2
done
kill "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
ISO_ATTEMPTS=$(sqlite3 "$WORK/isolation/hookd.db" 'select count(*) from attempts')
stop_hookd isolation
stop_pid "$HOLE_PID" 5 || true
HOLE_PID=""
# Latency of each healthy message: first receipt (ms, +0.5 for $msec's truncation) - send time.
awk 'FILENAME == ARGV[1] { if (!($2 in t)) t[$2] = $1 * 1000 + 0.5; next }
     ($3 >= 200 && $3 < 300) { if ($1 in t) printf "%.3f %.3f\n", $2, t[$1] - $2; else printf "%.3f -1\n", $2 }' \
  "$NGX/healthy.log" "$WORK/healthy-sends.txt" | sort -n >"$WORK/healthy-latency.txt"
ISO_LOST=$(awk '$2 < 0 { n++ } END { print n + 0 }' "$WORK/healthy-latency.txt")  # sent, 2xx, never received
# The first sample with at least 90% of the dead endpoints' circuits open.
BREAKER_MS=$(awk -v n="$ISO_DEAD" '$5 >= 0.9 * n { print $1; exit }' "$WORK/samples.txt")
FIRST_OPEN_MS=$(awk '$5 > 0 { print $1; exit }' "$WORK/samples.txt")
echo "    per 5 s of the healthy publishing: latency p50 / p99 / max ms | RSS MiB | threads | attempts in flight | open circuits (max in the window); by send time, t = the dead backlog's publishing"
awk -v t0="$DEAD_T0" 'FILENAME == ARGV[1] { s[NR] = $0; ns = NR; next }
  { b = int(($1 - t0) / 5000); if (b > last) last = b; if ($2 < 0) { u[b]++; next } v[b, ++c[b]] = $2 }
  END {
    for (b = 0; b <= last; b++) {
      if (!c[b] && !u[b]) continue
      m = c[b]; p50 = p99 = mx = -1; for (i = 1; i <= m; i++) a[i] = v[b, i]
      for (i = 2; i <= m; i++) { x = a[i]; j = i - 1; while (j >= 1 && a[j] > x) { a[j + 1] = a[j]; j-- } a[j + 1] = x }
      if (m) { p50 = a[int(0.5 * m + 0.999999)]; p99 = a[int(0.99 * m + 0.999999)]; mx = a[m] }
      rss = 0; thr = 0; inf = 0; circ = 0
      for (k = 1; k <= ns; k++) { split(s[k], f, " "); if (int((f[1] - t0) / 5000) == b) {
        if (f[2] > rss) rss = f[2]; if (f[3] > thr) thr = f[3]; if (f[4] > inf) inf = f[4]; if (f[5] > circ) circ = f[5] } }
      printf "    t+%3d-%3ds  %7.1f / %7.1f / %7.1f | %5.1f | %3d | %4d | %4d | %d not received\n", b * 5, b * 5 + 5, p50, p99, mx, rss / 1024, thr, inf, circ, u[b]
    }
  }' "$WORK/samples.txt" "$WORK/healthy-latency.txt"
awk '$2 >= 0 { print $2 }' "$WORK/healthy-latency.txt" >"$WORK/iso-all.txt"
read -r ISO_N ISO_P50 ISO_P99 ISO_MAX < <(stats "$WORK/iso-all.txt")
if [[ -n $BREAKER_MS ]]; then
  awk -v b="$BREAKER_MS" '$2 >= 0 && $1 < b { print $2 }' "$WORK/healthy-latency.txt" >"$WORK/iso-before.txt"
  awk -v b="$BREAKER_MS" '$2 >= 0 && $1 >= b { print $2 }' "$WORK/healthy-latency.txt" >"$WORK/iso-after.txt"
else
  cp "$WORK/iso-all.txt" "$WORK/iso-before.txt"
  : >"$WORK/iso-after.txt"
fi
read -r _ B_P50 B_P99 B_MAX < <(stats "$WORK/iso-before.txt")
read -r A_N A_P50 A_P99 A_MAX < <(stats "$WORK/iso-after.txt")
MAX_RSS=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$WORK/samples.txt")
THREADS_RANGE=$(awk 'NR == 1 || $3 < lo { lo = $3 } $3 > hi { hi = $3 } END { print lo "-" hi }' "$WORK/samples.txt")
MAX_INFLIGHT=$(awk '$4 > m { m = $4 } END { print m + 0 }' "$WORK/samples.txt")
THREADS_AT_MAX=$(awk -v m="$MAX_INFLIGHT" '$4 == m { print $3; exit }' "$WORK/samples.txt")
echo "    idle before the backlog: $IDLE_THREADS threads, RSS $((IDLE_RSS / 1024)) MiB; attempts recorded: $ISO_ATTEMPTS"
echo "    first circuit open: $([[ -n $FIRST_OPEN_MS ]] && echo "t+$(calc "($FIRST_OPEN_MS - $DEAD_T0) / 1000")s" || echo never);" \
  ">= 90% of the $ISO_DEAD open: $([[ -n $BREAKER_MS ]] && echo "t+$(calc "($BREAKER_MS - $DEAD_T0) / 1000")s" || echo "not within the run")" \
  "(t = the dead backlog's publishing)"
echo "    black hole: $(cat "$WORK/blackhole.txt")"
SUMMARY+=("1. healthy publish -> receipt, $ISO_N received of $HEALTHY_N published: p50 $ISO_P50 / p99 $ISO_P99 / max $ISO_MAX ms (goal p99 <= $GOAL_ISO_P99): $(goal "$ISO_N == $HEALTHY_N && ${ISO_P99/#-/1e9} <= $GOAL_ISO_P99")")
SUMMARY+=("   before >= 90% of the circuits opened: p50 $B_P50 / p99 $B_P99 / max $B_MAX ms; after ($A_N): p50 $A_P50 / p99 $A_P99 / max $A_MAX ms")
SUMMARY+=("   hookd RSS max $(calc "$MAX_RSS / 1024") MiB (goal <= $GOAL_RSS_MIB): $(goal "$MAX_RSS / 1024 <= $GOAL_RSS_MIB")")
SUMMARY+=("   threads: $IDLE_THREADS with 0 attempts in flight, $THREADS_AT_MAX with $MAX_INFLIGHT in flight (range $THREADS_RANGE): $(goal "$THREADS_AT_MAX == $IDLE_THREADS")")
((ISO_LOST == 0 && ISO_N == HEALTHY_N)) || FAIL+=("phase 1: $ISO_LOST of $HEALTHY_N healthy messages not received")

# ------------------------------------------------------------------ 2. end to end
echo "--- 2. end to end: POST /api/v1/messages with $E2E_CONNS connections for ${E2E_SECONDS}s while hookd delivers to nginx (load $(load_avg))"
start_hookd e2e "$WORK/e2e"
printf '{"url":"http://127.0.0.1:%s/hook"}' "$E2E_PORT" >"$WORK/e2e-endpoint.json"
curl -fsS -o /dev/null -X POST "$HOOKD_BASE/api/v1/endpoints" -H "$AUTH" -H 'Content-Type: application/json' \
  --data-binary @"$WORK/e2e-endpoint.json"
{ printf '{"event_type":"bench.e2e","payload":'; cat "$WORK/body.json"; printf '}'; } >"$WORK/e2e-msg.json"
# The loader is wrk (an event loop, ~11 us of CPU per request here against ~40 us for the
# cpp-httplib loop), so the cores it shares with hookd and nginx go to hookd. Its 202s are counted
# (requests less non-2xx), and the published ids are read from hookd's database afterwards.
E2E_T0=$(now_ms)
BENCH_BODY_FILE="$WORK/e2e-msg.json" BENCH_TOKEN=$ADMIN_TOKEN \
  wrk -t"$E2E_WRK_THREADS" -c"$E2E_CONNS" -d"${E2E_SECONDS}s" -s "$BENCH_DIR/publish.lua" \
  "$HOOKD_BASE/api/v1/messages" >"$WORK/e2e-wrk.txt" 2>&1 &
LOOP_PID=$!
# Where the CPU goes while publishing (from 2 s in to 2 s before the end): hookd, the loader and
# nginx share the machine's cores, so this is the budget the ratio has to fit in.
E2E_CPU=""
if ((E2E_SECONDS >= 6)); then
  NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -n 1)
  ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
  sleep 2
  read -r C0H C0L C0N D0 W0 < <(echo "$(ticks "$HOOKD_PID") $(ticks "$LOOP_PID") $(ticks "$NGINX_WORKER") $(wc -l <"$NGX/e2e.log") $(now_ms)")
  sleep $((E2E_SECONDS - 4))
  read -r C1H C1L C1N D1 W1 < <(echo "$(ticks "$HOOKD_PID") $(ticks "$LOOP_PID") $(ticks "$NGINX_WORKER") $(wc -l <"$NGX/e2e.log") $(now_ms)")
  E2E_CPU=$(awk -v hz="$(getconf CLK_TCK)" -v cores="$(nproc)" -v h=$((C1H - C0H)) -v l=$((C1L - C0L)) -v n=$((C1N - C0N)) \
    -v d=$((D1 - D0)) -v w="$(calc "($W1 - $W0) / 1000" 3)" 'BEGIN {
      if (d <= 0 || w <= 0) exit
      printf "cores busy: hookd %.2f, loader %.2f, nginx %.2f (of %d); CPU per delivered message: hookd %.0f us, loader %.0f us, nginx %.0f us",
        h / hz / w, l / hz / w, n / hz / w, cores, h / hz * 1e6 / d, l / hz * 1e6 / d, n / hz * 1e6 / d }')
fi
E2E_RC=0
wait "$LOOP_PID" || E2E_RC=$?
LOOP_PID=""
E2E_T1=$(now_ms)
((E2E_RC == 0)) || { cat "$WORK/e2e-wrk.txt" >&2; echo "bench: wrk failed (phase 2)" >&2; exit 1; }
[[ -n $E2E_CPU ]] && echo "    $E2E_CPU"
read -r _ _ E2E_REQS E2E_WRK_SECS E2E_NON2XX E2E_SOCKERR < <(parse_wrk "$WORK/e2e-wrk.txt")
E2E_OK=$((E2E_REQS - E2E_NON2XX))
E2E_OK_RPS=$(calc "$E2E_OK / $E2E_WRK_SECS")
echo "    publish (wrk -t$E2E_WRK_THREADS -c$E2E_CONNS): $E2E_OK answered 202 ($E2E_OK_RPS/s), $E2E_NON2XX other statuses, $E2E_SOCKERR socket errors"
# A 202 is sent only after the commit, so every 202 is a stored message (and a request cut off
# by wrk's end may be stored without wrk seeing its 202): every stored message must arrive once.
STORED=$(sqlite3 "$WORK/e2e/hookd.db" "SELECT COUNT(*) FROM messages WHERE event_type = 'bench.e2e'")
wait_lines "$NGX/e2e.log" "$STORED" || true
sleep 1
stop_hookd e2e
sqlite3 "$WORK/e2e/hookd.db" "SELECT id FROM messages WHERE event_type = 'bench.e2e'" >"$WORK/e2e-ids.txt"
STORED=$(wc -l <"$WORK/e2e-ids.txt")
read -r _ E2E_GOT E2E_DUP E2E_FIRST E2E_LAST < <(receipts "$NGX/e2e.log" "$WORK/e2e-ids.txt")
# Deliveries/s while publishing went on (receipts within the publishing window), and overall.
E2E_IN_WINDOW=$(awk -v a="$E2E_T0" -v b="$E2E_T1" '$1 * 1000 >= a && $1 * 1000 <= b { n++ } END { print n + 0 }' "$NGX/e2e.log")
E2E_RATE=$(calc "$E2E_IN_WINDOW / (($E2E_T1 - $E2E_T0) / 1000)")
E2E_LAG=$(calc "($E2E_LAST - $E2E_T1) / 1000" 2)
E2E_OVERALL=$(calc "$E2E_GOT / (($E2E_LAST - $E2E_FIRST) / 1000)")
echo "    receiver: $E2E_GOT of $STORED stored messages ($E2E_OK 202s), $E2E_DUP more than once; last receipt ${E2E_LAG}s after publishing ended"
SUMMARY+=("2. deliveries/s while publishing $E2E_RATE (202s/s $E2E_OK_RPS) / bare $BASE_RPS = $(calc "$E2E_RATE / $BASE_RPS" 3) (goal >= $GOAL_RATIO): $(goal "$E2E_RATE / $BASE_RPS >= $GOAL_RATIO")")
SUMMARY+=("   first -> last receipt, publishing and the drain after it: $E2E_OVERALL/s ($(calc "$E2E_OVERALL / $BASE_RPS" 3) of bare)")
[[ -n $E2E_CPU ]] && SUMMARY+=("   while publishing, $E2E_CPU")
SUMMARY+=("   every 202 delivered: $E2E_GOT of $STORED stored ($E2E_OK 202s), twice or more: $E2E_DUP")
((E2E_NON2XX == 0)) || FAIL+=("phase 2: $E2E_NON2XX publishing requests were not answered 202")
((STORED >= E2E_OK && E2E_GOT == STORED && E2E_DUP == 0)) ||
  FAIL+=("phase 2: $E2E_OK 202s, $STORED stored, $((STORED - E2E_GOT)) not delivered, $E2E_DUP more than once")

# ------------------------------------------------------------------ 3. fan-out
echo "--- 3. fan-out: $FAN_ENDPOINTS endpoints (distinct URLs on one nginx) subscribed to bench.fanout (load $(load_avg))"
start_hookd fanout "$WORK/fanout"
T=$(create_endpoints "$FAN_ENDPOINTS" "{\"url\":\"http://127.0.0.1:$FAN_PORT/f/@I@\",\"event_types\":[\"bench.fanout\"]}" fanout)
echo "    created $FAN_ENDPOINTS endpoints in ${T}s ($(calc "$FAN_ENDPOINTS / $T" 0)/s, 8 connections)"
SUMMARY+=("3. creating $FAN_ENDPOINTS endpoints through the API (8 connections): ${T}s")
# (a) one message: the answer time of the POST (with the endpoint cache warm: a first POST
# would also pay for loading 10,000 endpoints).
printf '{"event_type":"bench.fanout","payload":{"bench":true}}' >"$WORK/fan-msg.json"
: >"$WORK/fan-one.txt"
for i in 1 2 3; do
  curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' -X POST "$HOOKD_BASE/api/v1/messages" -H "$AUTH" \
    -H 'Content-Type: application/json' --data-binary @"$WORK/fan-msg.json" >>"$WORK/fan-one.txt"
  wait_lines "$NGX/fanout.log" $((i * FAN_ENDPOINTS)) || break
done
FAN_ONE=$(awk '{ printf "%s%.0f", (NR > 1 ? ", " : ""), $2 * 1000 }' "$WORK/fan-one.txt")
FAN_ONE_MAX=$(awk '$2 > m { m = $2 } END { printf "%.0f", m * 1000 }' "$WORK/fan-one.txt")
FAN_ONE_OK=$(awk '$1 == 202 { n++ } END { print n + 0 }' "$WORK/fan-one.txt")
echo "    one message to $FAN_ENDPOINTS endpoints, 3 times (each drained before the next): answers in $FAN_ONE ms"
SUMMARY+=("   (a) POST of one message fanned out to $FAN_ENDPOINTS: $FAN_ONE ms (goal <= $GOAL_FANOUT_MS): $(goal "$FAN_ONE_OK == 3 && $FAN_ONE_MAX <= $GOAL_FANOUT_MS")")
# (b) FAN_MESSAGES messages at once.
LINES_BEFORE=$(wc -l <"$NGX/fanout.log")
publish bench.fanout "$FAN_MESSAGES"
awk '{ print $1 }' "$WORK/publish-bench.fanout.txt" >"$WORK/fan-ids.txt"
FAN_WANT=$((FAN_MESSAGES * FAN_ENDPOINTS))
wait_lines "$NGX/fanout.log" $((LINES_BEFORE + FAN_WANT)) || true
sleep 1
stop_hookd fanout
FAN_ANSWERS=$(awk '{ printf "%s%.0f", (NR > 1 ? ", " : ""), $4 }' "$WORK/publish-bench.fanout.txt")
# A delivery is a (webhook-id, endpoint path) pair.
read -r FAN_GOT FAN_DUP FAN_FIRST FAN_LAST < <(awk 'FILENAME == ARGV[1] { want[$1]; next }
  ($2 in want) { if (c[$2, $4]++) { dup++; next } n++; t = $1 * 1000; if (!min || t < min) min = t; if (t > max) max = t }
  END { printf "%d %d %.3f %.3f\n", n, dup, min, max }' "$WORK/fan-ids.txt" "$NGX/fanout.log")
FAN_RATE=$(calc "$FAN_GOT / (($FAN_LAST - $FAN_FIRST) / 1000)")
echo "    $FAN_MESSAGES messages published (answers $FAN_ANSWERS ms): $FAN_GOT of $FAN_WANT deliveries received ($FAN_DUP twice) in $(calc "($FAN_LAST - $FAN_FIRST) / 1000" 2)s"
SUMMARY+=("   (b) $FAN_WANT deliveries drained at $FAN_RATE/s / bare $BASE_RPS = $(calc "$FAN_RATE / $BASE_RPS" 3) (goal >= $GOAL_RATIO): $(goal "$FAN_RATE / $BASE_RPS >= $GOAL_RATIO")")
((FAN_GOT == FAN_WANT && FAN_DUP == 0)) || FAIL+=("phase 3b: $FAN_GOT of $FAN_WANT deliveries received, $FAN_DUP twice")

echo "=================================================================== summary (load $(load_avg))"
for s in "${SUMMARY[@]}"; do echo "  $s"; done
for w in "${WARNINGS[@]}"; do echo "  WARN: $w"; done
if ((${#FAIL[@]} == 0)); then
  echo "  check (every message delivered, none twice): PASS"
else
  for f in "${FAIL[@]}"; do echo "  check: FAIL: $f"; done
  exit 1
fi
