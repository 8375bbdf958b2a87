#!/usr/bin/env bash
# hookd retention soak: the database stays flat while ingest and delivery run past the retention
# window, and what pruning costs ingest, in one run.
#
#   bench/retention.sh <build-dir>
#
# <build-dir> holds `hookd` and `bench_bare_server` (the receiver; or bench/bench_bare_server).
# Two phases on fresh data dirs, the same paced load (wrk + github.lua with BENCH_DELAY_MS) each:
#   1. baseline: HOOKD_RETENTION=off, for BENCH_RETENTION_BASELINE_SECONDS;
#   2. soak: HOOKD_RETENTION=<window> (status log too), prune interval
#      BENCH_RETENTION_INTERVAL, for BENCH_RETENTION_SECONDS; the database + WAL size is sampled
#      every BENCH_RETENTION_SAMPLE seconds.
# Every event becomes a message with one delivery to the receiver, so all five tables grow.
# Environment:
#   BENCH_RETENTION_WINDOW            retention of the soak, seconds (default 30)
#   BENCH_RETENTION_INTERVAL          prune interval (default 1s)
#   BENCH_RETENTION_SECONDS           soak load, seconds (default 180)
#   BENCH_RETENTION_BASELINE_SECONDS  baseline load, seconds (default 60; 0 = skip)
#   BENCH_RETENTION_SAMPLE            seconds between size samples (default 5)
#   BENCH_RETENTION_CONNECTIONS       wrk connections (default 8)
#   BENCH_RETENTION_DELAY_MS          pause of each connection between requests (default 7:
#                                     about 1,000 events/s)
#   BENCH_KEEP=1                      keep the temporary directory
#
# Exit status: non-zero when the database is not flat (the last third's largest size is more
# than 1.2 x the size at the end of the first window), when orphaned rows or rows younger than
# the window are missing, or when a step cannot run. The p99 ratio is informational.
set -euo pipefail

