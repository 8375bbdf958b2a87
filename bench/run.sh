#!/usr/bin/env bash
# hookd ingest benchmark: hookd vs a bare Pistache server, in one run.
#
#   bench/run.sh <build-dir>
#
# <build-dir> holds `hookd` and `bench_bare_server` (or bench/bench_bare_server).
# Environment:
#   BENCH_SECONDS       wrk duration per run (default 10)
#   BENCH_CONNECTIONS   wrk connections (default 64)
#   BENCH_WRK_THREADS   wrk threads (default 2)
#   BENCH_SERVER_THREADS  bare server threads (default 2, like hookd's default)
#   BENCH_WARMUP_SECONDS  unmeasured hookd warm-up run before the measured ones (default 2, 0 = none)
#   BENCH_KEEP=1        keep the temporary directory (database, wrk outputs, hookd log)
#
# Exit status: non-zero when the correctness check fails (hookd rejected requests, or the
# database holds fewer events than hookd acknowledged) or when a step cannot run.
# Throughput goals are informational only.
set -euo pipefail

usage() { echo "usage: $0 <build-dir>" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
BUILD_DIR=$(cd "$1" && pwd) || usage
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
SERVER_THREADS=${BENCH_SERVER_THREADS:-2}
WARMUP_SECONDS=${BENCH_WARMUP_SECONDS:-2}
ADMIN_TOKEN=bench-admin-token-0123456789abcdef
SOURCE_SECRET=benchsecret

GOAL_KA=0.15          # hookd keep-alive events/s  / bare keep-alive req/s
GOAL_NOHDR=0.5        # hookd no-header events/s   / hookd keep-alive events/s
GOAL_NOHDR_BARE=0.15  # hookd no-header events/s   / bare keep-alive req/s (same bar as keep-alive)

for tool in wrk sqlite3 openssl curl awk; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: '$tool' is required but not installed" >&2; exit 2; }
done

HOOKD=$BUILD_DIR/hookd
BARE=$BUILD_DIR/bench_bare_server
[[ -x $BARE ]] || BARE=$BUILD_DIR/bench/bench_bare_server
[[ -x $HOOKD ]] || { echo "bench: $HOOKD not found (build hookd first)" >&2; exit 2; }
[[ -x $BARE ]] || { echo "bench: bench_bare_server not found in $BUILD_DIR (build with HOOKD_BUILD_BENCH=ON)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hookd-bench.XXXXXX")
BARE_PID=""
HOOKD_PID=""
WRK_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n $WRK_PID ]] && { kill -TERM "$WRK_PID" 2>/dev/null || true; wait "$WRK_PID" 2>/dev/null || true; }
  [[ -n $BARE_PID ]] && { stop_pid "$BARE_PID" 5 || true; }
  [[ -n $HOOKD_PID ]] && { stop_pid "$HOOKD_PID" 10 || true; }
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

connection_header() {  # what the server answers to a request without a Connection header
  curl -sS -o /dev/null -D - --max-time 2 "$@" 2>/dev/null | tr -d '\r' |
    awk -F': *' 'tolower($1)=="connection"{print $2; f=1} END{if(!f) print "(none)"}'
}

run_wrk() {  # run_wrk <label> <outfile> <seconds> <wrk args...>
  local label=$1 out=$2 secs=$3; shift 3
  echo "--- $label"
  # In the background + wait, so SIGINT/SIGTERM reach the trap at once instead of after wrk.
  wrk -t"$WRK_THREADS" -c"$CONNS" -d"${secs}s" --latency "$@" >"$out" 2>&1 &
  WRK_PID=$!
  local rc=0
  wait "$WRK_PID" || rc=$?
  WRK_PID=""
  if ((rc != 0)); then cat "$out" >&2; echo "bench: wrk failed ($label)" >&2; return 1; fi
  sed 's/^/    /' "$out"
}

