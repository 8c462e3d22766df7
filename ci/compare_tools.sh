#!/usr/bin/env bash
# benchlab against the tools engineers use today, side by side in one run on this machine, same
# namespace set-up, same pinning, same message size:
#   tcp_stream throughput  vs  iperf3 run by hand      (benchlab should be >= 0.97x)
#   tcp_rr p50 latency     vs  sockperf ping-pong RTT  (benchlab should be <= 1.05x)
# sockperf checks no payload, so the latency criterion compares like with like: benchlab with
# workload.tcp_rr.verify_payload=false. benchlab's default (every byte checked at both ends) is
# printed beside it, so the cost of the check is visible.
# Runs alternate (tool, benchlab, tool, benchlab, ...) so drift hits both; medians are compared.
# Usage (root): ci/compare_tools.sh [BENCHLAB] [ROUNDS=3] [DURATION_S=3] [SIZE=1024]
set -euo pipefail
cd "$(dirname "$0")/.."
BL=${1:-build/harness/benchlab}
ROUNDS=${2:-3}
DUR=${3:-3}
SIZE=${4:-1024}
PY=/usr/bin/python3
WARM=1
[ "$(id -u)" -eq 0 ] || { echo "compare_tools: needs root" >&2; exit 4; }
command -v iperf3 >/dev/null && command -v sockperf >/dev/null || { echo "compare_tools: run ci/setup.sh first" >&2; exit 4; }

# A benchlab-named namespace (so `benchlab cleanup` recognises it) with lo carrying 198.18.0.1,
# exactly like benchlab's loopback topology.
RUN_ID=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
NS="bl-$RUN_ID-cmp"
OUT=$(mktemp -d /tmp/bl-compare.XXXXXX)
# A run record, as benchlab writes one, so a concurrent `benchlab run` does not call NS a leftover.
mkdir -p /run/benchlab/runs && echo $$ >/run/benchlab/runs/$RUN_ID
cleanup() { pkill -f "iperf3 -s -1 -B 198.18.0.1 -p 5[34]" 2>/dev/null || true
            pkill -f "sockperf server -i 198.18.0.1 -p 11[12]" 2>/dev/null || true
            ip netns del "$NS" 2>/dev/null || true; rm -rf "$OUT" /run/benchlab/runs/$RUN_ID; }
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 198.18.0.1/32 dev lo
in_ns() { ip netns exec "$NS" "$@"; }
wait_listen() {  # port: bounded wait until a server listens on it inside NS
  for _ in $(seq 100); do
    in_ns ss -Hltn "sport = :$1" | grep -q LISTEN && return 0
    sleep 0.05
  done
  echo "compare_tools: nothing listens on port $1" >&2; return 1
}

ncpu=$(nproc)
cpus_for() {  # the same placement benchlab uses (harness/src/cell.cpp assign_cpus)
  local last=$((ncpu - 1))
  if [ "$1" = same-core ] || [ "$ncpu" -eq 1 ]; then echo "$last $last"; else echo "$((last - 1)) $last"; fi
}

iperf_bps() {  # placement round -> receiver bits/s (a fresh port per round: no old server answers)
  read -r c s < <(cpus_for "$1")
  local port=$((5300 + $2))
  in_ns taskset -c "$s" timeout $((DUR + WARM + 20)) iperf3 -s -1 -B 198.18.0.1 -p "$port" >/dev/null 2>&1 &
  local srv=$!
  wait_listen "$port"
  in_ns taskset -c "$c" timeout $((DUR + WARM + 15)) iperf3 -c 198.18.0.1 -p "$port" -t "$DUR" -O "$WARM" -l "$SIZE" -J >"$OUT/iperf.json"
  wait $srv || true
  $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"])' "$OUT/iperf.json"
}