usage() { echo "usage: $0 <build-dir>" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
BUILD_DIR=$(cd "$1" && pwd) || usage
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

WINDOW=${BENCH_RETENTION_WINDOW:-30}
INTERVAL=${BENCH_RETENTION_INTERVAL:-1s}
SOAK_SECONDS=${BENCH_RETENTION_SECONDS:-180}
BASELINE_SECONDS=${BENCH_RETENTION_BASELINE_SECONDS:-60}
SAMPLE=${BENCH_RETENTION_SAMPLE:-5}
CONNS=${BENCH_RETENTION_CONNECTIONS:-8}
DELAY_MS=${BENCH_RETENTION_DELAY_MS:-7}
FLAT_LIMIT=1.2
ADMIN_TOKEN=bench-admin-token-0123456789abcdef
SOURCE_SECRET=benchsecret

for tool in wrk sqlite3 openssl curl awk stat; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: '$tool' is required but not installed" >&2; exit 2; }
done
HOOKD=$BUILD_DIR/hookd
BARE=$BUILD_DIR/bench_bare_server
[[ -x $BARE ]] || BARE=$BUILD_DIR/bench/bench_bare_server
[[ -x $HOOKD ]] || { echo "bench: $HOOKD not found (build hookd first)" >&2; exit 2; }
[[ -x $BARE ]] || { echo "bench: bench_bare_server not found in $BUILD_DIR" >&2; exit 2; }
((SOAK_SECONDS >= 3 * WINDOW)) || { echo "bench: BENCH_RETENTION_SECONDS must be at least 3 x the window" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hookd-retention-bench.XXXXXX")
RECV_PID=""
HOOKD_PID=""
WRK_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n $WRK_PID ]] && { kill -TERM "$WRK_PID" 2>/dev/null || true; wait "$WRK_PID" 2>/dev/null || true; }
  [[ -n $HOOKD_PID ]] && { stop_pid "$HOOKD_PID" 20 || true; }
  [[ -n $RECV_PID ]] && { stop_pid "$RECV_PID" 5 || true; }
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
json_id() { sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p'; }
api() {  # api <path> <json>: POST as admin, prints the body; fails unless 201
  local out status
  out=$(curl -sS --max-time 5 -X POST "$BASE$1" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' -d "$2" -w '\n%{http_code}')
  status=${out##*$'\n'}
  [[ $status == 201 ]] || { echo "bench: POST $1 answered $status: ${out%$'\n'*}" >&2; return 1; }
  printf '%s' "${out%$'\n'*}"
}
# p99 in ms from wrk --latency output
wrk_p99() {
  awk '/^[ \t]+99%/ { v = $2
    if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) }
    else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
    printf "%.2f\n", v }' "$1"
}
wrk_field() {  # wrk_field <file> total|rps|non2xx
  case $2 in
    total) awk '/ requests in / { print $1 }' "$1" ;;
    rps) awk '/Requests\/sec:/ { printf "%.0f\n", $2 }' "$1" ;;
    non2xx) awk '/Non-2xx or 3xx responses:/ { n = $NF } END { print n + 0 }' "$1" ;;
  esac
}
db_bytes() {  # database + WAL
  local db=$1 a b
  a=$(stat -c %s "$db" 2>/dev/null || echo 0)
  b=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
  echo $((a + b))
}
mib() { calc "$1 / 1048576" 1; }
# ingest_buckets: "le=count ..." of hookd_ingest_duration_seconds (cumulative), from /metrics
ingest_buckets() {
  (curl -sS --max-time 5 "$BASE/metrics" 2>/dev/null || true) | awk '/^hookd_ingest_duration_seconds_bucket/ {
    match($0, /le="[^"]*"/); printf "%s=%s ", substr($0, RSTART + 4, RLENGTH - 5), $NF }'
}
# bucket_p99 "<before>" "<after>": the bucket bound (ms) holding the 99th percentile of the
# requests answered between the two snapshots
bucket_p99() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    n = split(b, B, " "); split(a, A, " ")
    for (i = 1; i <= n; i++) { split(B[i], kv, "="); le[i] = kv[1]; after[i] = kv[2]; split(A[i], kva, "="); before[i] = kva[2] + 0 }
    total = after[n] - before[n]; if (total <= 0) { print "?"; exit }
    for (i = 1; i <= n; i++) if (after[i] - before[i] >= 0.99 * total) {
      print (le[i] == "+Inf" ? "inf" : le[i] * 1000) " (" total " requests)"; exit } }'
}

# One signed ~1 KB push body (bench/lib.sh); GitHub signs the body alone.
BODY_FILE=$WORK/body.json
write_push_body "$BODY_FILE"
BODY_SIG=sha256=$(openssl dgst -sha256 -hmac "$SOURCE_SECRET" <"$BODY_FILE" | awk '{print $NF}')

RECV_PORT=$(free_port)
"$BARE" --listen "127.0.0.1:$RECV_PORT" --threads 1 >"$WORK/receiver.log" 2>&1 &
RECV_PID=$!
wait_http "http://127.0.0.1:$RECV_PORT/" "$RECV_PID" 10

# start_hookd <name> <retention>: hookd on a fresh data dir with a github source and an endpoint
# to the receiver; sets BASE, DATA_DIR, INGEST_PATH, HOOKD_PID.
start_hookd() {
  local name=$1 retention=$2 port stream
  port=$(free_port)
  stream=$(free_port)
  DATA_DIR=$WORK/$name
  mkdir -p "$DATA_DIR"
  BASE=http://127.0.0.1:$port
  HOOKD_ADMIN_TOKEN=$ADMIN_TOKEN HOOKD_STREAM_LISTEN=127.0.0.1:$stream HOOKD_ALLOW_PRIVATE_TARGETS=1 \
    HOOKD_RETENTION=$retention HOOKD_RETENTION_INTERVAL=$INTERVAL \
    "$HOOKD" serve --listen "127.0.0.1:$port" --data-dir "$DATA_DIR" >"$WORK/$name.log" 2>&1 &
  HOOKD_PID=$!
  wait_http "$BASE/readyz" "$HOOKD_PID" 30 || { tail -n 30 "$WORK/$name.log" >&2; return 1; }
  local source_id
  source_id=$(api /api/v1/sources "{\"name\":\"bench\",\"provider\":\"github\",\"secret\":\"$SOURCE_SECRET\"}" | json_id)
  api /api/v1/endpoints "{\"url\":\"http://127.0.0.1:$RECV_PORT/hook\"}" >/dev/null
  INGEST_PATH=/ingest/$source_id
}

