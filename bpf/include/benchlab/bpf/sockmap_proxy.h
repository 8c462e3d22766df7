/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Records shared by the verdicts of the proxies whose bytes sockmap moves (progs/sockmap_proxy.bpf.c:
 * proxy-sockmap's egress redirect, sockmap-skb's ingress relay) and their movers in user space
 * (src/sockmap_movers.cpp). Fixed-width types only; included by BPF C (after vmlinux.h) and by
 * C++. */
#ifndef BENCHLAB_BPF_SOCKMAP_PROXY_H
#define BENCHLAB_BPF_SOCKMAP_PROXY_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Per-CPU event counts of the proxy verdicts (proxy-sockmap: redirect to the peer's egress;
 * sockmap-skb: redirect into the far end's ingress); user space sums them over CPUs. One record
 * fills one cache line, so CPUs never share a line. */
struct bl_proxy_verdict_counters {
	__u64 redirected_skbs;   /* skbs redirected (bpf_sk_redirect_hash): to the peer socket's
				  * egress (proxy-sockmap) or the far end's ingress (sockmap-skb) */
	__u64 redirected_bytes;  /* payload bytes of those */
	__u64 misses;            /* no peer for this socket: SK_PASS to the socket's own queue,
				  * where the proxy's user space reads and forwards it */
	__u64 miss_bytes;        /* payload bytes of those */
	__u64 empty_skbs;        /* skbs without payload (a bare FIN): dropped, nothing to forward;
				  * the proxy sees the EOF and forwards the FIN itself */
	__u64 inserted;          /* sockmap-skb only: workload sockets sockops put into `targets` */
	__u64 insert_errors;     /* sockmap-skb only: bpf_sock_hash_update failed or not IPv4/IPv6 */
	__u64 reserved;
} __attribute__((aligned(64)));

/* Per proxied socket (conn_bytes map, key: the socket's cookie): what its verdicts did with its
 * bytes. The proxy compares these with what reached the peer (or what it read itself) before it
 * forwards a FIN, so the FIN never overtakes data still queued in the kernel. */
struct bl_proxy_conn_bytes {
	__u64 redirected_bytes;  /* redirected (to the peer's egress, or the far end's ingress) */
	__u64 passed_bytes;      /* missed: left on this socket for the proxy's user space */
};

#endif /* BENCHLAB_BPF_SOCKMAP_PROXY_H */