echo "hookd bench: ${SECONDS_PER_RUN}s per run, wrk -t$WRK_THREADS -c$CONNS, $(nproc 2>/dev/null || echo '?') CPUs"
echo "work dir: $WORK"
LOAD_START=$(load_avg)
echo "load average at start: $LOAD_START (other work on the machine skews the numbers)"

# ---------------------------------------------------------------- a. bare Pistache server
BARE_PORT=$(free_port)
"$BARE" --listen "127.0.0.1:$BARE_PORT" --threads "$SERVER_THREADS" >"$WORK/bare.log" 2>&1 &
BARE_PID=$!
wait_http "http://127.0.0.1:$BARE_PORT/" "$BARE_PID" 10
BARE_CONN_HDR=$(connection_header "http://127.0.0.1:$BARE_PORT/")
echo "bare server on :$BARE_PORT answers a request without Connection header with: Connection: $BARE_CONN_HDR"

run_wrk "bare, Connection: keep-alive" "$WORK/bare_ka.txt" "$SECONDS_PER_RUN" -H 'Connection: keep-alive' "http://127.0.0.1:$BARE_PORT/"
sleep 1
run_wrk "bare, no Connection header" "$WORK/bare_nohdr.txt" "$SECONDS_PER_RUN" "http://127.0.0.1:$BARE_PORT/"
read -r BARE_KA_RPS BARE_KA_P99 _ _ _ BARE_KA_SOCKERR < <(parse_wrk "$WORK/bare_ka.txt")
read -r BARE_NH_RPS BARE_NH_P99 _ _ _ BARE_NH_SOCKERR < <(parse_wrk "$WORK/bare_nohdr.txt")
stop_pid "$BARE_PID" 5 || echo "bench: bare server exited with status $?" >&2
BARE_PID=""
sleep 1

# ---------------------------------------------------------------- b. hookd
HOOKD_PORT=$(free_port)
STREAM_PORT=$(free_port)
DATA_DIR=$WORK/data
mkdir -p "$DATA_DIR"
BASE=http://127.0.0.1:$HOOKD_PORT
# HOOKD_STREAM_LISTEN keeps the stream listener off the default :8081 (which a dev instance may hold).
HOOKD_ADMIN_TOKEN=$ADMIN_TOKEN HOOKD_STREAM_LISTEN=127.0.0.1:$STREAM_PORT \
  "$HOOKD" serve --listen "127.0.0.1:$HOOKD_PORT" --data-dir "$DATA_DIR" >"$WORK/hookd.log" 2>&1 &
HOOKD_PID=$!
if ! wait_http "$BASE/readyz" "$HOOKD_PID" 30; then
  echo "--- hookd log:" >&2; tail -n 30 "$WORK/hookd.log" >&2; exit 1
fi

SOURCE_JSON=$(curl -sS --max-time 5 -X POST "$BASE/api/v1/sources" \
  -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
  -d "{\"name\":\"bench\",\"provider\":\"github\",\"secret\":\"$SOURCE_SECRET\"}" \
  -w '\n%{http_code}')