start_load() {  # start_load <name> <seconds>: wrk in the background, output in $WORK/<name>.wrk
  BENCH_BODY_FILE=$BODY_FILE BENCH_SIG=$BODY_SIG BENCH_PATH=$INGEST_PATH BENCH_KEEPALIVE=1 \
    BENCH_NONCE=$1-$$ BENCH_DELAY_MS=$DELAY_MS \
    wrk -t2 -c"$CONNS" -d"${2}s" --latency -s "$BENCH_DIR/github.lua" "$BASE$INGEST_PATH" \
    >"$WORK/$1.wrk" 2>&1 &
  WRK_PID=$!
}

finish_load() {
  local rc=0
  wait "$WRK_PID" || rc=$?
  WRK_PID=""
  ((rc == 0)) || { cat "$WORK/$1.wrk" >&2; echo "bench: wrk failed ($1)" >&2; return 1; }
}

echo "hookd retention soak: window ${WINDOW}s, prune every $INTERVAL, load ${SOAK_SECONDS}s" \
  "(baseline ${BASELINE_SECONDS}s), wrk -c$CONNS with ${DELAY_MS} ms between requests, $(nproc) CPUs"
echo "load average at start: $(load_avg)"

# ---------------------------------------------------------------- 1. baseline, retention off
BASE_P99="" BASE_RPS="" BASE_BYTES=""
if ((BASELINE_SECONDS > 0)); then
  start_hookd baseline off
  start_load baseline "$BASELINE_SECONDS"
  finish_load baseline
  BASE_BYTES=$(db_bytes "$DATA_DIR/hookd.db")
  # (status 139 here is a crash in Pistache's response writing, seen without retention too)
  stop_pid "$HOOKD_PID" 30 || echo "bench: baseline hookd exited with status $?" >&2
  HOOKD_PID=""
  BASE_P99=$(wrk_p99 "$WORK/baseline.wrk")
  BASE_RPS=$(wrk_field "$WORK/baseline.wrk" rps)
  echo "--- baseline (retention off): $BASE_RPS events/s, ingest p99 $BASE_P99 ms," \
    "database + WAL $(mib "$BASE_BYTES") MiB after ${BASELINE_SECONDS}s"
fi

