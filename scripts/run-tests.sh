#!/usr/bin/env bash
# Runs every test suite against a built tree and ends with one summary.
# Usage: scripts/run-tests.sh <build-dir>
# HOOKD_TEST_SUITES picks suites (default: "ctest e2e package format"); CTEST_ARGS adds ctest
# arguments (e.g. CTEST_ARGS="-R Pg").
set -uo pipefail
build="$(cd "${1:?build dir}" && pwd)"
top="$(cd "$(dirname "$0")/.." && pwd)"
suites="${HOOKD_TEST_SUITES:-ctest e2e package format}"
declare -A result
failed=0
wants() { [[ " $suites " == *" $1 "* ]]; }

# A throwaway PostgreSQL for the PostgreSQL tests (scripts/pg-cluster.sh), stopped after ctest
# and, whatever happens, on exit.
pg_dir=""
stop_pg() {
  if [ -n "$pg_dir" ]; then "$top/scripts/pg-cluster.sh" stop "$pg_dir" || true; pg_dir=""; fi
}
trap stop_pg EXIT
trap 'exit 130' INT TERM

if wants ctest; then
  echo "== PostgreSQL for the tests (scripts/pg-cluster.sh)"
  pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/hookd-pg-XXXXXX")"
  pg_start=$(date +%s%N)
  if HOOKD_TEST_PG_URL="$("$top/scripts/pg-cluster.sh" start "$pg_dir")"; then
    export HOOKD_TEST_PG_URL
    echo "started $HOOKD_TEST_PG_URL in $(( ($(date +%s%N) - pg_start) / 1000000 )) ms"
  else
    echo "could not start PostgreSQL: its tests are skipped and the run fails"
    result[postgres]=FAILED; failed=1
  fi

  echo "== unit and integration tests (ctest)"
  # shellcheck disable=SC2086
  if ctest --test-dir "$build" --output-on-failure -j 2 --timeout 120 ${CTEST_ARGS:-}; then
    result[ctest]=passed
  else result[ctest]=FAILED; failed=1; fi
  pg_stop=$(date +%s%N)
  stop_pg
  unset HOOKD_TEST_PG_URL
  echo "PostgreSQL stopped in $(( ($(date +%s%N) - pg_stop) / 1000000 )) ms"
fi

if wants e2e; then
  echo "== end-to-end tests (the built binary, providers' npm libraries)"
  if HOOKD_BIN="$build/hookd" "$top/tests/e2e/run.sh"; then result[e2e]=passed
  else result[e2e]=FAILED; failed=1; fi
fi

if wants package; then
  echo "== package (make-deb.sh, dpkg -i, the installed binary, systemd-analyze, dpkg --purge)"
  if [ "$(id -u)" -ne 0 ]; then
    echo "skipped: installing a package needs root"; result[package]="skipped (needs root)"
  elif "$top/tests/package/package_test.sh" "$build"; then result[package]=passed
  else result[package]=FAILED; failed=1; fi
fi

if wants format; then
  echo "== format check (clang-format)"
  if (cd "$top" && git ls-files '*.cc' '*.h' | xargs clang-format --dry-run -Werror); then
    result[format]=passed
  else result[format]=FAILED; failed=1; fi
fi

echo
echo "== summary"
for k in postgres ctest e2e package format; do
  [ -n "${result[$k]:-}" ] && printf '  %-8s %s\n' "$k" "${result[$k]}"
done
[ $failed -eq 0 ] && echo "ALL TESTS PASSED" || echo "SOME TESTS FAILED"
exit $failed
