#!/usr/bin/env bash
# Applications at scale (issue: applications): 100,000 applications with one endpoint each plus
# one with 10,000 endpoints. Reports start-up time (process start to /readyz 200) and RSS against
# the same hookd on an empty database, one publish to the big application, and publishing to a
# random small application at a fixed rate (bench/fixed_rate.mjs, open loop: latency counts from
# when each request was due) beside the same rate against a database of BENCH_BASE_APPS
# applications of the same shape and beside the same loader against nginx answering 204 (the
# floor the machine and the loader give), and under wrk's saturating load.
#
#   bench/apps_scale.sh <build-dir>
#
# Environment: BENCH_APPS [100000], BENCH_BIG_ENDPOINTS [10000], BENCH_BASE_APPS [100],
# BENCH_RATE [1000], BENCH_SECONDS [10], BENCH_CONNECTIONS [4], BENCH_KEEP=1 keeps the temporary
# directory.
# The rows are written with sqlite3 straight into a migrated database (the API would resolve and
# check 110,000 URLs first). Every endpoint points at Debian's nginx answering 204 (one worker),
# so each publish is also one successful delivery, the same work in every database.
set -euo pipefail

usage() { echo "usage: $0 <build-dir>" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
BUILD_DIR=$(cd "$1" && pwd) || usage
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
APPS=${BENCH_APPS:-100000}
BIG=${BENCH_BIG_ENDPOINTS:-10000}
SECONDS_RUN=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-4}
BASE_APPS=${BENCH_BASE_APPS:-100}
RATE=${BENCH_RATE:-1000}
TOKEN=bench-token-0123456789abcdefghijklmnop
work=$(mktemp -d)
pid=""

