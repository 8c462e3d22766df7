// SPDX-License-Identifier: GPL-2.0
// XDP packet datapaths, one source for every action (xdp-bench's pattern): user space sets the
// `action` knob before load; the program parses the frame's headers (Ethernet, up to two VLAN
// tags, IPv4/IPv6, UDP/TCP), counts it per verdict and returns the action. Parsing does not
// change the verdict: a frame it cannot parse is counted as a parse error and still given the
// action, so the datapath never silently treats odd frames differently.
// XDP 2 adds tx/redirect and packet operations as further knobs of this same program.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "benchlab/bpf/xdp.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IP_MF_OFFSET 0x3fff   /* more-fragments flag and fragment offset */
#define IP_OFFSET 0x1fff

const volatile __u32 action = XDP_PASS;   /* XDP_DROP or XDP_PASS (checked by user space) */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BL_XDP_VERDICTS);
	__type(key, __u32);
	__type(value, struct bl_xdp_counters);
} verdicts SEC(".maps");

struct parsed {
	__u8 ipv4, ipv6, udp;
};

/* 0 when every header present is whole in the buffer, -1 otherwise. Non-IP frames (ARP...) are
 * whole after their Ethernet header; IPv4 fragments after the first carry no L4 header; IPv6
 * extension headers are not walked (the frame counts as IPv6, not UDP). */
static __always_inline int parse(void *data, void *data_end, struct parsed *p)
{
	struct ethhdr *eth = data;
	void *cur;
	__u16 proto;
	__u8 l4;

	if ((void *)(eth + 1) > data_end)
		return -1;
	proto = eth->h_proto;
	cur = eth + 1;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_hdr *vh = cur;
		if ((void *)(vh + 1) > data_end)
			return -1;
		proto = vh->h_vlan_encapsulated_proto;
		cur = vh + 1;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = cur;
		__u32 hl;

		if ((void *)(ip + 1) > data_end)
			return -1;
		hl = ip->ihl * 4;
		if (ip->version != 4 || hl < sizeof(*ip))
			return -1;
		if (cur + hl > data_end)
			return -1;
		p->ipv4 = 1;
		if (ip->frag_off & bpf_htons(IP_OFFSET))
			return 0;
		l4 = ip->protocol;
		cur += hl;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = cur;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		if (ip6->version != 6)
			return -1;
		p->ipv6 = 1;
		l4 = ip6->nexthdr;
		cur = ip6 + 1;
	} else {
		return 0;
	}
	if (l4 == IPPROTO_UDP) {
		if (cur + sizeof(struct udphdr) > data_end)
			return -1;
		p->udp = 1;
	} else if (l4 == IPPROTO_TCP) {
		if (cur + sizeof(struct tcphdr) > data_end)
			return -1;
	}
	return 0;
}

SEC("xdp")
int xdp_action(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct parsed p = {};
	__u32 verdict = action;
	struct bl_xdp_counters *c;
	int err;

	err = parse(data, data_end, &p);
	c = bpf_map_lookup_elem(&verdicts, &verdict);
	if (c) {
		c->packets++;
		c->bytes += data_end - data;
		c->parse_errors += err != 0;
		c->ipv4 += p.ipv4;
		c->ipv6 += p.ipv6;
		c->udp += p.udp;
	}
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
