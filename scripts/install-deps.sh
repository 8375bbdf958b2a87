#!/usr/bin/env bash
# Installs what hookd needs from Debian's packages, then Redoc's bundle for the API reference page
# (web/redoc, with npm, as pinned by its package-lock.json; the e2e tests' npm packages are
# installed by tests/e2e/run.sh). Only what is missing is installed; safe to run repeatedly.
# Usage: scripts/install-deps.sh [build|test|bench|fuzz]
set -euo pipefail
what="${1:-build}"

# python3-yaml converts docs/openapi.yaml to the JSON hookd serves (cmake/openapi_embed.py).
pkgs=(build-essential cmake pkg-config libpistache-dev libcpp-httplib-dev libsqlite3-dev
      libssl-dev prometheus-cpp-dev nlohmann-json3-dev libboost-dev libgtest-dev libgmock-dev
      libjemalloc-dev libjs-chart.js python3 python3-yaml libpq-dev)
case "$what" in
  # prometheus: its promtool checks deploy/prometheus/hookd-alerts.yml (tests/e2e/metrics.test.mjs).
  # systemd: systemd-analyze for the package test (tests/package/package_test.sh).
  # postgresql-15: the throwaway cluster the PostgreSQL tests run against (scripts/pg-cluster.sh).
  test) pkgs+=(clang-format curl chromium nginx openssl prometheus systemd postgresql-15) ;;
  bench) pkgs+=(wrk sqlite3 openssl curl nginx) ;;
  # clang and its compiler-rt (libFuzzer and the sanitizer runtimes) for the fuzz preset.
  fuzz) pkgs+=(clang libclang-rt-dev) ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node and npm for Redoc's bundle and the end-to-end tests: any node >= 18 on PATH will do;
# otherwise Debian's.
if [ "$what" != fuzz ] && ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi
if [ "$what" != fuzz ] && ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  # The tests start their own throwaway cluster: Debian's default one (created and started on
  # port 5432 when the server is installed) would only sit there using memory.
  if [[ " ${missing[*]} " == *" postgresql-15 "* ]] && [ ! -d /var/lib/postgresql/15/main ]; then
    $sudo mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" |
      $sudo tee /etc/postgresql-common/createcluster.d/hookd-no-main-cluster.conf >/dev/null
  fi
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Redoc's standalone bundle, embedded by the build to render /docs. Without npm or the registry
# the build goes on, and /docs links to /api/v1/openapi.json instead (docs/DECISIONS.md, "The API
# description").
redoc="$(cd "$(dirname "${BASH_SOURCE[0]}")/../web/redoc" && pwd)"
bundle="$redoc/node_modules/redoc/bundles/redoc.standalone.js"
if [ "$what" != fuzz ] && { [ ! -f "$bundle" ] || [ "$redoc/package-lock.json" -nt "$bundle" ]; }; then
  if command -v npm >/dev/null 2>&1 &&
     (cd "$redoc" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error); then
    touch "$bundle"
  else
    echo "warning: Redoc's bundle could not be installed (npm ci in web/redoc);" \
         "/docs will link to /api/v1/openapi.json without rendering it" >&2
  fi
fi
