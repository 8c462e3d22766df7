// Feature probes, each answering with a reason a user can act on. They load and unload
// throw-away programs and leave nothing behind; results are not cached.
#pragma once

#include "benchlab/core/registry.hpp"

namespace benchlab::bpf {

Support probe_bpf();         // can this process load BPF at all (privilege, memlock, BTF)
Support probe_sockops();     // BPF_PROG_TYPE_SOCK_OPS loadable
Support probe_sk_msg();      // BPF_PROG_TYPE_SK_MSG loadable
Support probe_sk_skb();      // BPF_PROG_TYPE_SK_SKB loadable
Support probe_cgroup_v2();   // cgroup v2 mounted at kCgroupRoot, where socket datapaths attach

}  // namespace benchlab::bpf
