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
assert r["schema_version"] == 1, r["schema_version"]
runs = r["runs"]
assert runs, "no runs"
bad = [x for x in runs if x["status"] != "ok"]
assert not bad, bad[0].get("error")
for x in runs:
    assert x["datapath"] == "kernel"
    measured = [s for s in x["result"]["samples"] if not s["warmup"]]
    assert measured and sum(s["bytes"] for s in measured) > 0, "no bytes in the window"
assert r["context"]["kernel"]["release"], "no kernel in context"
assert r["summary"], "no summary"
print("report ok:", len(runs), "runs")
PYEOF
  then echo "FAIL $scn: report check"; fail=1; fi
  grep -q "report: " "$OUT/$scn.stdout" || { echo "FAIL $scn: no report line"; fail=1; }
done

# A scenario that cannot work (bad datapath option) fails cleanly, and validate creates nothing.
"$BL" validate "$SRC/scenarios/veth.toml" >/dev/null || { echo "FAIL validate"; fail=1; }

left=$(ls /run/netns 2>/dev/null | grep '^bl-' || true)
[ -z "$left" ] || { echo "FAIL: namespaces left: $left"; fail=1; }
cg=$(ls -d /sys/fs/cgroup/unified/bl-* 2>/dev/null || true)
[ -z "$cg" ] || { echo "FAIL: cgroups left: $cg"; fail=1; }
[ $fail -eq 0 ] && echo "cli_end_to_end: all passed"
exit $fail
