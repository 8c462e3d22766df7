/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Records shared by the XDP programs (progs/xdp_actions.bpf.c, progs/xdp_gen.bpf.c) and their
 * user-space objects (src/xdp.cpp). Fixed-width types only; one record fills one cache line so
 * CPUs never share a line of a per-CPU map. Included by BPF C (after vmlinux.h) and by C++. */
#ifndef BENCHLAB_BPF_XDP_H
#define BENCHLAB_BPF_XDP_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* xdp_actions: one record per verdict returned, indexed by the XDP action value
 * (XDP_ABORTED 0, XDP_DROP 1, XDP_PASS 2, XDP_TX 3, XDP_REDIRECT 4). */
#define BL_XDP_VERDICTS 5
struct bl_xdp_counters {
	__u64 packets;        /* frames given this verdict */
	__u64 bytes;          /* their L2 length (data_end - data, no FCS) */
	__u64 parse_errors;   /* of those, frames whose headers could not be parsed */
	__u64 ipv4;           /* of those, IPv4 frames (after any VLAN tags) */
	__u64 ipv6;           /* of those, IPv6 frames */
	__u64 udp;            /* of those, UDP datagrams (first fragments and unfragmented) */
	__u64 reserved[2];
} __attribute__((aligned(64)));

/* xdp_gen: the generator's own count (one record, key 0). */
struct bl_xdp_gen_counters {
	__u64 frames;         /* frames the program ran and rewrote (returned XDP_TX) */
	__u64 bytes;          /* their L2 length */
	__u64 short_frames;   /* frames shorter than the template (left untouched, XDP_ABORTED) */
	__u64 reserved[5];
} __attribute__((aligned(64)));

/* The generator's header template: Ethernet + IPv4 (42 bytes with UDP) or IPv6 (62). */
#define BL_XDP_GEN_MAX_HDR 64
/* The payload's first 4 bytes (core/packet.hpp kPayloadMagic, "BLUD"), then the 8-byte seq. */
#define BL_PAYLOAD_MAGIC 0x424c5544

#endif /* BENCHLAB_BPF_XDP_H */