SOURCE_STATUS=${SOURCE_JSON##*$'\n'}
SOURCE_JSON=${SOURCE_JSON%$'\n'*}
if [[ $SOURCE_STATUS != 201 ]]; then
  echo "bench: POST /api/v1/sources answered $SOURCE_STATUS: $SOURCE_JSON" >&2; exit 1
fi
if command -v python3 >/dev/null 2>&1; then
  SOURCE_ID=$(printf '%s' "$SOURCE_JSON" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
else
  SOURCE_ID=$(printf '%s' "$SOURCE_JSON" | sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p')
fi
[[ -n $SOURCE_ID ]] || { echo "bench: no id in $SOURCE_JSON" >&2; exit 1; }
INGEST_PATH=/ingest/$SOURCE_ID
HOOKD_CONN_HDR=$(connection_header "$BASE/readyz")
echo "hookd on :$HOOKD_PORT, source $SOURCE_ID; a request without Connection header gets: Connection: $HOOKD_CONN_HDR"

# A ~1 KB push-like body; GitHub signs the body alone.
BODY_FILE=$WORK/body.json
write_push_body "$BODY_FILE"
BODY_SIG=sha256=$(openssl dgst -sha256 -hmac "$SOURCE_SECRET" <"$BODY_FILE" | awk '{print $NF}')
echo "body: $(wc -c <"$BODY_FILE") bytes, X-Hub-Signature-256: $BODY_SIG"

# One signed request by hand first, so a verification problem shows up before 2 x wrk.
RUN_ID=$$-$(date +%s)
PROBE_STATUS=$(curl -sS -o "$WORK/probe.json" -w '%{http_code}' --max-time 5 -X POST "$BASE$INGEST_PATH" \
  -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' \
  -H "X-GitHub-Delivery: probe-$RUN_ID" -H "X-Hub-Signature-256: $BODY_SIG" \
  --data-binary "@$BODY_FILE")
if [[ $PROBE_STATUS != 202 ]]; then
  echo "bench: probe ingest answered $PROBE_STATUS (want 202): $(cat "$WORK/probe.json")" >&2; exit 1
fi
PROBE_ROWS=1

export BENCH_BODY_FILE=$BODY_FILE BENCH_SIG=$BODY_SIG BENCH_PATH=$INGEST_PATH
# A short unmeasured warm-up so the first measured run does not pay for a cold database
# (file growth, first WAL checkpoints). Its acknowledged events are still checked below.
WARM_OK=0
WARM_NON2XX=0
if ((WARMUP_SECONDS > 0)); then
  BENCH_KEEPALIVE=1 BENCH_NONCE=warm-$RUN_ID \
    run_wrk "hookd warm-up (not measured)" "$WORK/hookd_warmup.txt" "$WARMUP_SECONDS" -s "$BENCH_DIR/github.lua" "$BASE$INGEST_PATH"
  read -r _ _ WARM_TOTAL _ WARM_NON2XX _ < <(parse_wrk "$WORK/hookd_warmup.txt")
  WARM_OK=$((WARM_TOTAL - WARM_NON2XX))
  sleep 1
fi
BENCH_KEEPALIVE=1 BENCH_NONCE=ka-$RUN_ID \
  run_wrk "hookd ingest, Connection: keep-alive" "$WORK/hookd_ka.txt" "$SECONDS_PER_RUN" -s "$BENCH_DIR/github.lua" "$BASE$INGEST_PATH"
sleep 1
BENCH_KEEPALIVE=0 BENCH_NONCE=nh-$RUN_ID \
  run_wrk "hookd ingest, no Connection header" "$WORK/hookd_nohdr.txt" "$SECONDS_PER_RUN" -s "$BENCH_DIR/github.lua" "$BASE$INGEST_PATH"

# ---------------------------------------------------------------- c. parse
read -r _ HK_KA_P99 HK_KA_TOTAL HK_KA_DUR HK_KA_NON2XX HK_KA_SOCKERR < <(parse_wrk "$WORK/hookd_ka.txt")
read -r _ HK_NH_P99 HK_NH_TOTAL HK_NH_DUR HK_NH_NON2XX HK_NH_SOCKERR < <(parse_wrk "$WORK/hookd_nohdr.txt")
HK_KA_OK=$((HK_KA_TOTAL - HK_KA_NON2XX))
HK_NH_OK=$((HK_NH_TOTAL - HK_NH_NON2XX))
calc() { awk "BEGIN { printf \"%.${2:-1}f\", ($1) }"; }
HK_KA_EPS=$(calc "$HK_KA_DUR > 0 ? $HK_KA_OK / $HK_KA_DUR : 0")
HK_NH_EPS=$(calc "$HK_NH_DUR > 0 ? $HK_NH_OK / $HK_NH_DUR : 0")

# ---------------------------------------------------------------- d. stop hookd, count rows
HOOKD_RC=0
stop_pid "$HOOKD_PID" 30 || HOOKD_RC=$?
HOOKD_PID=""
DB_ROWS=$(sqlite3 "$DATA_DIR/hookd.db" 'select count(*) from events') || {
  echo "bench: could not count events in $DATA_DIR/hookd.db" >&2; exit 1; }
ACKED=$((HK_KA_OK + HK_NH_OK + WARM_OK + PROBE_ROWS))
NON2XX=$((HK_KA_NON2XX + HK_NH_NON2XX + WARM_NON2XX))

# ---------------------------------------------------------------- e. summary
ratio_line() {  # ratio_line <label> <num> <den> <goal>
  local r verdict
  r=$(calc "$3 > 0 ? $2 / $3 : 0" 3)
  verdict=$(awk "BEGIN { print (($r >= $4) ? \"GOAL MET\" : \"GOAL MISSED\") }")
  printf '  %-40s %8s   goal >= %-5s %s\n' "$1" "$r" "$4" "$verdict"
}

echo
echo "================================ hookd bench summary ================================"
printf '  %-40s %12s %10s %10s\n' "" "req|ev /s" "p99 ms" "sock err"
printf '  %-40s %12.0f %10.2f %10d\n' "bare Pistache, keep-alive (req/s)" "$BARE_KA_RPS" "$BARE_KA_P99" "$BARE_KA_SOCKERR"
printf '  %-40s %12.0f %10.2f %10d\n' "bare Pistache, no Connection (req/s)" "$BARE_NH_RPS" "$BARE_NH_P99" "$BARE_NH_SOCKERR"
printf '  %-40s %12.0f %10.2f %10d\n' "hookd ingest, keep-alive (events/s)" "$HK_KA_EPS" "$HK_KA_P99" "$HK_KA_SOCKERR"
printf '  %-40s %12.0f %10.2f %10d\n' "hookd ingest, no Connection (events/s)" "$HK_NH_EPS" "$HK_NH_P99" "$HK_NH_SOCKERR"
echo "  Connection header answered to a request without one: bare '$BARE_CONN_HDR', hookd '$HOOKD_CONN_HDR'"
echo "  load average before the runs: $LOAD_START (others' work on the machine; wrk shares the CPUs with the server)"
echo
ratio_line "hookd keep-alive / bare keep-alive" "$HK_KA_EPS" "$BARE_KA_RPS" "$GOAL_KA"
ratio_line "hookd no-header / hookd keep-alive" "$HK_NH_EPS" "$HK_KA_EPS" "$GOAL_NOHDR"
ratio_line "hookd no-header / bare keep-alive" "$HK_NH_EPS" "$BARE_KA_RPS" "$GOAL_NOHDR_BARE"
echo
echo "  hookd responses: keep-alive $HK_KA_TOTAL (non-2xx $HK_KA_NON2XX), no-header $HK_NH_TOTAL (non-2xx $HK_NH_NON2XX), warm-up $((WARM_OK + WARM_NON2XX)) (non-2xx $WARM_NON2XX)"
if ((DB_ROWS >= ACKED)); then
  EXTRA="$((DB_ROWS - ACKED)) more: requests in flight when wrk stopped"
else
  EXTRA="$((ACKED - DB_ROWS)) MISSING"
fi
echo "  events acknowledged (2xx incl. warm-up and 1 probe): $ACKED; rows in events table: $DB_ROWS ($EXTRA)"
if [[ $HOOKD_RC -ne 0 ]]; then
  echo "  WARN: hookd exited with status $HOOKD_RC after SIGTERM (expected 0)"
fi

FAIL=()
((NON2XX == 0)) || FAIL+=("hookd answered non-2xx (>= 400) to $NON2XX requests")
((DB_ROWS >= ACKED)) || FAIL+=("only $DB_ROWS events stored but $ACKED acknowledged")
if ((${#FAIL[@]} == 0)); then
  echo "  check (no non-2xx, every acknowledged event stored): PASS"
  echo "====================================================================================="
else
  for f in "${FAIL[@]}"; do echo "  check: FAIL: $f"; done
  echo "====================================================================================="
  exit 1
fi
