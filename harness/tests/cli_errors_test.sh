#!/usr/bin/env bash
# The CLI on bad input: one line on stderr naming file, line and key; the documented exit code;
# nothing created. Runs without root; as root it also checks unusable --out directories (on
# tmpfs mounts of its own, always unmounted).
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
check report-none   2 'give a report file, or --recover JOURNAL' -- report
check recover-none  3 'no_such.journal: cannot open journal: No such file' -- report --recover "$DATA/no_such.journal"
check recover-bad   3 'unknown_key.toml:1: not a journal line' -- report --recover "$DATA/unknown_key.toml"

# An --out that cannot take the report fails at once (exit 2, one line naming the path and the
# reason) and leaves nothing behind. `run` checks root first, so these need root; the read-only
# and small file systems are tmpfs mounts of our own (root ignores mode bits, not a ro mount).
if [ "$(id -u)" -eq 0 ]; then
  SCN=$DATA/../../../scenarios/loopback.toml
  T=$(mktemp -d /tmp/bl-cli-errors.XXXXXX)
  mkdir "$T/ro" "$T/small"
  touch "$T/file"
  trap 'umount "$T/ro" 2>/dev/null; umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT
  mount -t tmpfs -o ro,size=1m bl-test-ro "$T/ro" && mount -t tmpfs -o size=64k bl-test-small "$T/small" \
    || { echo "FAIL: cannot mount the test file systems"; fail=1; }
  out_check() {  # out_check NAME PATTERN OUT: run SCN --out OUT fails in under a second, creating nothing
    local name=$1 pat=$2 out=$3 t0 ms before
    before=$(find "$T" | sort)
    t0=$(date +%s%N)
    check "$name" 2 "^benchlab: --out $pat" -- run "$SCN" --quiet --out "$out"
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ $ms -lt 1000 ] || { echo "FAIL $name: took $ms ms (want < 1 s)"; fail=1; }
    [ "$(find "$T" | sort)" = "$before" ] || { echo "FAIL $name: created $(comm -13 <(echo "$before") <(find "$T" | sort))"; fail=1; }
  }
  out_check out-proc     '/proc/nope: cannot create directory: No such file' /proc/nope
  [ ! -e /proc/nope ] || { echo "FAIL out-proc: /proc/nope exists"; fail=1; }
  out_check out-ro       "$T/ro: cannot write a file there: Read-only file system" "$T/ro"
  out_check out-ro-deep  "$T/ro/a/b: $T/ro/a: cannot create directory: Read-only file system" "$T/ro/a/b"
  out_check out-file     "$T/file/x: $T/file: not a directory" "$T/file/x"
  # 64 KiB cannot hold a 54-run report; the directories made for the check are removed again.
  out_check out-no-room  "$T/small/new/dir: not enough room: the report and its journal need about [0-9.]+ MiB, 0.[0-9] MiB free" \
    "$T/small/new/dir"
fi

after=$(ls /run/netns 2>/dev/null | grep -c '^bl-' || true)
if [ "$before" != "$after" ]; then echo "FAIL: namespaces appeared ($before -> $after)"; fail=1; fi
if [ $fail -eq 0 ]; then echo "cli_errors: all passed"; fi
exit $fail