NGINX=$(command -v nginx 2>/dev/null || true)
[[ -n $NGINX ]] || { [[ -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx; }
[[ -n $NGINX ]] || { echo "bench: nginx is required (scripts/install-deps.sh bench installs Debian's)" >&2; exit 2; }
NGX=$work/nginx
mkdir -p "$NGX/tmp"
RX_PORT=$(free_port)
BARE_PORT=$(free_port)
USER_LINE=""
[[ $(id -u) == 0 ]] && USER_LINE="user $(id -un) $(id -gn);"
sed -e "s|@PREFIX@|$NGX|g" -e "s|@USER@|$USER_LINE|" -e "s|@BASELINE_PORT@|$BARE_PORT|" \
  -e "s|@THROUGHPUT_PORT@|$RX_PORT|" -e "s|@LATENCY_PORT@|$(free_port)|" \
  "$BENCH_DIR/nginx.conf.in" >"$NGX/nginx.conf"
"$NGINX" -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" >"$NGX/stdout.log" 2>&1 &
nginx_pid=$!
trap 'kill "$nginx_pid" 2>/dev/null || true; [[ -n "${BENCH_KEEP:-}" ]] || rm -rf "$work"' EXIT
wait_http "http://127.0.0.1:$RX_PORT/" "$nginx_pid" 10

start() {  # start <data-dir>: starts hookd; sets pid, BASE and READY_MS (start to /readyz 200)
  local port stream t0
  port=$(free_port)
  stream=$(free_port)
  t0=$(date +%s%N)
  HOOKD_ADMIN_TOKEN=$TOKEN HOOKD_ALLOW_PRIVATE_TARGETS=1 "$BUILD_DIR/hookd" serve --data-dir "$1" \
    --listen "127.0.0.1:$port" --stream-listen "127.0.0.1:$stream" >"$1.log" 2>&1 &
  pid=$!
  BASE="http://127.0.0.1:$port"
  wait_http "$BASE/readyz" "$pid" 60
  READY_MS=$((($(date +%s%N) - t0) / 1000000))
}
rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

seed() {  # seed <data-dir> <applications> <endpoints of app "big">: migrates, then writes rows
  start "$1"
  stop_pid "$pid" 10 || true
  sqlite3 "$1/hookd.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO applications (id, uid, name, created_at, updated_at)
  SELECT printf('app_%026d', i), 'u' || i, 'Customer ' || i, 0, 0 FROM n;
INSERT INTO applications (id, uid, name, created_at, updated_at) VALUES ('app_big', 'big', 'Big', 0, 0);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO endpoints (id, app_id, url, secret, created_at, updated_at)
  SELECT printf('ep_%026d', i), printf('app_%026d', i), 'http://127.0.0.1:$RX_PORT/hook',
         'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 0, 0 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $3)
INSERT INTO endpoints (id, app_id, url, secret, created_at, updated_at)
  SELECT printf('ep_big%023d', i), 'app_big', 'http://127.0.0.1:$RX_PORT/hook',
         'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 0, 0 FROM n;
COMMIT;
SQL
}
cpu_ms() { awk '{ printf "%.0f", ($14 + $15) * 1000 / '"$(getconf CLK_TCK)"' }' "/proc/$1/stat"; }
fixed_rate() {  # fixed_rate <applications>: the loader's JSON line, plus hookd's CPU ms
  local c0 line
  c0=$(cpu_ms "$pid")
  line=$(node "$BENCH_DIR/fixed_rate.mjs" "$BASE" "$TOKEN" "$1" "$RATE" "$SECONDS_RUN")
  echo "$line hookd_cpu_ms=$(($(cpu_ms "$pid") - c0))"
}

# The floor: the same loader at the same rate against nginx answering 204 (no hookd at all); on
# two shared cores the loader's own scheduling shows in the tail.
bare_rate=$(node "$BENCH_DIR/fixed_rate.mjs" "http://127.0.0.1:$BARE_PORT" "$TOKEN" 100 "$RATE" "$SECONDS_RUN")

# Baseline: an empty database, and one of BASE_APPS applications of the same shape.
mkdir -p "$work/empty" "$work/base" "$work/full"
start "$work/empty"
empty_ms=$READY_MS
empty_rss=$(rss_mib "$pid")
stop_pid "$pid" 10 || true
seed "$work/base" "$BASE_APPS" 0
start "$work/base"
base_rate=$(fixed_rate "$BASE_APPS")
stop_pid "$pid" 20 || true

seed "$work/full" "$APPS" "$BIG"
start "$work/full"
full_ms=$READY_MS
full_rss=$(rss_mib "$pid")

full_rate=$(fixed_rate "$APPS")
big_ms=$(curl -s -o "$work/big.json" -w '%{time_total}' -X POST "$BASE/api/v1/apps/big/messages" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"event_type":"order.created","payload":{"id":1}}' | awk '{ printf "%.0f", $1 * 1000 }')
grep -q "\"deliveries\":$BIG" "$work/big.json" || { echo "big publish: $(cat "$work/big.json")" >&2; exit 1; }
BENCH_TOKEN=$TOKEN BENCH_APPS=$APPS wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_RUN}s" --latency \
  -s "$BENCH_DIR/apps_publish.lua" "$BASE" >"$work/wrk.txt"
after_rss=$(rss_mib "$pid")
stop_pid "$pid" 20 || true

echo "== applications at scale: $APPS applications x 1 endpoint + 1 x $BIG endpoints (load $(load_avg))"
printf '  start-up to ready: %s ms (empty database: %s ms)\n' "$full_ms" "$empty_ms"
printf '  RSS when ready: %s MiB (empty database: %s MiB); after the publishes: %s MiB\n' \
  "$full_rss" "$empty_rss" "$after_rss"
printf '  one publish to the application with %s endpoints: %s ms\n' "$BIG" "$big_ms"
echo "  publishing to random small applications at $RATE/s for ${SECONDS_RUN}s (open loop):"
echo "    $APPS applications: $full_rate"
echo "    $BASE_APPS applications: $base_rate"
echo "    bare nginx (return 204), the loader's floor: $bare_rate"
echo "  publishing to random small applications ($CONNECTIONS connections, ${SECONDS_RUN}s, wrk):"
grep -E 'Requests/sec|^ +(50|75|90|99)%|Non-2xx' "$work/wrk.txt" | sed 's/^/    /'
