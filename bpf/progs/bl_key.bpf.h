/* SPDX-License-Identifier: GPL-2.0 */
/* The normalised 4-tuple key (struct bl_sock_key, benchlab/bpf/sockmap.h) built from a BPF
 * context: shared by the sockmap datapaths and the TCP-splicing relay. */
#ifndef BENCHLAB_BL_KEY_BPF_H
#define BENCHLAB_BL_KEY_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>

#include "benchlab/bpf/sockmap.h"

#define BL_AF_INET 2
#define BL_AF_INET6 10

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

/* sockops: puts an established socket (active: the connecting side; passive: the accepted
 * socket) into `map` under its own key. Listening and other sockets are left alone. 0: not an
 * established callback; 1: inserted; -1: the family was not IPv4/IPv6 or the update failed. */
#define BL_SOCKHASH_ADD_ESTABLISHED(skops, map)                                       \
	({                                                                            \
		struct bl_sock_key k__ = {};                                          \
		int r__ = 0;                                                          \
		if ((skops)->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB ||              \
		    (skops)->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)               \
			r__ = BL_FILL_KEY(&k__, skops, local, remote) &&              \
			      bpf_sock_hash_update(skops, map, &k__, BPF_ANY) == 0    \
				      ? 1 : -1;                                       \
		r__;                                                                  \
	})

#endif /* BENCHLAB_BL_KEY_BPF_H */
