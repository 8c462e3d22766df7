// SPDX-License-Identifier: GPL-2.0
// The smallest program benchlab builds: it proves the BPF build path (vmlinux.h from BTF,
// clang -target bpf, bpftool skeleton) and is used by `benchlab list` to probe that this
// kernel loads BPF at all. It counts how often it ran; BPF_PROG_TEST_RUN drives it in tests.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} runs SEC(".maps");

SEC("xdp")
int probe_xdp(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&runs, &key);

	if (n)
		*n += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
