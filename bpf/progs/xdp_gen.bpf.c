// SPDX-License-Identifier: GPL-2.0
// The live-frames generator (BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES, as xdp-trafficgen
// runs it): the kernel recycles each frame's page with whatever its last user wrote, so every
// run rewrites the frame's first 64 bytes from the template (Ethernet, IP and UDP headers with
// their lengths and the IPv4 header checksum), then the flow's source port, the payload header
// (magic and sequence number) and the UDP checksum, and returns XDP_TX: in live-frames mode the frame
// leaves through the ingress interface, the generator's veth.
//
// The UDP checksum is the template's partial sum (user space: pseudo-header, ports with source
// port 0, length, payload with seq 0) plus this frame's source port and seq, folded. The payload
// fill after the first 64 bytes is never rewritten: it is the template's, unless a receiver
// wrote into the page (none of benchlab's datapaths does).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "benchlab/bpf/xdp.h"

#define GEN_TMPL_WORDS (BL_XDP_GEN_MAX_HDR / 8)

const volatile __u64 tmpl[GEN_TMPL_WORDS] = {};  /* the frame's first 64 bytes, as stored */
const volatile __u32 frame_len = 64;             /* the whole frame; runs on shorter ones abort */
const volatile __u32 l4_off = 34;                /* UDP header (34 IPv4, 54 IPv6) */
const volatile __u32 flows = 1;
const volatile __u32 src_port = 9;               /* first source port, host order */
const volatile __u64 csum_base = 0;              /* see above; unfolded */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bl_xdp_gen_counters);
} gen_counters SEC(".maps");

static __always_inline __u16 fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct bl_xdp_gen_counters *c;
	__u32 key = 0, off = l4_off, port;
	__u64 n, seq, sum;
	__u16 csum;

	c = bpf_map_lookup_elem(&gen_counters, &key);
	if (!c)
		return XDP_ABORTED;
	/* off + 8 (UDP) + 12 (magic, seq) is at most 74 <= frame_len (user space checks). */
	if (off > 54 || data + BL_XDP_GEN_MAX_HDR > data_end || data + frame_len > data_end || data + off + 20 > data_end) {
		c->short_frames++;
		return XDP_ABORTED;
	}
	n = c->frames;
#pragma unroll
	for (int i = 0; i < GEN_TMPL_WORDS; i++)
		((__u64 *)data)[i] = tmpl[i];

	port = src_port + (flows > 1 ? (__u32)(n % flows) : 0);
	seq = ((__u64)bpf_get_smp_processor_id() << 48) | (n & 0xffffffffffffULL);
	sum = csum_base + port + (seq >> 48) + ((seq >> 32) & 0xffff) + ((seq >> 16) & 0xffff) + (seq & 0xffff);
	csum = fold(sum);
	if (csum == 0)
		csum = 0xffff;

	struct udphdr *udp = data + off;
	udp->source = bpf_htons(port);
	udp->check = bpf_htons(csum);
	*(__u32 *)(udp + 1) = bpf_htonl(BL_PAYLOAD_MAGIC);   /* IPv6: past the template's 64 bytes */
	*(__u64 *)((void *)(udp + 1) + 4) = bpf_cpu_to_be64(seq);

	c->frames = n + 1;
	c->bytes += frame_len;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
