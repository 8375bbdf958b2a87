#!/usr/bin/env bash
# Installs what hookd needs from Debian's packages (and the e2e tests' npm packages are
# installed by tests/e2e/run.sh). Only missing packages are installed; safe to run repeatedly.
# Usage: scripts/install-deps.sh [build|test|bench|fuzz]
set -euo pipefail
what="${1:-build}"

pkgs=(build-essential cmake pkg-config libpistache-dev libcpp-httplib-dev libsqlite3-dev
      libssl-dev prometheus-cpp-dev nlohmann-json3-dev libboost-dev libgtest-dev libgmock-dev
      libjemalloc-dev libjs-chart.js libpq-dev)
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
# Node for the end-to-end tests: any node >= 18 on PATH will do; otherwise Debian's.
if [ "$what" = test ] && ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi
if [ "$what" = test ] && ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
