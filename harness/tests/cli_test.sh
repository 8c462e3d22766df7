#!/usr/bin/env bash
# End to end as a user runs it: short runs of the shipped scenarios over loopback and veth, a
# readable report with every run ok, and nothing of benchlab's left on the machine afterwards.
set -u
BL=$1 SRC=$2
if [ "$(id -u)" -ne 0 ]; then echo "cli_end_to_end: skipped, needs root"; exit 0; fi
PY=/usr/bin/python3
OUT=$(mktemp -d /tmp/bl-cli-test.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
fail=0
short=(--set duration_s=1 --set warmup_s=0.3 --set repetitions=1 --set 'matrix.message_size=[1024]' --quiet)

for scn in loopback veth; do
  "$BL" run "$SRC/scenarios/$scn.toml" --out "$OUT/$scn" "${short[@]}" >"$OUT/$scn.stdout" 2>"$OUT/$scn.stderr"
  rc=$?
  report=$(ls "$OUT/$scn"/*.json 2>/dev/null | head -1)
  if [ $rc -ne 0 ] || [ -z "$report" ]; then
    echo "FAIL $scn: rc=$rc"; cat "$OUT/$scn.stderr"; fail=1; continue
  fi
  if ! "$PY" - "$report" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema_version"] == 2, r["schema_version"]
runs = r["runs"]
assert runs, "no runs"
bad = [x for x in runs if x["status"] != "ok"]
assert not bad, bad[0].get("error")
for x in runs:
    assert x["datapath"] == "kernel"
    measured = [s for s in x["result"]["samples"] if not s["warmup"]]
    assert measured and sum(s["bytes"] for s in measured) > 0, "no bytes in the window"
assert r["context"]["kernel"]["release"], "no kernel in context"
assert r["summary"]["rows"], "no summary"
assert r["summary"]["baselines"] == {"stream": "kernel"}, r["summary"]["baselines"]
# Each row carries exactly its workload's metrics: no latency on a stream row.
for row in r["summary"]["rows"]:
    w = row["cell"]["workload"]
    if w == "tcp_stream":
        assert "p50_us" not in row["metrics"] and "throughput_bps" in row["metrics"], row["metrics"].keys()
    else:
        assert "p50_us" in row["metrics"] and "transactions_per_s" in row["metrics"], row["metrics"].keys()
# Every CPU role's CPU is recorded per placement.
for placement, cpus in r["context"]["pinning"].items():
    assert {"client_cpu", "server_cpu", "generator_cpu", "dut_cpu", "proxy_cpu"} <= cpus.keys(), cpus
print("report ok:", len(runs), "runs")
PYEOF
  then echo "FAIL $scn: report check"; fail=1; fi
  grep -q "report: " "$OUT/$scn.stdout" || { echo "FAIL $scn: no report line"; fail=1; }
  [ -z "$(ls "$OUT/$scn"/*.journal 2>/dev/null)" ] || { echo "FAIL $scn: journal left beside the report"; fail=1; }
done

# The headline scenario, shortened: every sockmap run proves with its own counters that it
# carried the traffic, and the payload checks pass.
"$BL" run "$SRC/scenarios/sockmap.toml" --out "$OUT/sockmap" --set repetitions=1 --set 'matrix.message_size=[4096]' \
  --set 'matrix.cpu_placement=["same-core"]' --quiet >"$OUT/sockmap.stdout" 2>"$OUT/sockmap.stderr" \
  || { echo "FAIL sockmap: rc=$?"; cat "$OUT/sockmap.stderr"; fail=1; }
if ! "$PY" - "$OUT"/sockmap/*.json <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
runs = r["runs"]
assert len(runs) == 2 * 3, len(runs)
for x in runs:
    assert x["status"] == "ok", x["error"]
    e = x["engagement"]
    if x["datapath"] == "kernel":
        assert not e["checked"]
    else:
        assert e["checked"] and e["ok"] and e["carried_share"] >= 0.99, e
        key = "redirected_bytes"
        assert x["counters_delta"].get(key, 0) > 0, (x["datapath"], x["counters_delta"])
    # Every run checked its payload: tcp_rr every message, tcp_stream a verified transfer.
    assert x["result"]["payload_checked"] and x["result"]["payload_errors"] == 0, x["result"]
    if x["cell"]["workload"] == "tcp_stream":
        assert x["result"]["extra"]["payload_check_bytes"] >= 4 << 20, x["result"]["extra"]
print("sockmap report ok")
PYEOF
then echo "FAIL sockmap report"; fail=1; fi

# A datapath that does not carry the traffic (test-only broken key) fails the run: exit 1 and
# the engagement error in the report, not numbers.
"$BL" run "$SRC/scenarios/sockmap.toml" --out "$OUT/broken" --set repetitions=1 --set 'matrix.message_size=[1024]' \
  --set 'matrix.cpu_placement=["same-core"]' --set 'workloads=["tcp_rr"]' --set 'datapaths=["sockmap-msg"]' \
  --set datapath.sockmap-msg.test_break_key=true --quiet >/dev/null 2>"$OUT/broken.stderr"
rc=$?
[ $rc -eq 1 ] || { echo "FAIL broken key: rc=$rc (want 1)"; fail=1; }
"$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
bad = [x for x in r["runs"] if x["datapath"] == "sockmap-msg"]
assert bad and all(x["status"] == "failed" and "engagement" in x["error"] for x in bad), bad[0]["error"]
' "$OUT"/broken/*.json || { echo "FAIL broken key report"; fail=1; }

"$BL" validate "$SRC/scenarios/veth.toml" >/dev/null || { echo "FAIL validate"; fail=1; }

# Two runs at once: the second refuses (exit 5) with one line, and the first is unharmed.
"$BL" run "$SRC/scenarios/loopback.toml" --out "$OUT/first" --quiet --set duration_s=2 --set repetitions=1 \
  --set 'workloads=["tcp_rr"]' --set 'matrix.message_size=[64]' --set 'matrix.cpu_placement=["same-core"]' >/dev/null 2>&1 &
first=$!
for _ in $(seq 50); do [ -n "$(ls /run/netns 2>/dev/null | grep '^bl-')" ] && break; sleep 0.1; done
err=$("$BL" run "$SRC/scenarios/loopback.toml" --quiet 2>&1 >/dev/null); rc=$?
[ $rc -eq 5 ] && grep -q "another benchlab run" <<<"$err" && [ "$(printf '%s' "$err" | grep -c '')" -eq 1 ] \
  || { echo "FAIL concurrent run: rc=$rc: $err"; fail=1; }
wait $first || { echo "FAIL: the first run failed while a second was refused"; fail=1; }

# Without root: one line, exit 4, before anything is created.
if command -v setpriv >/dev/null; then
  err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$BL" run "$SRC/scenarios/loopback.toml" 2>&1 >/dev/null); rc=$?
  [ $rc -eq 4 ] && grep -q "needs root" <<<"$err" || { echo "FAIL non-root: rc=$rc: $err"; fail=1; }
fi

left=$(ls /run/netns 2>/dev/null | grep '^bl-' || true)
[ -z "$left" ] || { echo "FAIL: namespaces left: $left"; fail=1; }
cg=$(ls -d /sys/fs/cgroup/unified/bl-* 2>/dev/null || true)
[ -z "$cg" ] || { echo "FAIL: cgroups left: $cg"; fail=1; }
att=$(bpftool cgroup tree /sys/fs/cgroup/unified 2>/dev/null | sed 1,2d)
[ -z "$att" ] || { echo "FAIL: BPF programs attached to cgroups: $att"; fail=1; }
pins=$(ls /sys/fs/bpf 2>/dev/null | grep '^bl-' || true)
[ -z "$pins" ] || { echo "FAIL: pins left: $pins"; fail=1; }
[ $fail -eq 0 ] && echo "cli_end_to_end: all passed"
exit $fail
