#!/usr/bin/env bash
# Every dependency points down towards the core. Checks, from the source tree and the CMake
# build tree, that:
#   - harness/core includes nothing of harness/src, the workloads, proxy, netns, bpf or reports,
#     and its CMake target links no other benchlab target;
#   - netns, proxy and reports include only the core and themselves; bpf only the core, proxy
#     (its sockmap movers are proxy movers) and itself (also its own BPF headers); the workloads
#     only the core, themselves and bpf (a datapath object may be a load engine); reports
#     includes nothing of netns or bpf;
#   - the library targets link only downwards (read from the build tree's generated link lines);
#   - no link counter travels as a "link.<role>." string.
# Usage: ci/check_layering.sh SOURCE_DIR [BUILD_DIR]. Prints every violation; exits 1 on any.
set -u
src=${1:?usage: check_layering.sh SOURCE_DIR [BUILD_DIR]}
build=${2:-}
bad=0
fail() { echo "layering: $*"; bad=1; }

# includes_of DIR: "file:header" for each #include "benchlab/..." under DIR (C, C++ and BPF sources).
includes_of() {
  grep -rHoE '#include[[:space:]]+"benchlab/[a-z_]+/' "$src/$1" --exclude-dir=tests --include='*.cpp' --include='*.hpp' \
    --include='*.h' --include='*.c' 2>/dev/null | sed -E 's|#include[[:space:]]+"benchlab/||; s|/$||'
}
# check DIR ALLOWED...: every benchlab/<module>/ header included under DIR is one of ALLOWED.
check() {
  local dir=$1; shift
  local line file mod ok a
  while IFS= read -r line; do
    file=${line%%:*} mod=${line##*:} ok=0
    for a in "$@"; do [ "$mod" = "$a" ] && ok=1; done
    [ $ok -eq 1 ] || fail "${file#$src/} includes benchlab/$mod/ (allowed from $dir: $*)"
  done < <(includes_of "$dir")
}
# Top-level harness headers (benchlab/runner.hpp ...) belong to the composition root only.
check_no_root_headers() {
  local dir=$1
  grep -rHnE '#include[[:space:]]+"benchlab/[a-z_]+\.hpp"' "$src/$dir" --exclude-dir=tests --include='*.cpp' --include='*.hpp' \
    --include='*.h' --include='*.c' 2>/dev/null | while IFS= read -r l; do
    echo "layering: ${l#$src/}: a header of the composition root (harness/include) outside it"
  done | grep . && bad=1
}

check harness/core core
check_no_root_headers harness/core
check netns core netns
check_no_root_headers netns
check harness/proxy core proxy
check_no_root_headers harness/proxy
check bpf/src core proxy bpf
check bpf/include core proxy bpf
check bpf/progs bpf
check_no_root_headers bpf
check harness/workloads core workloads bpf netns
check_no_root_headers harness/workloads
check reports core reports
check_no_root_headers reports

# No link counter as a string key, built or parsed (typed LinkCounters records instead).
if hits=$(grep -rnE '"link\.|link\.<role>|"\.rx_packets"' "$src"/harness "$src"/netns "$src"/bpf "$src"/reports \
    --include='*.cpp' --include='*.hpp' --include='*.h' --include='*.c' 2>/dev/null | grep -v 'check_layering'); then
  while IFS= read -r h; do fail "link counter as a string: ${h#$src/}"; done <<<"$hits"
fi

# Link lines: each library target may link only the targets below it.
if [ -n "$build" ]; then
  declare -A allowed=(
    [benchlab_core]=""
    [benchlab_netns]="benchlab_core"
    [benchlab_proxy]="benchlab_core"
    [benchlab_bpf]="benchlab_core benchlab_proxy"
    [benchlab_workloads]="benchlab_core benchlab_bpf benchlab_proxy benchlab_netns"
    [benchlab_reports]="benchlab_core"
  )
  for t in "${!allowed[@]}"; do
    f=$(find "$build" -path "*/CMakeFiles/$t.dir/DependInfo.cmake" 2>/dev/null | head -1)
    [ -n "$f" ] || { fail "no build information for target $t under $build"; continue; }
    # CMAKE_TARGET_LINKED_INFO_FILES lists the DependInfo of every benchlab target it links.
    for dep in $(sed -n '/CMAKE_TARGET_LINKED_INFO_FILES/,/)/p' "$f" | grep -oE 'benchlab_[a-z_]+\.dir' | sed 's/\.dir$//'); do
      case " ${allowed[$t]} " in *" $dep "*) ;; *) fail "target $t links $dep (allowed: ${allowed[$t]:-nothing of benchlab})";; esac
    done
  done
fi

[ $bad -eq 0 ] && echo "layering: ok (core at the bottom, every dependency pointing down)"
exit $bad
