// Datapaths implemented by BPF programs in this folder.
#pragma once

#include "benchlab/core/registry.hpp"

namespace benchlab::bpf {

// Routes libbpf's log through benchlab's: silent unless verbose, one prefix per line.
void set_libbpf_verbose(bool verbose);

void register_bpf_datapaths(DatapathRegistry& reg);

// Feature probes, each answering with a reason a user can act on. They load and unload
// throw-away programs and leave nothing behind; results are not cached.
Support probe_bpf();         // can this process load BPF at all (privilege, memlock, BTF)
Support probe_sockops();     // BPF_PROG_TYPE_SOCK_OPS loadable
Support probe_sk_msg();      // BPF_PROG_TYPE_SK_MSG loadable
Support probe_sk_skb();      // BPF_PROG_TYPE_SK_SKB loadable
Support probe_cgroup_v2();   // cgroup v2 mounted at kCgroupRoot, where socket datapaths attach

inline constexpr const char* kCgroupRoot = "/sys/fs/cgroup/unified";

}  // namespace benchlab::bpf
