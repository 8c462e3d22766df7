#!/usr/bin/env bash
# Crash-safety loop: RUNS consecutive runs of harness/tests/data/short.toml (one cell, ~0.8 s),
# KILLS of them SIGKILLed at a random moment within a run's expected time and followed by
# `benchlab cleanup`; then SIGNALS runs interrupted with SIGINT and SIGNALS with SIGTERM
# (expect exit 130 / 143 and a full teardown without cleanup). After every run: no benchlab
# namespace (/run/netns, ip netns list), no bl* link in the root namespace, no cgroup BPF
# attachment, no bl-* pin or cgroup, no surviving process, and no changed sysctl (net.core,
# net.ipv4, kernel.bpf*) compared with the start. Exit 1 on any leftover or unexpected exit code.
# Usage: ci/kill_loop.sh [RUNS=100] [KILLS=20]   env: BENCHLAB (binary), SIGNALS (default 5)
set -u
RUNS=${1:-100} KILLS=${2:-20} SIGNALS=${SIGNALS:-5}
src=$(cd "$(dirname "$0")/.." && pwd)
BL=${BENCHLAB:-$src/build/harness/benchlab}
SCN=$src/harness/tests/data/short.toml
[ "$(id -u)" = 0 ] || { echo "kill_loop: needs root" >&2; exit 4; }
[ -x "$BL" ] || { echo "kill_loop: no benchlab binary at $BL (set BENCHLAB)" >&2; exit 2; }
[ "$KILLS" -le "$RUNS" ] || { echo "kill_loop: KILLS > RUNS" >&2; exit 2; }
tmp=$(mktemp -d /tmp/benchlab-kill-loop.XXXXXX)   # also tags our processes (--out is in argv)
trap 'rm -rf "$tmp"' EXIT
CGROOT=/sys/fs/cgroup/unified

sysctls() { sysctl -a 2>/dev/null | grep -E '^(net\.core\.|net\.ipv4\.|kernel\.bpf)' | grep -vE '^net\.ipv4\.(neigh|conf)\.' | sort; }

# Benchlab resources of runs that are not alive (a live run's record names a live pid): the
# run naming is "bl-" + 6 hex; other tests' fixtures (bl-scratch-...) are not benchlab runs.
dead_run() {  # dead_run NAME -> true if NAME is a benchlab run name whose run is not alive
  [[ $1 =~ ^bl-([0-9a-f]{6}) ]] || return 1
  local pid; pid=$(head -n1 "/run/benchlab/runs/${BASH_REMATCH[1]}" 2>/dev/null) || return 0
  ! kill -0 "$pid" 2>/dev/null
}
leftovers() {
  local n
  for n in $(ls -A /run/netns 2>/dev/null); do dead_run "$n" && echo "netns file /run/netns/$n"; done
  for n in $(ip netns list 2>/dev/null | awk '{print $1}'); do dead_run "$n" && echo "ip netns $n"; done
  for n in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//'); do [[ $n == bl* ]] && echo "root link $n"; done
  for n in $(ls -A /sys/fs/bpf 2>/dev/null); do dead_run "$n" && echo "pin /sys/fs/bpf/$n"; done
  for n in $(ls -A $CGROOT 2>/dev/null); do [ -d "$CGROOT/$n" ] && dead_run "$n" && echo "cgroup $CGROOT/$n"; done
  local cg; cg=$(bpftool cgroup tree $CGROOT 2>/dev/null)
  [ "$cg" = "$cg0" ] || echo "cgroup BPF attachments changed: $(diff <(echo "$cg0") <(echo "$cg") | grep '^>' | head -3 | tr '\n' ' ')"
  pgrep -f "$tmp" >/dev/null && echo "process still alive: $(pgrep -af "$tmp" | head -3 | tr '\n' ' ')"
  local s; s=$(diff <(echo "$sys0") <(sysctls) | grep '^[<>]' | head -5 | tr '\n' ' ')
  [ -z "$s" ] || echo "sysctl changed: $s"
}

