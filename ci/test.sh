#!/usr/bin/env bash
# The whole test suite, as CI runs it (root, fresh Debian 12): install, build, then
#   1. every ctest test but the opt-in label `long` (unit, privileged, python) and a 30-run kill loop, between two snapshots of
#      the host that must match (ci/host_guard.sh);
#   2. the scenario-parser fuzzer on a fixed seed, 300k inputs (clang, ASan + UBSan);
#   3. the unit and privileged tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
# Prints one timing line per stage and, last, the tail of every failed stage's output (CI shows
# only the end of a long log) and a closing "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
passed=0 failed=0 failed_names=()
logs=$(mktemp -d /tmp/benchlab-ci.XXXXXX)
trap 'rm -rf "$logs"' EXIT
stage() {  # stage NAME COMMAND...
  local name=$1 t=$SECONDS log="$logs/$((passed + failed)).log"; shift
  echo "=== $name"
  if "$@" 2>&1 | tee "$log"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
    passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - t)) s)"
  else
    failed=$((failed + 1)); failed_names+=("$name"); echo "=== $name: FAILED ($((SECONDS - t)) s)"
    cp "$log" "$logs/failed-$failed.log"
  fi
}
bash ci/setup.sh || exit 1
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build build -j"$(nproc)" || exit 1
echo "=== build: $((SECONDS - t0)) s"
stage "tests + kill loop (host guarded)" bash ci/host_guard.sh bash -c \
  'ctest --test-dir build -LE long --output-on-failure && BENCHLAB=build/harness/benchlab bash ci/kill_loop.sh 30 6'
stage "fuzz (fixed seed, 300k inputs, at most 120 s)" env FUZZ_SEED=1 FUZZ_RUNS=300000 bash ci/fuzz.sh 120
stage "sanitizers" bash ci/sanitize.sh
echo "=== total: $((SECONDS - t0)) s"
for ((i = 1; i <= failed; i++)); do
  echo "=== FAILED stage: ${failed_names[i - 1]} (last 40 lines of its output)"
  tail -n 40 "$logs/failed-$i.log"
done
echo "stages: $passed passed, $failed failed${failed_names:+ (failed: $(IFS=,; echo "${failed_names[*]}"))}"
[ "$failed" -eq 0 ]
