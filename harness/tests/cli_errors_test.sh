#!/usr/bin/env bash
# The CLI on bad input: one line on stderr naming file, line and key; the documented exit code;
# nothing created. Runs without root.
set -u
BL=$1 DATA=$2
fail=0
check() {  # check NAME EXPECTED_RC PATTERN -- ARGS...
  local name=$1 want=$2 pat=$3; shift 4
  local err rc
  err=$("$BL" "$@" 2>&1 >/dev/null); rc=$?
  local lines; lines=$(printf '%s' "$err" | grep -c '')
  if [ "$rc" -ne "$want" ] || ! grep -qE -- "$pat" <<<"$err" || [ "$lines" -ne 1 ]; then
    echo "FAIL $name: rc=$rc (want $want), $lines lines: $err"; fail=1
  else
    echo "ok   $name: $err"
  fi
}
before=$(ls /run/netns 2>/dev/null | grep -c '^bl-' || true)
check unknown-key   3 'unknown_key.toml:4: duraton_s: unknown key' -- validate "$DATA/unknown_key.toml"
check wrong-type    3 'wrong_type.toml:3: repetitions: must be an integer' -- validate "$DATA/wrong_type.toml"
check syntax        3 'syntax.toml:[0-9]+: TOML syntax' -- validate "$DATA/syntax.toml"
check missing-file  3 'no_such.toml: No such file' -- validate "$DATA/no_such.toml"
check directory     3 'is a directory' -- validate "$DATA"
check bad-set       3 '^benchlab: --set: duration_s: out of range' -- validate "$DATA/../../../scenarios/loopback.toml" --set duration_s=-3
check run-bad-file  3 'unknown_key.toml:4: duraton_s' -- run "$DATA/unknown_key.toml" --quiet
check report-newer  3 'report_newer.json: report schema_version 9 is newer' -- report "$DATA/report_newer.json"
check report-bad    3 'report_malformed.json: malformed report' -- report "$DATA/report_malformed.json"
check report-trunc  3 'report_truncated.json: not a JSON report' -- report "$DATA/report_truncated.json"
check usage-no-cmd  2 '.' --
check usage-flag    2 '.' -- run --bogus-flag x.toml
check usage-reps    2 '.' -- run "$DATA/unknown_key.toml" --repetitions 0
after=$(ls /run/netns 2>/dev/null | grep -c '^bl-' || true)
if [ "$before" != "$after" ]; then echo "FAIL: namespaces appeared ($before -> $after)"; fail=1; fi
if [ $fail -eq 0 ]; then echo "cli_errors: all passed"; fi
exit $fail
