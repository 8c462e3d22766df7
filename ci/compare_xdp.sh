#!/usr/bin/env bash
# Is the harness invisible? benchlab's xdp-drop (native) with the live-frames engine against a bare
# live-frames loop (ci/tools/bare_live_frames.c: BPF_PROG_RUN in a tight loop, a fixed frame sent
# with XDP_TX) into the same native XDP_DROP on a veth, side by side, alternating, same CPUs:
# the generator on the generator CPU, the DUT veth's NAPI threaded and pinned to the DUT CPU.
# The bare loop's rate is the frames the DUT's XDP dropped (ethtool rx_queue_N_xdp_drops) per
# second; benchlab's is its rx_pps (the same frames, counted by its own program). Medians of the
# rounds are compared; benchlab should reach >= 0.9x. Opt-in, not part of the test suite.
# Usage (root): ci/compare_xdp.sh [BENCHLAB] [ROUNDS=3] [DURATION_S=3] [PACKET_SIZE=64]
set -euo pipefail
cd "$(dirname "$0")/.."
BL=${1:-build/harness/benchlab}
ROUNDS=${2:-3}
DUR=${3:-3}
SIZE=${4:-64}
FRAME=$((SIZE + 14))   # core/packet.hpp: the frame is the IP packet + 14
BATCH=64
PY=/usr/bin/python3
[ "$(id -u)" -eq 0 ] || { echo "compare_xdp: needs root" >&2; exit 4; }

RUN_ID=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
G="bl-$RUN_ID-cg" D="bl-$RUN_ID-cd" GI="bl${RUN_ID}cg" DI="bl${RUN_ID}cd"
OUT=$(mktemp -d /tmp/bl-compare-xdp.XXXXXX)
mkdir -p /run/benchlab/runs && echo $$ >/run/benchlab/runs/$RUN_ID
HOLD=
cleanup() { [ -n "$HOLD" ] && { exec 9>&-; wait "$HOLD" 2>/dev/null || true; }
            ip netns del "$G" 2>/dev/null || true; ip netns del "$D" 2>/dev/null || true
            rm -rf "$OUT" /run/benchlab/runs/$RUN_ID; }
trap cleanup EXIT
cc -O2 -o "$OUT/bare" ci/tools/bare_live_frames.c -lbpf

ncpu=$(nproc); last=$((ncpu - 1)); gcpu=$(( ncpu > 1 ? last - 1 : last ))
ip netns add "$G"; ip netns add "$D"
ip -n "$G" link add "$GI" type veth peer name "$DI" netns "$D"
for ns in "$G:$GI" "$D:$DI"; do
  ip netns exec "${ns%%:*}" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip -n "${ns%%:*}" link set "${ns##*:}" up
done
DMAC=$(ip -n "$D" -br link show "$DI" | awk '{print $3}')
GMAC=$(ip -n "$G" -br link show "$GI" | awk '{print $3}')
GIDX=$(ip -n "$G" -o link show "$GI" | cut -d: -f1)
DIDX=$(ip -n "$D" -o link show "$DI" | cut -d: -f1)
# Native XDP_DROP on the DUT (its NAPI comes with it), threaded, pinned to the DUT CPU.
exec 9> >(ip netns exec "$D" "$OUT/bare" attach-drop "$DIDX" >"$OUT/attach.txt")
HOLD=$!
for _ in $(seq 50); do grep -q attached "$OUT/attach.txt" 2>/dev/null && break; sleep 0.05; done
grep -q attached "$OUT/attach.txt" || { echo "compare_xdp: could not attach XDP_DROP" >&2; exit 1; }
ip netns exec "$D" sh -c "echo 1 > /sys/class/net/$DI/threaded"
for p in $(pgrep "^napi/${DI:0:10}" || true); do taskset -pc "$last" "$p" >/dev/null; done

xdp_drops() { ip netns exec "$D" ethtool -S "$DI" | awk '/rx_queue_[0-9]+_xdp_drops/ {s += $2} END {print s + 0}'; }

bare_pps() {
  local a b out; a=$(xdp_drops)
  out=$(ip netns exec "$G" taskset -c "$gcpu" timeout $((DUR + 20)) "$OUT/bare" run "$GIDX" "$DUR" "$FRAME" "$BATCH" "$DMAC" "$GMAC")
  b=$(xdp_drops)
  $PY -c 'import sys; print((int(sys.argv[2]) - int(sys.argv[1])) / float(sys.argv[3].split()[1]))' "$a" "$b" "$out"
}

benchlab_pps() {
  rm -rf "$OUT/bl"
  "$BL" run scenarios/xdp-basic.toml --quiet --out "$OUT/bl" --set 'datapaths=["xdp-drop"]' \
    --set "matrix.packet_size=[$SIZE]" --set 'matrix.attach_mode=["native"]' --set 'matrix.cpu_placement=["cross-core"]' \
    --set "duration_s=$DUR" --set warmup_s=0.5 --set repetitions=1 \
    --set workload.udp_flood.generator_alone=false --set workload.udp_flood.program_cost=false >/dev/null
  $PY - "$OUT"/bl/*.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
rows = [x for x in r["summary"]["rows"] if x["datapath"] == "xdp-drop"]
bad = [x for x in r["runs"] if x["status"] != "ok"]
if bad: sys.exit("compare_xdp: benchlab run failed: " + bad[0]["error"])
print(rows[0]["metrics"]["rx_pps"]["median"])
PY
}

bare=() bl=()
for i in $(seq "$ROUNDS"); do
  bare+=("$(bare_pps)")
  bl+=("$(benchlab_pps)")
  echo "round $i: bare ${bare[-1]} pps, benchlab ${bl[-1]} pps" >&2
done
$PY - "${bare[*]}" "${bl[*]}" "$SIZE" <<'PY'
import statistics, sys
bare = [float(x) for x in sys.argv[1].split()]
bl = [float(x) for x in sys.argv[2].split()]
mb, ml = statistics.median(bare), statistics.median(bl)
print(f"packet size {sys.argv[3]} B: bare live-frames loop {mb/1e6:.2f} Mpps, benchlab xdp-drop native {ml/1e6:.2f} Mpps, ratio {ml/mb:.3f}")
print(f"compare_xdp: {'PASS' if ml >= 0.9 * mb else 'FAIL'} (benchlab >= 0.9x the bare loop)")
sys.exit(0 if ml >= 0.9 * mb else 1)
PY
