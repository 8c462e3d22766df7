/* SPDX-License-Identifier: GPL-2.0 */
/* What both sockmap datapaths share: the sockhash of established sockets, the counters, the
 * sockops program that fills the sockhash, and the key builder. Included by exactly one .bpf.c
 * per skeleton. */
#ifndef BENCHLAB_SOCKMAP_COMMON_BPF_H
#define BENCHLAB_SOCKMAP_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "benchlab/bpf/sockmap.h"

#define BL_AF_INET 2
#define BL_AF_INET6 10

/* Test-only: when set, verdict programs look up a key no socket can have (port 0), so every
 * lookup misses. Lets tests prove that a datapath which does not carry the traffic fails its
 * engagement check instead of reporting kernel-stack numbers as its own. */
const volatile bool break_key = false;

/* Value size 8: a user-space lookup of a sockhash returns the socket cookie, which the
 * readiness barrier compares with SO_COOKIE. Resized from user space before load. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65536);
	__type(key, struct bl_sock_key);
	__type(value, __u64);
} sock_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bl_sockmap_counters);
} counters SEC(".maps");

static __always_inline struct bl_sockmap_counters *bl_counters(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&counters, &zero);
}

/* Atomic even though the record is per CPU: sockops can run in softirq on top of a verdict
 * program that was interrupted mid-update on the same CPU. */
#define BL_COUNT(field, n)                                         \
	do {                                                       \
		struct bl_sockmap_counters *c__ = bl_counters();   \
		if (c__)                                           \
			__sync_fetch_and_add(&c__->field, (n));    \
	} while (0)

/* Fills `key` with the connection of the context's socket. The sides are named by the caller:
 * (local, remote) gives this socket's own key, (remote, local) its peer's. The context's ports:
 * local_port is in host order, remote_port in network order in the upper 16 bits of the u32 on
 * little-endian (so bpf_ntohl gives the port on any byte order). A macro, because the verifier
 * wants constant offsets into each context type; and every field is read before any branch,
 * or clang merges the per-family loads into one load at a computed ctx offset, which the
 * verifier rejects ("dereference of modified ctx ptr"). Evaluates to false for other families. */
#define BL_FILL_KEY(key, ctx, L, R)                                                   \
	({                                                                            \
		__u32 fam__ = (ctx)->family;                                          \
		__u32 l4__ = (ctx)->local_ip4, r4__ = (ctx)->remote_ip4;              \
		__u32 l6__[4] = {(ctx)->local_ip6[0], (ctx)->local_ip6[1],            \
				 (ctx)->local_ip6[2], (ctx)->local_ip6[3]};           \
		__u32 r6__[4] = {(ctx)->remote_ip6[0], (ctx)->remote_ip6[1],          \
				 (ctx)->remote_ip6[2], (ctx)->remote_ip6[3]};         \
		__u32 lp__ = (ctx)->local_port, rp__ = (ctx)->remote_port;            \
		bool ok__ = true;                                                     \
		if (fam__ == BL_AF_INET) {                                            \
			(key)->L##_ip[2] = bpf_htonl(0xffff);                        \
			(key)->L##_ip[3] = l4__;                                      \
			(key)->R##_ip[2] = bpf_htonl(0xffff);                        \
			(key)->R##_ip[3] = r4__;                                      \
		} else if (fam__ == BL_AF_INET6) {                                    \
			__builtin_memcpy((key)->L##_ip, l6__, 16);                    \
			__builtin_memcpy((key)->R##_ip, r6__, 16);                    \
		} else {                                                              \
			ok__ = false;                                                 \
		}                                                                     \
		(key)->L##_port = lp__;                                               \
		(key)->R##_port = bpf_ntohl(rp__);                                    \
		ok__;                                                                 \
	})

/* Every socket of the workload's cgroup enters the sockhash once it is established, on both
 * ends (active: the connecting side; passive: the accepted socket). Listening sockets never do.
 * Keys here are always true: break_key only corrupts the verdicts' lookups. */
SEC("sockops")
int sockmap_sockops(struct bpf_sock_ops *skops)
{
	struct bl_sock_key key = {};

	if (skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB &&
	    skops->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		return 1;

	if (!BL_FILL_KEY(&key, skops, local, remote) ||
	    bpf_sock_hash_update(skops, &sock_hash, &key, BPF_ANY) != 0) {
		BL_COUNT(insert_errors, 1);
		return 1;
	}
	BL_COUNT(inserted, 1);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";

#endif /* BENCHLAB_SOCKMAP_COMMON_BPF_H */
