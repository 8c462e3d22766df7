#!/usr/bin/env bash
# `benchlab compare` and `benchlab gate` on the checked-in real reports: the gate's exit codes for
# pass (0), regression (1) and cannot judge (6), JUnit XML valid against junit.xsd (xmllint),
# malformed and newer reports refused with one line and exit 3, bad flags exit 2. Creates nothing
# but a temporary directory; needs no privilege.
set -u
BL=$1 DATA=$2 HARNESS_DATA=$3
BASE=$DATA/example_report.json NEXT=$DATA/gate-next.json REGRESSED=$DATA/gate-regressed.json
T=$(mktemp -d /tmp/bl-gate-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
expect_rc() {  # expect_rc NAME WANT -- ARGS...
  local name=$1 want=$2; shift 3
  "$BL" "$@" >"$T/out" 2>"$T/err"; local rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL $name: rc=$rc (want $want)"; sed 's/^/    /' "$T/out" "$T/err" | tail -20; fail=1
  else
    echo "ok   $name: rc=$rc, $(tail -1 "$T/out")"
  fi
}
valid_junit() {  # valid_junit NAME FILE FAILURES ERRORS
  if ! xmllint --noout --schema "$DATA/junit.xsd" "$2" 2>"$T/xmllint"; then
    echo "FAIL $1: JUnit XML invalid: $(cat "$T/xmllint")"; fail=1; return
  fi
  local f e
  f=$(xmllint --xpath 'string(/testsuites/testsuite/@failures)' "$2")
  e=$(xmllint --xpath 'string(/testsuites/testsuite/@errors)' "$2")
  local cases fails errs
  cases=$(xmllint --xpath 'count(//testcase)' "$2"); fails=$(xmllint --xpath 'count(//testcase/failure)' "$2")
  errs=$(xmllint --xpath 'count(//testcase/error)' "$2")
  if [ "$f" != "$fails" ] || [ "$e" != "$errs" ] || ! eval "[ $fails $3 ] && [ $errs $4 ]"; then
    echo "FAIL $1: $cases cases, failures=$f ($fails elements), errors=$e ($errs elements); want failures $3, errors $4"; fail=1
  else
    echo "ok   $1: valid JUnit XML, $cases cases, $fails failures, $errs errors"
  fi
}

# compare: always exit 0 when it could compare; a report against itself says no change.
expect_rc compare-self 0 -- compare "$BASE" "$BASE" --metrics all
grep -q '^0 worse, 0 better, 0 changed, [0-9]* no change, 0 cannot judge$' "$T/out" || { echo "FAIL compare-self: $(tail -1 "$T/out")"; fail=1; }
expect_rc compare-json 0 -- compare "$BASE" "$REGRESSED" --mode ratio --format json
/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["counts"]["worse"] >= 2, j["counts"]' "$T/out" \
  || { echo "FAIL compare-json: fewer than 2 worse"; fail=1; }
expect_rc compare-markdown 0 -- compare "$BASE" "$REGRESSED" --mode ratio --format markdown
grep -q '| proxy-copy | p50_us | .* | \*\*worse\*\* |' "$T/out" || { echo "FAIL compare-markdown: no worse proxy-copy p50 row"; fail=1; }

# gate: pass, regression, cannot judge.
expect_rc gate-pass 0 -- gate "$BASE" "$NEXT" --noise-limit 1000 --junit "$T/pass.xml"
valid_junit junit-pass "$T/pass.xml" '-eq 0' '-eq 0'
expect_rc gate-regression 1 -- gate "$BASE" "$REGRESSED" --noise-limit 1000 --junit "$T/fail.xml"
valid_junit junit-regression "$T/fail.xml" '-ge 1' '-eq 0'
grep -q 'type="regression">regression beyond' "$T/fail.xml" || { echo "FAIL junit-regression: no figures in the failure"; fail=1; }
expect_rc gate-noisy 6 -- gate "$BASE" "$NEXT" --junit "$T/noisy.xml"
valid_junit junit-noisy "$T/noisy.xml" '-eq 0' '-ge 1'
grep -q 'cannot judge: noisy' "$T/noisy.xml" || { echo "FAIL junit-noisy: no noise reason"; fail=1; }
# --limit replaces the scenario's gates: one metric, gated on the two non-baseline rr rows.
expect_rc gate-limit 1 -- gate "$BASE" "$REGRESSED" --noise-limit 1000 --limit p50_us=+10% --junit "$T/limit.xml"
[ "$(xmllint --xpath 'count(//testcase)' "$T/limit.xml")" = 2 ] || { echo "FAIL gate-limit: want 2 cases (rr rows of sockmap-msg, proxy-copy)"; fail=1; }

# Bad input: one line, exit 3 for a report, 2 for flags.
for c in compare gate; do
  for f in report_newer.json:'report schema_version 9 is newer' report_malformed.json:'malformed report' report_truncated.json:'not a JSON report'; do
    file=${f%%:*} pat=${f#*:}
    "$BL" $c "$BASE" "$HARNESS_DATA/$file" >/dev/null 2>"$T/err"; rc=$?
    if [ $rc -ne 3 ] || [ "$(grep -c '' "$T/err")" -ne 1 ] || ! grep -q "$file: $pat" "$T/err"; then
      echo "FAIL $c-$file: rc=$rc: $(cat "$T/err")"; fail=1
    else
      echo "ok   $c-$file: $(cat "$T/err")"
    fi
  done
done
expect_rc bad-mode 2 -- compare "$BASE" "$NEXT" --mode relative
expect_rc bad-metric 2 -- compare "$BASE" "$NEXT" --metrics througput_bps
expect_rc bad-limit 2 -- gate "$BASE" "$NEXT" --limit p99_us=10
expect_rc bad-junit 1 -- gate "$BASE" "$NEXT" --noise-limit 1000 --junit /proc/nope/x.xml
exit $fail
