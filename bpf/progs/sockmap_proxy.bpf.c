// SPDX-License-Identifier: GPL-2.0
// The verdicts of the two proxies whose bytes sockmap moves; each proxy loads only its own
// programs (src/sockmap_movers.cpp), the maps they share are created once per object.
//
// proxy-sockmap (egress_redirect_verdict): TCP splicing in the kernel (the approach of
// Cloudflare's "sockmap - TCP splicing of the future"). A proxy holds two sockets per
// connection, client-side and upstream. A stream-verdict program (no parser) runs on every skb
// TCP delivers to either of them and redirects it to the egress of the other one, so the
// proxy's user space never touches the bytes.
//
// Two maps, because a socket starts running the verdict the moment it enters a map the
// program is attached to, and two insertions cannot be atomic:
//   peer_of  SOCKHASH, no program: key = cookie of a proxied socket, value = its peer. It is
//            only the redirect target table; entering it changes nothing for a socket.
//   gate     SOCKHASH, the verdict is attached here: key = the socket's own cookie. The proxy
//            puts a connection's two sockets into `gate` only after both are in peer_of, so
//            no verdict ever runs while its peer is missing (the readiness barrier).
//
// Miss policy: a socket whose cookie has no peer_of entry (the peer closed, or the test-only
// break_key) gets SK_PASS: the skb goes to the socket's own receive path, the proxy's user
// space sees it readable, reads it and writes it to the peer itself (counted there as
// user-copied bytes). Nothing is dropped by the verdict.
//
// sockmap-skb (relay_ingress_verdict, relay_sockops): the kernel's bench_sockmap
// "rx_verdict_ingress" path in a client/server workload. The client connects to a relay socket
// R1, the relay connects R2 to the server. The workload's own sockets (client C, server S) join
// `targets` through sockops in the run's cgroup; the relay tells the verdict, per relay socket,
// whose ingress its skbs go to (`target_of`: R1 -> S, R2 -> C). Each byte crosses TCP once
// (C -> R1 or S -> R2) and is then redirected with BPF_F_INGRESS straight into the receiving
// workload socket's queue; R2 and R1 never send it. Same gate map, conn_bytes bookkeeping and
// miss policy as the egress redirect.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "benchlab/bpf/sockmap_proxy.h"
#include "bl_key.bpf.h"

/* Test-only: look up cookie 0, which no socket has, so every skb misses. The data must still
 * arrive (through the user-space fallback) and the run must fail its engagement check. */
const volatile bool break_key = false;

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} peer_of SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} gate SEC(".maps");

/* What happened to each proxied socket's bytes (key: its cookie). The proxy creates the entry
 * before gating the socket and deletes it after closing; at a half-close it waits until the
 * peer's TCP has been handed every redirected byte (and it has read every passed one) before it
 * forwards the FIN. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct bl_proxy_conn_bytes);
} conn_bytes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bl_proxy_verdict_counters);
} counters SEC(".maps");

/* Relay: the workload's sockets by their own normalised 4-tuple (filled by relay_sockops; no
 * program attached, so entering it changes nothing for a socket but its receive path). */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65536);
	__type(key, struct bl_sock_key);
	__type(value, __u64);
} targets SEC(".maps");

/* Relay: cookie of a relay socket -> key (in `targets`) of the socket its skbs go into. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct bl_sock_key);
} target_of SEC(".maps");

/* Relay: set to 1 by the relay when the host runs short of memory. The kernel holds whatever a
 * bulk sender pushes past a receiver that cannot keep up (nothing flows back to slow the
 * sender), so from then on skbs take the miss path: TCP, with its flow control. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} memory_guard SEC(".maps");

/* Relay: keys of workload sockets whose relay socket is gated (the workload's readiness
 * barrier: its socket is in `targets` and the bytes for it will be redirected). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct bl_sock_key);
	__type(value, __u64);
} armed SEC(".maps");

/* Atomic even though the record is per CPU: the verdict runs in softirq and also in process
 * context (backlog processing at release_sock, the proxy's SO_RCVLOWAT kick). */
#define BL_COUNT(c, field, n) __sync_fetch_and_add(&(c)->field, (n))

