/* SPDX-License-Identifier: GPL-2.0 */
/* What the two SockhashRedirect datapaths (sockmap-msg, sockmap-skb-pass) share: the sockhash
 * of established sockets, the counters, the sockops program that fills the sockhash, and the
 * key builder. Included by exactly one .bpf.c per skeleton. */
#ifndef BENCHLAB_SOCKMAP_COMMON_BPF_H
#define BENCHLAB_SOCKMAP_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "benchlab/bpf/sockmap.h"
#include "bl_key.bpf.h"

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

/* Both verdicts' start: the key of the socket the verdict looks up, named by the caller's sides
 * ((local, remote): the context's own socket; (remote, local): its peer). A context of another
 * family is counted and passed (the macro makes the verdict return SK_PASS); break_key then
 * corrupts the key (no socket has port 0). */
#define BL_VERDICT_KEY(key, ctx, L, R)                          \
	do {                                                    \
		if (!BL_FILL_KEY(key, ctx, L, R)) {             \
			BL_COUNT(redirect_errors, 1);           \
			return SK_PASS;                         \
		}                                               \
		if (break_key)                                  \
			(key)->local_port = 0;                  \
	} while (0)

/* Both verdicts' end: the message or skb was carried (redirected or found), or missed and goes
 * to the normal stack. Never a drop. */
static __always_inline int bl_book(bool carried, __u64 len)
{
	if (carried) {
		BL_COUNT(redirected, 1);
		BL_COUNT(redirected_bytes, len);
	} else {
		BL_COUNT(misses, 1);
		BL_COUNT(miss_bytes, len);
	}
	return SK_PASS;
}

/* Every socket of the workload's cgroup enters the sockhash once it is established, on both
 * ends. Keys here are always true: break_key only corrupts the verdicts' lookups. */
SEC("sockops")
int sockmap_sockops(struct bpf_sock_ops *skops)
{
	int r = BL_SOCKHASH_ADD_ESTABLISHED(skops, &sock_hash);

	if (r > 0)
		BL_COUNT(inserted, 1);
	else if (r < 0)
		BL_COUNT(insert_errors, 1);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";

#endif /* BENCHLAB_SOCKMAP_COMMON_BPF_H */
