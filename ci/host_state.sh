#!/usr/bin/env bash
# What benchlab could leave on the host, recorded before and compared after a test run:
# root-namespace links, named namespaces, cgroup BPF attachments, XDP/tc attachments in the root
# namespace, bpffs contents, cgroup v2 directories, benchlab run records and the sysctls
# benchlab or its datapaths may touch (net.core.*, net.ipv4.*, kernel.bpf*, a few more).
# Usage: ci/host_state.sh snapshot FILE
#        ci/host_state.sh compare BEFORE AFTER   (prints differences; exit 1 on any)
set -u
CGROOT=${BENCHLAB_CGROUP_ROOT:-/sys/fs/cgroup/unified}
BPFFS=${BENCHLAB_BPFFS:-/sys/fs/bpf}

snapshot() {
  echo "## links (root namespace): name flags mtu"
  ip -o link show | sed -E 's/^[0-9]+: ([^:]+):.*(<[^>]*>).* mtu ([0-9]+).*/\1 \2 mtu=\3/' | sed -E 's/@[^ ]+//' | sort
  echo "## namespaces"
  ip netns list 2>/dev/null | awk '{print $1}' | sort
  ls -A /run/netns 2>/dev/null | sort | sed 's|^|/run/netns/|'
  echo "## cgroup BPF attachments"
  bpftool cgroup tree "$CGROOT" 2>&1 | sed 1,2d | sort
  echo "## XDP/tc/flow_dissector attachments (root namespace)"
  bpftool net show 2>&1 | grep -vE '^(xdp|tc|flow_dissector):$|^$' | sort
  echo "## bpffs"
  find "$BPFFS" -mindepth 1 2>/dev/null | sort
  echo "## cgroups"
  find "$CGROOT" -mindepth 1 -type d 2>/dev/null | sort
  echo "## benchlab run records"
  ls -A /run/benchlab/runs 2>/dev/null | sort
  echo "## sysctls"
  {
    sysctl -a 2>/dev/null | grep -E '^(net\.core\.|net\.ipv4\.|kernel\.bpf)' |
      grep -vE '^net\.ipv4\.(neigh|conf)\.(bl|veth)'   # per-device entries of links that come and go
    sysctl kernel.unprivileged_bpf_disabled kernel.perf_event_paranoid kernel.sched_autogroup_enabled \
      net.ipv6.conf.all.forwarding vm.nr_hugepages 2>/dev/null
  } | sort
}

case ${1:-} in
  snapshot)
    [ $# -eq 2 ] || { echo "usage: host_state.sh snapshot FILE" >&2; exit 2; }
    snapshot >"$2"
    ;;
  compare)
    [ $# -eq 3 ] || { echo "usage: host_state.sh compare BEFORE AFTER" >&2; exit 2; }
    if d=$(diff -U0 "$2" "$3" | grep -E '^[-+][^-+]' | grep -v '^[-+]##'); then
      echo "host_state: the host changed between $2 and $3:"
      # Print each difference under its section heading.
      diff --unchanged-line-format='' --old-line-format='- %L' --new-line-format='+ %L' \
        <(awk '/^## /{s=$0; next} {print s " | " $0}' "$2") <(awk '/^## /{s=$0; next} {print s " | " $0}' "$3")
      exit 1
    fi
    echo "host_state: no difference"
    ;;
  *)
    echo "usage: host_state.sh snapshot FILE | compare BEFORE AFTER" >&2
    exit 2
    ;;
esac
