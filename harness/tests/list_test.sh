#!/usr/bin/env bash
# `benchlab list`: one line per entry (name, kind, supported or why not, summary) and a hint;
# `list NAME` and `--verbose` add options, axes, metrics and the long description; an unknown
# name is one line and exit 2. Usage: list_test.sh BENCHLAB
set -u
bl=${1:?usage: list_test.sh BENCHLAB}
fail() { echo "list_test: $*"; exit 1; }

out=$("$bl" list) || fail "list exited $?"
entries=$(grep -cE '^[a-z0-9_-]+ +(topology|datapath|workload) +(supported|UNSUPPORTED) ' <<<"$out")
lines=$(wc -l <<<"$out")
[ "$entries" -ge 8 ] || fail "only $entries entry lines:"$'\n'"$out"
[ "$lines" -eq $((entries + 1)) ] || fail "$lines lines for $entries entries (one line each plus a hint):"$'\n'"$out"
grep -q '^kernel  *datapath  *supported ' <<<"$out" || fail "no kernel datapath line"
grep -q '^tcp_rr  *workload ' <<<"$out" || fail "no tcp_rr workload line"
long=$(awk 'length($0) > 120' <<<"$out")
[ -z "$long" ] || fail "lines longer than 120 characters:"$'\n'"$long"
grep -qE '^ +(option|axis|metric) ' <<<"$out" && fail "the terse list shows details"

one=$("$bl" list tcp_rr) || fail "list tcp_rr exited $?"
[ "$(grep -c '^[a-z]' <<<"$one")" -eq 1 ] || fail "list tcp_rr shows other entries:"$'\n'"$one"
for w in 'axis message_size' 'metric p99_us' 'option verify_payload' 'makes: stream'; do
  grep -q "$w" <<<"$one" || fail "list tcp_rr lacks '$w':"$'\n'"$one"
done
verbose=$("$bl" list --verbose) || fail "list --verbose exited $?"
[ "$(grep -c '^ *metric ' <<<"$verbose")" -gt 10 ] || fail "list --verbose shows no metrics"
grep -q '^every row also carries: window_s' <<<"$verbose" || fail "list --verbose lacks the common metrics"

err=$("$bl" list no-such-thing 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 2 ] || fail "list no-such-thing exited $rc, want 2"
[ "$(wc -l <<<"$err")" -eq 1 ] && grep -q "no-such-thing" <<<"$err" || fail "not one line naming it: $err"
echo "list_test: ok ($entries entries)"
