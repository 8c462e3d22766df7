#!/usr/bin/env bash
# Runs a command (the test suite) between two snapshots of what benchlab could leave on the host
# (ci/host_state.sh: links, namespaces, cgroup BPF attachments, bpffs, cgroups, sysctls) and
# fails if the host differs afterwards, even when the command itself passed.
# Usage: ci/host_guard.sh COMMAND [ARGS...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
before=$(mktemp /tmp/bl-host-before.XXXXXX) after=$(mktemp /tmp/bl-host-after.XXXXXX)
trap 'rm -f "$before" "$after"' EXIT
bash "$here/host_state.sh" snapshot "$before"
"$@"
rc=$?
bash "$here/host_state.sh" snapshot "$after"
if ! bash "$here/host_state.sh" compare "$before" "$after"; then
  echo "host_guard: the host changed while running: $*" >&2
  [ $rc -eq 0 ] && rc=1
else
  echo "host_guard: host unchanged (links, namespaces, cgroup BPF attachments, bpffs, cgroups, sysctls)"
fi
exit $rc
