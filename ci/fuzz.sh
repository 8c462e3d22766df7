#!/usr/bin/env bash
# Builds the libFuzzer scenario-parser target in its own build folder (clang, ASan + UBSan,
# libraries with -fsanitize=fuzzer-no-link) and fuzzes for SECONDS (default 60) on the checked-in
# corpus. New inputs go to build-fuzz/corpus (the checked-in corpus stays as it is); a crash,
# leak, timeout or out-of-memory input is written to build-fuzz/artifacts/ and fails the script.
# Usage: ci/fuzz.sh [SECONDS]    env: BUILD=dir (default build-fuzz), CC/CXX (default clang/clang++),
#        FUZZ_SEED and FUZZ_RUNS: a fixed seed and number of inputs instead of a time budget, so a
#        CI run explores exactly the same inputs every time (open-ended fuzzing stays a manual job).
set -euo pipefail
secs=${1:-60}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$src/build-fuzz}
export CC=${CC:-clang} CXX=${CXX:-clang++}

cmake -S "$src" -B "$build" -DBENCHLAB_FUZZ=ON -DBENCHLAB_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target scenario_fuzz >/dev/null

mkdir -p "$build/corpus" "$build/artifacts"
fuzzer=$(find "$build" -name scenario_fuzz -type f -perm -u+x | head -1)
# halt_on_error: UBSan findings stop the run like ASan ones.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
set +e
"$fuzzer" "$build/corpus" "$src/harness/fuzz/corpus" -dict="$src/harness/fuzz/dict/scenario.dict" \
  ${FUZZ_SEED:+-seed="$FUZZ_SEED"} ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$build/artifacts/" 2>"$build/fuzz.log"
rc=$?
set -e
grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$build/fuzz.log" || true
if [ $rc -ne 0 ]; then
  # The finding, its first stack frames and the input (base64), so a CI log alone reproduces it.
  grep -E 'ERROR|runtime error|SUMMARY|Test unit written|terminate called|Base64|^ +#[0-9] ' "$build/fuzz.log" | head -30
  echo "fuzz: FINDING (exit $rc); log $build/fuzz.log, inputs in $build/artifacts/"
  exit 1
fi
echo "fuzz: ${secs}s, no findings ($(ls "$build/corpus" | wc -l) new corpus inputs in $build/corpus)"
