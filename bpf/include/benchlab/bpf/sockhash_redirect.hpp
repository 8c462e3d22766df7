// Socket-level datapaths built on a SOCKHASH of the workload's established TCP sockets:
//   sockmap-msg       sk_msg verdict on sendmsg() hands the payload to the peer socket's ingress queue
//   sockmap-skb-pass  sk_skb stream verdict on receive: the skb's own socket is looked up and the
//                     psock delivers the skb through its ingress queue (SK_PASS, no redirect)
// Both are populated by one sockops program attached to a cgroup v2 the datapath creates for the
// run; the workload's processes join it. Constructing one loads and attaches everything;
// destroying it detaches, closes and removes the cgroup — nothing is pinned.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "benchlab/bpf/sockmap.h"
#include "benchlab/core/datapath.hpp"

namespace benchlab::bpf {

enum class SockmapMode { msg, skb_pass };

struct SockhashRedirectConfig {
  SockmapMode mode = SockmapMode::msg;
  std::string run_id;                                // names the cgroup: bl-<run_id>-sockmap
  uint32_t max_sockets = 65536;                      // sockhash capacity
  std::chrono::milliseconds await_timeout{2000};     // readiness barrier per socket
  bool test_break_key = false;                       // test only: every verdict lookup misses
};

class SockhashRedirect final : public Datapath {
 public:
  explicit SockhashRedirect(const SockhashRedirectConfig& cfg);   // throws Unsupported/RunError
  ~SockhashRedirect() override;
  SockhashRedirect(const SockhashRedirect&) = delete;
  SockhashRedirect& operator=(const SockhashRedirect&) = delete;

  std::string name() const override;
  std::string workload_cgroup() const override;
  void await_socket(int fd) const override;
  Counters read_counters() const override;
  Engagement check_engagement(const WindowCounters& delta, const WorkloadResult& r) const override;

  int sockhash_fd() const;

 private:
  struct State;
  SockmapMode mode_;
  std::chrono::milliseconds await_timeout_;
  std::unique_ptr<State> st_;
};

// The key the BPF programs build for a connected TCP socket: its own (local, remote), or with
// peer=true the key of the socket at the other end. Throws SystemError if fd is not connected.
bl_sock_key sock_key_of(int fd, bool peer = false);
bl_sock_key reversed(const bl_sock_key& k);
std::string to_string(const bl_sock_key& k);   // "198.18.0.1:5300<-198.18.0.1:40122"

// The counter holding the bytes the datapath carried: "redirected_bytes" (msg) or
// "delivered_bytes" (skb_pass: delivered through the psock after a sockhash hit).
const char* carried_bytes_key(SockmapMode m);

// The engagement rule, separate from the object so it can be tested without a kernel.
//  1. The workload received payload (over the whole run when `totals` is given, which is how the
//     datapath calls it; else in the measured window).
//  2. Coverage: carried bytes over the same span ≥ 99% of those bytes.
//  3. Own share: carried bytes / (carried bytes + miss_bytes) ≥ 99%.
//  4. sockmap-msg only, from outside BPF: the interfaces received at most
//     kLinkSlackPackets + kLinkPacketsPerSocket × (sockets inserted in the window) packets.
inline constexpr double kMinCarriedShare = 0.99;
inline constexpr uint64_t kLinkSlackPackets = 32;
inline constexpr uint64_t kLinkPacketsPerSocket = 6;
// With `totals` (the datapath's counters over the whole run), the byte shares compare them with
// every sample of the run; without, `delta` with the measured samples. Links: always `delta`.
Engagement evaluate_sockmap_engagement(SockmapMode mode, const WindowCounters& delta,
                                       const WorkloadResult& r, const Counters* totals = nullptr);

}  // namespace benchlab::bpf
