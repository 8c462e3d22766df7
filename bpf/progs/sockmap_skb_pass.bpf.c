// SPDX-License-Identifier: GPL-2.0
// sockmap-skb-pass: a stream-verdict program (no parser) runs on every skb TCP delivers to a
// socket of the workload, and the psock delivers it to the reading application through its
// ingress queue (sk_psock_skb_ingress_self) instead of the plain TCP receive queue. The payload still crosses
// TCP/IP and the link; what this datapath measures is the cost of the sk_skb receive path.
//
// Why SK_PASS and not bpf_sk_redirect_hash(BPF_F_INGRESS): the verdict runs on the receiving
// socket, and in a client/server pair the socket the data is for is that same socket. The
// sender's key reversed names it; redirecting to the context's reversed tuple would hand data
// back to its sender. Redirecting a socket's skbs to itself is not a path the kernel supports:
// on 6.18 the skb is "eaten" (copied_seq advanced) on redirect and counted again when read, the
// receive window never reopens and the transfer stalls (tests reproduced this). A redirect to a
// different socket only makes sense with a third socket (a relay, as sockmap-skb has: see
// sockmap_proxy.bpf.c), not in these topologies.
//
// The verdict still looks the receiving socket up in the sockhash by its normalised key: a hit
// proves the key path (and sockops population) works and is counted as carried; a miss is
// counted. Miss policy: as for sockmap-msg, SK_PASS — delivery is never refused.
#include "sockmap_common.bpf.h"

SEC("sk_skb/stream_verdict")
int sockmap_skb_pass_verdict(struct __sk_buff *skb)
{
	struct bl_sock_key self = {};
	struct bpf_sock *sk;
	__u64 len = skb->len;

	BL_VERDICT_KEY(&self, skb, local, remote);
	sk = bpf_map_lookup_elem(&sock_hash, &self);
	if (sk)
		bpf_sk_release(sk);
	return bl_book(sk != NULL, len);
}
