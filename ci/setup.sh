#!/usr/bin/env bash
# Idempotent set-up of a fresh Debian 12 machine for benchlab (run as root).
# Installs every build and run dependency from Debian's archive and mounts bpffs if missing.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "ci/setup.sh: must run as root (apt-get and mount need it)" >&2
  exit 4
fi

PACKAGES=(
  build-essential cmake pkg-config git
  clang llvm libclang-rt-14-dev
  libbpf-dev libxdp-dev bpftool libelf-dev zlib1g-dev
  libiperf-dev iperf3 sockperf
  libgtest-dev libgmock-dev libbenchmark-dev
  libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libnl-3-dev libnl-route-3-dev libsqlite3-dev libssl-dev
  pybind11-dev python3-dev python3-matplotlib python3-scipy libxml2-utils
  chromium libbenchmark-tools python3-pytest
  iproute2 ethtool procps
  python3-pandas python3-ipykernel jupyter-nbconvert
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# bpffs: benchlab pins nothing outside its own run directory, but libbpf and bpftool expect it.
if ! mountpoint -q /sys/fs/bpf; then
  mkdir -p /sys/fs/bpf
  mount -t bpf bpf /sys/fs/bpf
fi
# The Python module: the build puts it in <repo>/build/pybind; this .pth makes Debian's python
# find it there from any directory (a path that does not exist yet is skipped until it does).
repo=$(cd "$(dirname "$0")/.." && pwd)
site=$(/usr/bin/python3 -c 'import site; print(site.getsitepackages()[0])')
mkdir -p "$site"
echo "$repo/build/pybind" >"$site/benchlab.pth"
echo "ci/setup.sh: dependencies installed, bpffs mounted at /sys/fs/bpf, $site/benchlab.pth -> $repo/build/pybind"
