#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for FUZZ_SECONDS (default 30) each, over a scratch
# copy of its seed corpus (fuzz/corpus/<target>/, which stays untouched), and ends with one
# summary. Any finding (crash, sanitizer report, leak, timeout, out-of-memory) fails the run; the
# input that caused it is kept under <build-dir>/fuzz-run/<target>/.
# FUZZ_JOBS targets (default: the number of cores) run at once, each on its own core for its own
# FUZZ_SECONDS, so a run takes about targets / jobs * seconds.
# Usage: FUZZ_SECONDS=60 [FUZZ_JOBS=1] [FUZZ_TARGETS="fuzz_units fuzz_router"] scripts/fuzz.sh <build-dir>
set -uo pipefail
build="$(cd "${1:?build dir}" && pwd)"
top="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${FUZZ_SECONDS:-30}"
scratch="$build/fuzz-run"

targets=(${FUZZ_TARGETS:-$(cd "$build/fuzz" && ls fuzz_* 2>/dev/null)})
if [ ${#targets[@]} -eq 0 ]; then echo "no fuzz targets in $build/fuzz" >&2; exit 1; fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
jobs="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}"
declare -A result execs
failed=0

run_target() {  # run_target <target>: one target's run; its exit code is in $scratch/<target>/rc
  local t=$1 dir="$scratch/$1"
  "$build/fuzz/$t" "$dir/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" >"$dir/log" 2>&1
  echo $? >"$dir/rc"
}

running=0
for t in "${targets[@]}"; do
  dir="$scratch/$t"
  rm -rf "$dir" && mkdir -p "$dir/corpus" "$dir/artifacts"
  if [ -d "$top/fuzz/corpus/$t" ]; then cp -R "$top/fuzz/corpus/$t/." "$dir/corpus/"; fi
  echo "== $t (${seconds}s, $(ls "$dir/corpus" | wc -l) seeds)"
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

for t in "${targets[@]}"; do
  dir="$scratch/$t"
  rc=$(cat "$dir/rc" 2>/dev/null || echo 1)
  execs[$t]=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    result[$t]=passed
  else
    result[$t]="FAILED (exit $rc; log $dir/log, input in $dir/artifacts/)"
    failed=1
    echo "== $t"
    grep -E -m 20 'ERROR|runtime error|invariant failed|SUMMARY|Test unit written' "$dir/log"
  fi
done

echo
echo "== fuzz summary (${seconds}s per target)"
for t in "${targets[@]}"; do
  printf '  %-22s %12s execs  %s\n' "$t" "${execs[$t]:-?}" "${result[$t]}"
done
[ $failed -eq 0 ] && echo "NO FINDINGS" || echo "FINDINGS: see above"
exit $failed
