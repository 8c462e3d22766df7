// SPDX-License-Identifier: GPL-2.0
// sockmap-msg: the sender's sendmsg() hands each message straight to the receiving socket's
// ingress queue; TCP/IP below the socket layer never sees the payload.
//
// Miss policy: when the peer is not in the sockhash (not yet established, outside the cgroup,
// already closing) the message goes to the normal TCP stack (SK_PASS) and is counted as a miss.
// Dropping it instead (SK_DROP, as the well-known tutorial does) makes sendmsg fail with EACCES
// in the application — a benchmark must never change what the workload observes.
#include "sockmap_common.bpf.h"

SEC("sk_msg")
int sockmap_msg_verdict(struct sk_msg_md *msg)
{
	struct bl_sock_key peer = {};
	__u64 size = msg->size;

	// Runs on the sending socket; the peer's key is this socket's key reversed.
	BL_VERDICT_KEY(&peer, msg, remote, local);
	return bl_book(bpf_msg_redirect_hash(msg, &sock_hash, &peer, BPF_F_INGRESS) == SK_PASS, size);
}
