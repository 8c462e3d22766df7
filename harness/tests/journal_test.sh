#!/usr/bin/env bash
# Nothing measured is lost: a run SIGKILLed after its third run, one whose disk fills up, and one
# interrupted by SIGINT each leave their completed runs in a journal or a partial report, and
# `benchlab report --recover` / `benchlab cleanup` rebuild a report that says it is incomplete.
# Privileged (builds namespaces, mounts a small tmpfs, always unmounted). About 8 s.
set -u
BL=$1 SRC=$2
if [ "$(id -u)" -ne 0 ]; then echo "journal_test: skipped, needs root"; exit 0; fi
PY=/usr/bin/python3
T=$(mktemp -d /tmp/bl-journal-test.XXXXXX)
mkdir "$T/full"
pid=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  umount "$T/full" 2>/dev/null
  "$BL" cleanup >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
fail=0
# Six runs of about 0.8 s: tcp_rr, three message sizes, two placements, one repetition.
short=(--quiet --set duration_s=0.5 --set warmup_s=0.2 --set repetitions=1 --set 'workloads=["tcp_rr"]'
       --set 'matrix.message_size=[64, 1024, 16384]')
lines() { local n; n=$(grep -c '' "$1" 2>/dev/null); echo "${n:-0}"; }
wait_lines() {  # wait_lines DIR N: until DIR's journal has N lines (header + N-1 runs); 30 s at most
  local j
  for _ in $(seq 600); do
    j=$(ls "$1"/*.journal 2>/dev/null | head -1)
    [ -n "$j" ] && [ "$(lines "$j")" -ge "$2" ] && { echo "$j"; return 0; }
    sleep 0.05
  done
  return 1
}
check_report() {  # check_report REPORT RUNS: RUNS runs, all ok, and context.interrupted says so
  "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
runs, want = r["runs"], int(sys.argv[2])
assert len(runs) == want, f"{len(runs)} runs, want {want}"
assert all(x["status"] == "ok" for x in runs), [x["error"] for x in runs]
i = r["context"]["interrupted"]
assert i["completed_runs"] == want and i["planned_runs"] == 6, i
assert r["scenario"]["name"] == "loopback" and r["context"]["kernel"]["release"], "header missing"
assert r["summary"]["rows"], "no summary"
PYEOF
}

# 1. SIGKILL after the third run: the journal holds three runs (four lines).
"$BL" run "$SRC/scenarios/loopback.toml" --out "$T/kill" "${short[@]}" >/dev/null 2>"$T/kill.err" &
pid=$!
journal=$(wait_lines "$T/kill" 4) || { echo "FAIL kill: no journal with 3 runs: $(cat "$T/kill.err")"; fail=1; }
kill -9 "$pid"; wait "$pid" 2>/dev/null; rc=$?; pid=
if [ -n "$journal" ]; then
  [ $rc -eq 137 ] || { echo "FAIL kill: rc=$rc (want 137)"; fail=1; }
  n=$(($(lines "$journal") - 1))   # 3, or 4 if the fourth run ended within the poll interval
  [ $n -ge 3 ] || { echo "FAIL kill: $n runs in the journal"; fail=1; }
  # A write the kill cut short leaves a last line without its newline: ignored.
  printf '{"cell": {"label": "tcp_rr/16' >>"$journal"
  out=$("$BL" cleanup 2>&1) || { echo "FAIL kill: cleanup: $out"; fail=1; }
  # The kill may land inside a run (a namespace left) or between two (none): either way, none after cleanup.
  left=$(ls /run/netns 2>/dev/null | grep '^bl-' || true)
  [ -z "$left" ] || { echo "FAIL kill: namespaces left after cleanup: $left ($out)"; fail=1; }
  grep -q "^recovered report ${journal%.journal}.json ($n of 6 runs" <<<"$out" \
    || { echo "FAIL kill: cleanup recovered no report: $out"; fail=1; }
  out=$("$BL" report --recover "$journal") || { echo "FAIL kill: report --recover rc=$?"; fail=1; }
  report=$(sed -n 's/^report: //p' <<<"$out")
  [ "$report" = "${journal%.journal}.json" ] || { echo "FAIL kill: recovered to '$report'"; fail=1; }
  grep -q "recovered $n of 6 runs (a last line cut short was ignored)" <<<"$out" || { echo "FAIL kill: $out"; fail=1; }
  check_report "$report" "$n" || { echo "FAIL kill: recovered report"; fail=1; }
  table=$("$BL" report "$report") || { echo "FAIL kill: benchlab report rc=$?"; fail=1; }
  grep -q "^INTERRUPTED: .*($n of 6 runs completed)" <<<"$table" && grep -q "^tcp_rr/64B/1flow/same-core" <<<"$table" \
    || { echo "FAIL kill: table: $table"; fail=1; }
  [ "$(ls "$T/kill")" = "$(basename "$journal")"$'\n'"$(basename "$report")" ] || { echo "FAIL kill: files: $(ls "$T/kill")"; fail=1; }
  [ $fail -eq 0 ] && echo "ok   kill -9 after $n runs: cleanup and report --recover rebuilt them"
fi

# 2. A full disk: the next append fails with ENOSPC; one line, exit 1, teardown, and the journal
# keeps the runs before it. 4 MiB passes the room check; then another writer fills it.
mount -t tmpfs -o size=4m bl-test-full "$T/full" || { echo "FAIL full: cannot mount tmpfs"; exit 1; }
"$BL" run "$SRC/scenarios/loopback.toml" --out "$T/full/out" "${short[@]}" >/dev/null 2>"$T/full.err" &
pid=$!
journal=$(wait_lines "$T/full/out" 2) || { echo "FAIL full: no journal: $(cat "$T/full.err")"; fail=1; }
dd if=/dev/zero of="$T/full/fill" bs=64k 2>/dev/null
wait "$pid"; rc=$?; pid=
if [ -n "$journal" ]; then
  err=$(cat "$T/full.err")
  [ $rc -eq 1 ] || { echo "FAIL full: rc=$rc (want 1)"; fail=1; }
  [ "$(grep -c '' <<<"$err")" -eq 1 ] && grep -q "cannot append run [0-9] to the journal: No space left on device; stopped after teardown; [0-9] completed runs\? \(is\|are\) in $journal" <<<"$err" \
    || { echo "FAIL full: stderr: $err"; fail=1; }
  [ -z "$(ls /run/netns 2>/dev/null | grep '^bl-')" ] || { echo "FAIL full: namespaces left"; fail=1; }
  [ -z "$(ls "$T/full/out" | grep -v '\.journal$')" ] || { echo "FAIL full: files left: $(ls "$T/full/out")"; fail=1; }
  n=$(($(lines "$journal") - 1))
  [ $n -ge 1 ] || { echo "FAIL full: no run in the journal"; fail=1; }
  rm -f "$T/full/fill"
  report=$("$BL" report --recover "$journal" | sed -n 's/^report: //p')
  check_report "$report" "$n" || { echo "FAIL full: recovered report"; fail=1; }
  [ $fail -eq 0 ] && echo "ok   full disk after $n runs: one line, exit 1, the journal kept them"
fi
umount "$T/full"

# 3. SIGINT after the first run: a partial report with context.interrupted, and no journal.
"$BL" run "$SRC/scenarios/loopback.toml" --out "$T/int" "${short[@]}" >/dev/null 2>"$T/int.err" &
pid=$!
wait_lines "$T/int" 2 >/dev/null || { echo "FAIL int: no journal"; fail=1; }
kill -INT "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 130 ] || { echo "FAIL int: rc=$rc (want 130): $(cat "$T/int.err")"; fail=1; }
report=$(ls "$T"/int/*.json 2>/dev/null)
[ -z "$(ls "$T"/int/*.journal 2>/dev/null)" ] || { echo "FAIL int: journal left beside the report"; fail=1; }
"$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
i = r["context"]["interrupted"]
assert i["reason"] == "interrupted by signal 2" and i["completed_runs"] == len(r["runs"]) >= 1, i
' "$report" || { echo "FAIL int: report"; fail=1; }
[ $fail -eq 0 ] && echo "ok   SIGINT: partial report marked interrupted, journal removed"

[ $fail -eq 0 ] && echo "journal_test: all passed"
exit $fail
