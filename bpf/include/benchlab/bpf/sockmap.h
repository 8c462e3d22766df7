/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Records shared by the SockhashRedirect BPF programs (progs/sockmap_msg.bpf.c,
 * sockmap_skb_pass.bpf.c) and their user-space RAII object (src/sockhash_redirect.cpp); the key
 * is also sockmap-skb's (progs/sockmap_proxy.bpf.c). Fixed-width types only, so both compilers
 * agree on the layout; included by BPF C (after vmlinux.h) and by C++. */
#ifndef BENCHLAB_BPF_SOCKMAP_H
#define BENCHLAB_BPF_SOCKMAP_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* A TCP connection as seen from one of its sockets. Addresses are 16 bytes in network order
 * with IPv4 written as IPv4-mapped IPv6 (::ffff:a.b.c.d): an AF_INET client talking to an
 * AF_INET6 server listening on "::" sees the same addresses as that server's accepted socket,
 * so one side's key reversed is exactly the other side's key. Ports are in host order and
 * widened to 32 bits so the struct has no padding (the key is hashed bytewise). */
struct bl_sock_key {
	__u32 local_ip[4];
	__u32 remote_ip[4];
	__u32 local_port;
	__u32 remote_port;
};

/* Per-CPU event counts of one sockmap datapath; user space sums them over CPUs. One record
 * fills one cache line so CPUs never share a line when the record is laid out per CPU. */
struct bl_sockmap_counters {
	__u64 inserted;          /* established sockets added to the sockhash by sockops */
	__u64 insert_errors;     /* bpf_sock_hash_update failed, or the family was not IPv4/IPv6 */
	__u64 redirected;        /* sk_msg: messages redirected to the peer; sk_skb: skbs whose
				  * socket was found in the sockhash (delivered via the psock) */
	__u64 redirected_bytes;  /* payload bytes of those */
	__u64 misses;            /* target not in the sockhash: passed to the normal stack */
	__u64 miss_bytes;        /* payload bytes of those */
	__u64 redirect_errors;   /* verdicts that could not build a key (family not IPv4/IPv6) */
	__u64 reserved;
} __attribute__((aligned(64)));

#endif /* BENCHLAB_BPF_SOCKMAP_H */