sockperf_p50() {  # placement round -> p50 round trip in us (a fresh port per round)
  read -r c s < <(cpus_for "$1")
  local port=$((11100 + $2))
  in_ns taskset -c "$s" timeout $((DUR + 20)) sockperf server -i 198.18.0.1 -p "$port" --tcp >/dev/null 2>&1 &
  local srv=$!
  wait_listen "$port"
  in_ns taskset -c "$c" timeout $((DUR + 15)) sockperf ping-pong -i 198.18.0.1 -p "$port" --tcp -m "$SIZE" -t "$DUR" --full-rtt >"$OUT/sp.txt" 2>&1
  kill $srv 2>/dev/null; wait $srv 2>/dev/null || true
  local v; v=$(sed -n 's/.*percentile 50.000 = *\([0-9.]*\).*/\1/p' "$OUT/sp.txt")
  [ -n "$v" ] || { echo "compare_tools: sockperf gave no p50:" >&2; tail -3 "$OUT/sp.txt" >&2; return 1; }
  echo "$v"
}

benchlab_metric() {  # workload placement metric [--set ...] -> median over the run (bps or p50_us)
  local wl=$1 pl=$2 metric=$3
  shift 3
  rm -rf "$OUT/bl"
  "$BL" run scenarios/loopback.toml --quiet --out "$OUT/bl" --set "workloads=[\"$wl\"]" --set "matrix.message_size=[$SIZE]" \
    --set "matrix.cpu_placement=[\"$pl\"]" --set "duration_s=$DUR" --set "warmup_s=$WARM" --set repetitions=1 "$@" >/dev/null
  $PY - "$OUT"/bl/*.json "$metric" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(r["summary"]["rows"][0]["metrics"][sys.argv[2]]["median"])
PYEOF
}

median() { $PY -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

results=()
for pl in same-core cross-core; do
  ib=(); bb=(); sp=(); br=(); bv=()
  for ((i = 0; i < ROUNDS; i++)); do
    r=$i; [ "$pl" = cross-core ] && r=$((i + 100))
    ib+=("$(iperf_bps "$pl" "$r")")
    bb+=("$(benchlab_metric tcp_stream "$pl" throughput_bps)")
    sp+=("$(sockperf_p50 "$pl" "$r")")
    br+=("$(benchlab_metric tcp_rr "$pl" p50_us --set workload.tcp_rr.verify_payload=false)")
    bv+=("$(benchlab_metric tcp_rr "$pl" p50_us)")
  done
  results+=("$pl $(median "${ib[@]}") $(median "${bb[@]}") $(median "${sp[@]}") $(median "${br[@]}") $(median "${bv[@]}")")
done

$PY - "$SIZE" "$ROUNDS" "$DUR" "${results[@]}" <<'PYEOF'
import sys
size, rounds, dur = sys.argv[1:4]
print(f"compare_tools: loopback in a benchlab namespace, {size} B messages, {rounds} alternating rounds of {dur} s, medians")
print(f"{'placement':<11} {'iperf3 Gbit/s':>14} {'benchlab Gbit/s':>16} {'ratio':>6}   {'sockperf p50 us':>16} "
      f"{'benchlab p50 us':>16} {'ratio':>6}   {'with payload check':>19} {'ratio':>6}")
ok = True
for row in sys.argv[4:]:
    pl, ib, bb, sp, br, bv = row.split()
    ib, bb, sp, br, bv = map(float, (ib, bb, sp, br, bv))
    r1, r2 = bb / ib, br / sp
    ok &= r1 >= 0.97 and r2 <= 1.05
    print(f"{pl:<11} {ib/1e9:>14.3f} {bb/1e9:>16.3f} {r1:>6.3f}   {sp:>16.3f} {br:>16.3f} {r2:>6.3f}   {bv:>19.3f} {bv/sp:>6.3f}")
print("compare_tools:", "PASS (stream >= 0.97x iperf3, rr p50 <= 1.05x sockperf)" if ok else "FAIL")
sys.exit(0 if ok else 1)
PYEOF
