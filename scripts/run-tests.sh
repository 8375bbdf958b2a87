#!/usr/bin/env bash
# Runs every test suite against a built tree and ends with one summary.
# Usage: scripts/run-tests.sh <build-dir>
set -uo pipefail
build="$(cd "${1:?build dir}" && pwd)"
top="$(cd "$(dirname "$0")/.." && pwd)"
declare -A result
failed=0

echo "== unit and integration tests (ctest)"
if ctest --test-dir "$build" --output-on-failure -j 2 --timeout 120; then result[ctest]=passed
else result[ctest]=FAILED; failed=1; fi

echo "== end-to-end tests (the built binary, providers' npm libraries)"
if HOOKD_BIN="$build/hookd" "$top/tests/e2e/run.sh"; then result[e2e]=passed
else result[e2e]=FAILED; failed=1; fi

echo "== package (make-deb.sh, dpkg -i, the installed binary, systemd-analyze, dpkg --purge)"
if [ "$(id -u)" -ne 0 ]; then
  echo "skipped: installing a package needs root"; result[package]="skipped (needs root)"
elif "$top/tests/package/package_test.sh" "$build"; then result[package]=passed
else result[package]=FAILED; failed=1; fi

echo "== format check (clang-format)"
if (cd "$top" && git ls-files '*.cc' '*.h' | xargs clang-format --dry-run -Werror); then
  result[format]=passed
else result[format]=FAILED; failed=1; fi

echo
echo "== summary"
for k in ctest e2e package format; do printf '  %-8s %s\n' "$k" "${result[$k]}"; done
[ $failed -eq 0 ] && echo "ALL TESTS PASSED" || echo "SOME TESTS FAILED"
exit $failed