/* Books one skb's verdict, per connection (for the proxy's FIN drain) and per CPU: redirected,
 * or passed to the socket's own queue as a counted miss. Either way the skb goes on: SK_PASS. */
static __always_inline int bl_book(struct bl_proxy_verdict_counters *c, struct bl_proxy_conn_bytes *conn,
				   __u64 len, bool redirected)
{
	if (conn)
		__sync_fetch_and_add(redirected ? &conn->redirected_bytes : &conn->passed_bytes, len);
	if (c && redirected) {
		BL_COUNT(c, redirected_skbs, 1);
		BL_COUNT(c, redirected_bytes, len);
	} else if (c) {
		BL_COUNT(c, misses, 1);
		BL_COUNT(c, miss_bytes, len);
	}
	return SK_PASS;
}

/* Both verdicts' start: the per-CPU counters, this socket's cookie (and the cookie a lookup
 * uses: 0 under break_key), the skb's length and its connection's byte record. */
struct bl_verdict_ctx {
	struct bl_proxy_verdict_counters *c;
	struct bl_proxy_conn_bytes *conn;
	__u64 cookie, lookup, len;
};

/* False when the skb is a bare FIN, which the verdict must drop. TCP hands a bare FIN to the
 * verdict as an empty skb. Redirected, the peer's psock would try to send 0 bytes, take that as
 * a broken pipe and stop transmitting (EPIPE on the peer); passed, it would become an empty
 * message. It carries nothing: drop it and let the proxy forward the FIN, which it learns from
 * the socket's RCV_SHUTDOWN. */
static __always_inline bool bl_verdict_begin(struct __sk_buff *skb, struct bl_verdict_ctx *v)
{
	__u32 zero = 0;

	v->c = bpf_map_lookup_elem(&counters, &zero);
	v->cookie = bpf_get_socket_cookie(skb);
	v->lookup = break_key ? 0 : v->cookie;
	v->len = skb->len;
	v->conn = NULL;
	if (v->len == 0) {
		if (v->c)
			BL_COUNT(v->c, empty_skbs, 1);
		return false;
	}
	v->conn = bpf_map_lookup_elem(&conn_bytes, &v->cookie);
	return true;
}

SEC("sk_skb/stream_verdict")
int egress_redirect_verdict(struct __sk_buff *skb)
{
	struct bl_verdict_ctx v;

	if (!bl_verdict_begin(skb, &v))
		return SK_DROP;
	return bl_book(v.c, v.conn, v.len, bpf_sk_redirect_hash(skb, &peer_of, &v.lookup, 0) == SK_PASS);
}

/* Every established socket of the workload's cgroup (the relay is not in it) enters `targets`. */
SEC("sockops")
int relay_sockops(struct bpf_sock_ops *skops)
{
	__u32 zero = 0;
	struct bl_proxy_verdict_counters *c = bpf_map_lookup_elem(&counters, &zero);
	int r = BL_SOCKHASH_ADD_ESTABLISHED(skops, &targets);

	if (c && r > 0)
		BL_COUNT(c, inserted, 1);
	else if (c && r < 0)
		BL_COUNT(c, insert_errors, 1);
	return 1;
}

/* Runs on the relay's sockets (gate map): each skb goes into the ingress queue of the workload
 * socket the relay named for this socket. A bare FIN is dropped (the relay forwards FINs); a
 * socket without a target, or a target gone from `targets`, gets SK_PASS and a counted miss:
 * the relay reads those bytes and sends them on over TCP. */
SEC("sk_skb/stream_verdict")
int relay_ingress_verdict(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct bl_verdict_ctx v;
	struct bl_sock_key *t;
	__u32 *tripped;

	if (!bl_verdict_begin(skb, &v))
		return SK_DROP;
	t = bpf_map_lookup_elem(&target_of, &v.lookup);
	tripped = bpf_map_lookup_elem(&memory_guard, &zero);
	if (t && !(tripped && *tripped)) {
		struct bl_sock_key key = *t;

		if (bpf_sk_redirect_hash(skb, &targets, &key, BPF_F_INGRESS) == SK_PASS)
			return bl_book(v.c, v.conn, v.len, true);
	}
	return bl_book(v.c, v.conn, v.len, false);
}

char LICENSE[] SEC("license") = "GPL";