# ---------------------------------------------------------------- 2. soak, retention on
start_hookd soak "${WINDOW}s"
DB=$DATA_DIR/hookd.db
start_load soak "$SOAK_SECONDS"
T0=$EPOCHREALTIME
SAMPLES=()  # "t bytes"
LAST_T=0 LAST_SEQ=0
# events/s: ingested since the previous sample (events.seq); live rows and size follow it.
printf '\n  %6s %9s %10s %9s %9s %9s %10s %12s\n' "t (s)" "events/s" "db+wal MiB" "wal MiB" "events" "messages" "free pages" "rows pruned"
while kill -0 "$WRK_PID" 2>/dev/null; do
  sleep "$SAMPLE"
  if ! kill -0 "$HOOKD_PID" 2>/dev/null; then
    rc=0
    wait "$HOOKD_PID" || rc=$?
    HOOKD_PID=""
    echo "bench: hookd exited with status $rc during the soak; its log:" >&2
    tail -n 20 "$WORK/soak.log" >&2
    exit 1
  fi
  kill -0 "$WRK_PID" 2>/dev/null || break
  t=$(calc "$EPOCHREALTIME - $T0" 0)
  bytes=$(db_bytes "$DB")
  wal=$(stat -c %s "$DB-wal" 2>/dev/null || echo 0)
  read -r events messages free seq < <(sqlite3 -separator ' ' "file:$DB?mode=ro" \
    'select (select count(*) from events), (select count(*) from messages),
            (select freelist_count from pragma_freelist_count), (select coalesce(max(seq), 0) from events)' \
    2>/dev/null || echo '? ? ? 0')
  rate=$(calc "$t > $LAST_T ? ($seq - $LAST_SEQ) / ($t - $LAST_T) : 0" 0)
  LAST_T=$t LAST_SEQ=$seq
  pruned=$( (curl -sS --max-time 2 "$BASE/metrics" 2>/dev/null || true) |
    awk '/^hookd_retention_pruned_rows_total/ { n += $2 } END { printf "%.0f", n }')
  SAMPLES+=("$t $bytes $events")
  # The ingest latency histogram just before pruning starts, for p99 before and after it.
  if [[ -z ${BUCKETS_AT_WINDOW:-} ]] && ((t + SAMPLE > WINDOW)); then BUCKETS_AT_WINDOW=$(ingest_buckets); fi
  printf '  %6s %9s %10s %9s %9s %9s %10s %12s\n' "$t" "$rate" "$(mib "$bytes")" "$(mib "$wal")" "$events" "$messages" "$free" "$pruned"
done
finish_load soak
BUCKETS_AT_END=$(ingest_buckets)
# The pruner's transactions: how long each held the write lock (its histogram), before hookd stops.
TX_STATS=$(curl -sS --max-time 5 "$BASE/metrics" | awk '
  /^hookd_retention_transaction_seconds_bucket/ { match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5)
    n++; les[n] = le; cum[n] = $NF }
  /^hookd_retention_transaction_seconds_sum/ { sum = $NF }
  /^hookd_retention_transaction_seconds_count/ { count = $NF }
  END {
    if (count == 0) { print "no pruning transactions"; exit }
    p99 = "?"; for (i = 1; i <= n; i++) if (cum[i] >= 0.99 * count) { p99 = les[i]; break }
    within5 = 0; for (i = 1; i <= n; i++) if (les[i] == "0.005") within5 = cum[i]
    printf "%d transactions, mean %.2f ms, 99%% within %s s, %.1f%% within 5 ms", count, sum / count * 1000, p99, within5 / count * 100 }')
SOAK_P99=$(wrk_p99 "$WORK/soak.wrk")
SOAK_RPS=$(wrk_field "$WORK/soak.wrk" rps)
NON2XX=$(($(wrk_field "$WORK/soak.wrk" non2xx) + $( [[ -f $WORK/baseline.wrk ]] && wrk_field "$WORK/baseline.wrk" non2xx || echo 0)))
END_MS=$(calc "$EPOCHREALTIME * 1000" 0)
stop_pid "$HOOKD_PID" 30 || echo "bench: soak hookd exited with status $?" >&2
HOOKD_PID=""

# ---------------------------------------------------------------- 3. checks
# Reference: the sample at the end of the first window (pruning has had nothing to do before).
read -r REF REF_EVENTS < <(printf '%s\n' "${SAMPLES[@]}" | awk -v w="$WINDOW" '$1 >= w { print $2, $3; exit }')
# Live events at the last third's largest size: the size follows the rows held, which follow the
# ingest rate; bytes per live event shows whether the file grew beyond them.
LAST_EVENTS=$(printf '%s\n' "${SAMPLES[@]}" | awk -v end="$SOAK_SECONDS" '$1 >= 2 * end / 3 && $2 >= max { max = $2; ev = $3 } END { print ev + 0 }')
read -r MID_MAX LAST_MAX < <(printf '%s\n' "${SAMPLES[@]}" | awk -v end="$SOAK_SECONDS" '
  $1 >= end / 3 && $1 < 2 * end / 3 && $2 > mid { mid = $2 }
  $1 >= 2 * end / 3 && $2 > last { last = $2 }
  END { print mid + 0, last + 0 }')
ORPHANS=$(sqlite3 "$DB" "select
  (select count(*) from deliveries where message_id not in (select id from messages)) +
  (select count(*) from attempts where delivery_id not in (select id from deliveries)) +
  (select count(*) from messages where event_id is not null and event_id not in (select id from events))")
# Everything acknowledged within the window before the end must still be there (a 2 s margin for
# requests in flight and the clock reads); older rows may be gone.
YOUNG_LIMIT=$((END_MS - WINDOW * 1000 + 2000))
OLDEST_EVENT=$(sqlite3 "$DB" 'select coalesce(min(received_at), 0) from events')
PENDING=$(sqlite3 "$DB" "select count(*) from deliveries where status in ('pending', 'retrying')")
RATIO=$(calc "$REF > 0 ? $LAST_MAX / $REF : 0" 2)
MID_RATIO=$(calc "$MID_MAX > 0 ? $LAST_MAX / $MID_MAX : 0" 2)

echo
echo "============================== hookd retention soak summary =============================="
printf '  %-44s %10s %10s %14s\n' "" "events/s" "p99 ms" "db+wal MiB"
[[ -n $BASE_P99 ]] && printf '  %-44s %10s %10s %14s\n' "retention off (${BASELINE_SECONDS}s)" "$BASE_RPS" "$BASE_P99" "$(mib "$BASE_BYTES") at end"
printf '  %-44s %10s %10s %14s\n' "retention ${WINDOW}s (${SOAK_SECONDS}s)" "$SOAK_RPS" "$SOAK_P99" "$(mib "$LAST_MAX") max, last 1/3"
[[ -n $BASE_P99 ]] && echo "  ingest p99 (wrk) with pruning / without: $(calc "$BASE_P99 > 0 ? $SOAK_P99 / $BASE_P99 : 0" 2) (informational)"
echo "  ingest p99 in hookd's histogram (bucket bound, ms): first window, before any pruning:" \
  "$(bucket_p99 "" "$BUCKETS_AT_WINDOW"); after it, pruning: $(bucket_p99 "$BUCKETS_AT_WINDOW" "$BUCKETS_AT_END")"
echo "  size at the end of the first window: $(mib "${REF:-0}") MiB; largest in the middle third: $(mib "$MID_MAX") MiB;" \
  "in the last third: $(mib "$LAST_MAX") MiB"
echo "  last third / first window: $RATIO (limit $FLAT_LIMIT); last third / middle third: $MID_RATIO"
echo "  bytes per live event: $(calc "${REF_EVENTS:-0} > 0 ? ${REF:-0} / $REF_EVENTS : 0" 0) at the end of the first window," \
  "$(calc "$LAST_EVENTS > 0 ? $LAST_MAX / $LAST_EVENTS : 0" 0) at the last third's largest size"
echo "  pruner write-lock hold: $TX_STATS"
echo "  orphaned rows: $ORPHANS; deliveries still pending or retrying: $PENDING; non-2xx answers: $NON2XX"
echo "  load average at the end: $(load_avg)"

FAIL=()
[[ -n $REF ]] || FAIL+=("no sample after the first window")
awk "BEGIN { exit !($RATIO <= $FLAT_LIMIT) }" || FAIL+=("database not flat: last third / first window = $RATIO > $FLAT_LIMIT")
((ORPHANS == 0)) || FAIL+=("$ORPHANS orphaned rows")
((OLDEST_EVENT <= YOUNG_LIMIT)) || FAIL+=("events younger than the window were pruned (oldest $OLDEST_EVENT ms > $YOUNG_LIMIT)")
((NON2XX == 0)) || FAIL+=("hookd answered non-2xx to $NON2XX requests")
if ((${#FAIL[@]} == 0)); then
  echo "  check (flat, no orphans, nothing younger than the window pruned, no errors): PASS"
  echo "=========================================================================================="
else
  for f in "${FAIL[@]}"; do echo "  check: FAIL: $f"; done
  echo "=========================================================================================="
  exit 1
fi
