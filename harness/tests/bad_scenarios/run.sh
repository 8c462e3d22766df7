#!/usr/bin/env bash
# Bad-input catalogue: every case in expected.txt must make both `benchlab validate` and
# `benchlab run` exit 3 with exactly one stderr line naming the file (and line and key where
# there is one), write no report and create nothing: no namespace, cgroup, pin or run record.
# Usage: run.sh BENCHLAB DIR   (DIR: this folder, holding expected.txt and cases/)
set -u
BL=$1 DIR=$2
if [ ! -x "$BL" ] || [ ! -f "$DIR/expected.txt" ]; then
  echo "usage: run.sh BENCHLAB DIR (DIR holds expected.txt and cases/)" >&2
  exit 2
fi
tmp=$(mktemp -d /tmp/benchlab-bad.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

make_generated() {
  local g=$tmp/gen
  mkdir -p "$g"
  # 2 MiB of well-formed TOML comments: refused by size, never read whole.
  { printf 'name = "big"\nworkloads = ["tcp_rr"]\n'; yes '# padding padding padding padding padding padding' | head -c $((2 << 20)); } >"$g/big.toml"
  { printf 'name = "big"\nworkloads = ["tcp_rr"]\n'; yes '#' | head -c $(((1 << 20) - 34)); } >"$g/big_exact.toml"
  # ~60000 nested tables: crashed toml++ (stack overflow) before the depth check.
  { printf 'name = "deep"\nworkloads = ["tcp_rr"]\n['; yes 'a.' | head -n 60000 | tr -d '\n'; printf 'a]\n'; } >"$g/dotted_60k.toml"
  ln -s symlink_loop.toml "$g/symlink_loop.toml"
  mkdir "$g/directory.toml"
  mkfifo "$g/fifo.toml"
  printf 'name = "good"\nduration_s = 0.5\nwarmup_s = 0.2\nrepetitions = 1\nworkloads = ["tcp_rr"]\n[matrix]\nmessage_size = [64]\n' >"$g/good.toml"
  DEEPKEY="$(yes 'a.' | head -n 40000 | tr -d '\n')a=1"
}

# Benchlab's resources ("bl-" + 6 hex run id ...) and run records. Names owned by a live run
# (its record's pid exists) belong to someone else's run and are ignored; so are other tests'
# names that are not run ids (bl-scratch-..., test fixtures), which a benchlab run never makes.
resources() {
  local d n id pid
  for d in /run/netns /sys/fs/cgroup/unified /sys/fs/bpf /run/benchlab/runs; do
    [ -d "$d" ] || continue
    for n in $(ls -A "$d" 2>/dev/null); do
      # A run record is ours only if it holds the pid of the command under test.
      if [ "$d" = /run/benchlab/runs ]; then [ "$(head -n1 "$d/$n" 2>/dev/null)" = "${OURPID:-none}" ] && echo "$d/$n"; continue; fi
      [[ $n =~ ^bl-([0-9a-f]{6}) ]] || continue
      id=${BASH_REMATCH[1]}
      pid=$(head -n1 "/run/benchlab/runs/$id" 2>/dev/null || true)
      if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then continue; fi
      echo "$d/$n"
    done
  done | sort
}

# With strace, the proof that `run` created nothing does not depend on what else runs on the
# machine: no process, namespace, mount, BPF object, socket, directory or file opened for
# writing. Without strace only the resource snapshot is compared.
STRACE=()
if command -v strace >/dev/null; then
  STRACE=(strace -f -qq -e signal=none -e trace=mkdir,mkdirat,mount,unshare,setns,bpf,clone,clone3,fork,vfork,socket,rename,renameat,renameat2,symlink,symlinkat,link,linkat,unlink,unlinkat,rmdir,open,openat,creat)
else
  echo "note: strace not installed; checking by resource snapshot only"
fi
side_effects() {  # side_effects STRACE_LOG: the calls that would change the system
  [ -s "$1" ] || return 0
  grep -vE '^[0-9]+ +(open|openat)\(.*O_RDONLY' "$1" | grep -vE '^[0-9]+ +\+\+\+ exited' | head -3
}

fail=0 ncase=0
check() {  # check CASE PATH REGEX [ARGS...]
  local case=$1 path=$2 re=$3; shift 3
  local prefix
  if [[ $re == --set:* ]]; then prefix='^benchlab: '; else prefix="^benchlab: $(printf '%s' "$path" | sed 's/[][\.*^$+?(){}|/]/\\&/g')"; fi
  local mode
  for mode in validate run; do
    local before after err rc lines out=$tmp/out-$ncase-$mode
    before=$(resources)
    local log=$tmp/strace.log cmd=("$BL" validate "$path" "$@")
    [ $mode = run ] && cmd=("$BL" run "$path" "$@" --quiet --out "$out")
    rm -f "$log"
    # strace only `run` (validate has no side effect to hide): LeakSanitizer cannot work under
    # ptrace, so a sanitizer build checks leaks on the validate path and syscalls on the run path.
    if [ $mode = run ] && [ ${#STRACE[@]} -gt 0 ]; then
      cmd=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "${STRACE[@]}" -o "$log" "${cmd[@]}")
    fi
    "${cmd[@]}" >/dev/null 2>"$tmp/stderr" &
    OURPID=$!   # the run record of a benchlab started directly would hold this pid
    # A hang is a failure, not a stuck test; the watchdog ends with the command (tail --pid).
    (timeout 30 tail --pid=$OURPID -f /dev/null || kill -KILL $OURPID 2>/dev/null) &
    wait $OURPID; rc=$?
    err=$(cat "$tmp/stderr")
    after=$(resources)
    lines=$(printf '%s' "$err" | grep -c '')
    local why=""
    [ "$rc" -eq 3 ] || why="exit $rc (want 3)"
    [ "$lines" -eq 1 ] || why="$why; $lines stderr lines (want 1)"
    grep -qE -- "$prefix$re" <<<"$err" || why="$why; does not match /$prefix$re/"
    [ ! -e "$out" ] || why="$why; wrote $out"
    local calls; calls=$(side_effects "$log")
    [ -z "$calls" ] || why="$why; system calls with side effects: $(echo $calls | head -c 200)"
    if [ "$before" != "$after" ]; then
      sleep 1   # something appeared: tell a leak (it stays) from another user's short-lived test
      local new; new=$(comm -13 <(echo "$before") <(resources))
      [ -z "$new" ] || why="$why; created: $(echo $new)"
    fi
    if [ -n "$why" ]; then
      echo "FAIL $case [$mode] ${why#; }: $(head -c 300 <<<"$err")"
      fail=$((fail + 1))
    else
      echo "ok   $case [$mode] $(head -c 160 <<<"$err")"
    fi
  done
  ncase=$((ncase + 1))
}

make_generated
while IFS=$'\t' read -r case re args; do
  case $case in '' | '#'*) continue ;; esac
  if [[ $case == @* ]]; then path=$tmp/gen/${case#@}; else path=$DIR/cases/$case; fi
  if [[ $case != @* ]] && [ ! -f "$path" ]; then echo "FAIL $case: no such case file"; fail=$((fail + 1)); continue; fi
  extra=()
  for a in $args; do [ "$a" = @DEEPKEY ] && a=$DEEPKEY; extra+=("$a"); done
  check "$case${args:+ $(head -c 60 <<<"$args")}" "$path" "$re" "${extra[@]}"
done <"$DIR/expected.txt"

# Every file in cases/ must have an expectation.
for f in "$DIR"/cases/*; do
  grep -q "^$(basename "$f")	" "$DIR/expected.txt" || { echo "FAIL $(basename "$f"): no line in expected.txt"; fail=$((fail + 1)); }
done
echo "bad_scenarios: $ncase cases x 2 commands, $fail failures"
[ $fail -eq 0 ]