sys0=$(sysctls)
cg0=$(bpftool cgroup tree $CGROOT 2>/dev/null)
pre=$(leftovers)
if [ -n "$pre" ]; then echo "kill_loop: leftovers before starting (run benchlab cleanup):"; echo "$pre"; exit 1; fi

# Which runs get SIGKILL: KILLS distinct random indices in 1..RUNS.
declare -A kill_at
for i in $(shuf -i 1-"$RUNS" -n "$KILLS"); do kill_at[$i]=1; done

expected_ms=800   # a short.toml run, refined by the unkilled runs
total_ms=0 timed=0 late=0 killed=0 interrupted=0 bad=0 found=0 cleanups=""
t0=$(date +%s.%N)
now_ms() { date +%s%3N; }
run_one() {  # run_one INDEX SIGNAL|none
  local i=$1 sig=$2 out=$tmp/out start rc left delay=0
  start=$(now_ms)
  "$BL" run "$SCN" --quiet --out "$out" >"$tmp/stdout" 2>"$tmp/stderr" &
  local pid=$!
  if [ "$sig" != none ]; then
    # SIGKILL anywhere in the run; SIGINT/SIGTERM in its first 3/4, so they land while it runs
    # (one after the CLI's last check is acted on by nobody and the run exits 0).
    if [ "$sig" = KILL ]; then delay=$((RANDOM % expected_ms)); else delay=$((RANDOM % (expected_ms * 3 / 4))); fi
    sleep "$(printf '0.%03d' "$delay")"
    kill -s "$sig" "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null; rc=$?
  local took=$(($(now_ms) - start))
  case $sig in
    none) want=0; total_ms=$((total_ms + took)); timed=$((timed + 1)); expected_ms=$((total_ms / timed)) ;;
    KILL) want=137; [ "$rc" -eq 137 ] && killed=$((killed + 1)) || late=$((late + 1)) ;;
    INT) want=130; interrupted=$((interrupted + 1)) ;;
    TERM) want=143; interrupted=$((interrupted + 1)) ;;
  esac
  if [ "$rc" -ne "$want" ]; then
    # A SIGKILL that lands after the process exited finds nothing to kill.
    if [ "$sig" = KILL ] && [ "$rc" -eq 0 ]; then :; else
      echo "run $i ($sig after ${delay} ms): exit $rc, want $want: $(tail -c 300 "$tmp/stderr")"; bad=$((bad + 1))
    fi
  fi
  if [ "$sig" = KILL ]; then
    sleep 0.2   # children die by PR_SET_PDEATHSIG; give them a moment
    local c; c=$("$BL" cleanup 2>&1) || { echo "run $i: benchlab cleanup failed: $c"; bad=$((bad + 1)); }
    case $c in "nothing to clean up") ;; *) cleanups="$cleanups$i:$(echo "$c" | grep -c '^removed') " ;; esac
  fi
  left=$(leftovers)
  if [ -n "$left" ]; then
    echo "run $i ($sig after ${delay} ms): LEFTOVER:"; echo "$left" | sed 's/^/  /'
    found=$((found + 1))
    "$BL" cleanup >/dev/null 2>&1   # so one leftover is not counted again after every later run
  fi
  rm -rf "$out"
}

for ((i = 1; i <= RUNS; i++)); do
  run_one "$i" "$([ -n "${kill_at[$i]:-}" ] && echo KILL || echo none)"
done
for ((j = 1; j <= SIGNALS; j++)); do run_one "int$j" INT; run_one "term$j" TERM; done
left=$(leftovers); [ -z "$left" ] || { echo "at the end: LEFTOVER:"; echo "$left"; found=$((found + 1)); }

wall=$(echo "$(date +%s.%N) - $t0" | bc)
echo "kill_loop: cleanup removed (run:items) ${cleanups:-nothing}"
echo "kill_loop: mean unkilled run ${expected_ms} ms, wall ${wall%.*} s"
[ "$late" -eq 0 ] || echo "kill_loop: $late SIGKILLs came after the run had ended"
echo "kill_loop: $((RUNS + 2 * SIGNALS)) runs, $killed killed, $interrupted interrupted, $found leftovers, $bad unexpected exits"
[ "$found" -eq 0 ] && [ "$bad" -eq 0 ]
