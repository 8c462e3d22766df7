// XDP datapaths and the in-kernel packet generator.
//   XdpAttachment        RAII over a libxdp 1.3.1 xdp_program attached to one interface
//   XdpActionDatapath    xdp-drop / xdp-pass: progs/xdp_actions.bpf.c on the topology's `dut`
//   LiveFrameGenerator   progs/xdp_gen.bpf.c run with BPF_PROG_RUN + BPF_F_TEST_XDP_LIVE_FRAMES
//   BpfRunStats          bpf_enable_stats(BPF_STATS_RUN_TIME) held as an fd, and its readers
// Nothing is pinned; every object removes exactly what it created.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "benchlab/bpf/xdp.h"
#include "benchlab/core/datapath.hpp"
#include "benchlab/core/packet.hpp"
#include "benchlab/core/registry.hpp"

struct bpf_object;
struct xdp_program;

namespace benchlab::bpf {

// ---- attach modes -----------------------------------------------------------------------------

enum class XdpAttachMode { native, generic };
const char* to_string(XdpAttachMode m);                 // "native" / "generic"
XdpAttachMode parse_xdp_attach_mode(const std::string& s);   // throws std::invalid_argument

// ---- XdpAttachment ----------------------------------------------------------------------------

// Attaches the XDP program of section `section` ("xdp") of `obj` to `ifindex` of the calling
// thread's network namespace through libxdp (xdp_program__from_bpf_obj + xdp_program__attach).
// `obj` may be opened and not yet loaded (libxdp then loads it, after the caller set its rodata
// knobs) or already loaded. On this kernel libxdp's dispatcher falls back to a single program
// (legacy mode); the attachment records which it got, and libxdp's own log is routed through
// libbpf's (quiet unless --verbose), so the fallback prints nothing.
// The destructor detaches exactly this program in the same mode. It must run in the same network
// namespace as the constructor (XdpActionDatapath does both through NetNamespace::run_in).
// libxdp also makes <bpffs>/xdp (its lock directory, $LIBXDP_BPFFS or /sys/fs/bpf) on first use
// and never removes it; when no such directory existed, the attachments make it themselves and
// the last one alive removes it (if empty), so a run leaves bpffs as it found it.
// Throws UnsupportedError (EPERM, EOPNOTSUPP: a driver without native XDP) or RunError.
class XdpAttachment {
 public:
  XdpAttachment(bpf_object* obj, const std::string& section, int ifindex, XdpAttachMode mode,
                const std::string& who);
  ~XdpAttachment();
  XdpAttachment(const XdpAttachment&) = delete;
  XdpAttachment& operator=(const XdpAttachment&) = delete;

  XdpAttachMode mode() const { return mode_; }
  int ifindex() const { return ifindex_; }
  bool legacy_mode() const { return legacy_; }   // xdp_multiprog__is_legacy after the attach
  int prog_fd() const;                           // the attached program's fd
  uint32_t prog_id() const;

 private:
  struct StateDirUse;   // libxdp's <bpffs>/xdp lock directory, removed again if we made it
  std::unique_ptr<StateDirUse> state_dir_;
  ::xdp_program* prog_ = nullptr;
  int ifindex_ = 0;
  XdpAttachMode mode_;
  bool legacy_ = false;
};

// The XDP program ids attached to `ifindex` of the calling thread's namespace in each mode
// (0 = none): what the teardown tests check.
struct XdpIfaceState {
  uint32_t native_id = 0, generic_id = 0, offload_id = 0;
  bool empty() const { return native_id == 0 && generic_id == 0 && offload_id == 0; }
};
XdpIfaceState query_xdp(int ifindex);

// ---- xdp-drop / xdp-pass ----------------------------------------------------------------------

enum class XdpAction { drop, pass };
const char* to_string(XdpAction a);   // "drop" / "pass"

struct XdpActionConfig {
  XdpAction action = XdpAction::drop;
  XdpAttachMode mode = XdpAttachMode::native;
  std::string who;   // the datapath's name in messages ("xdp-drop")
};

// Loads progs/xdp_actions.bpf.c with the action knob and attaches it to `ep` (entering ep.ns).
// Counters (summed over CPUs, whole life of the object):
//   xdp_packets, xdp_bytes            every frame the program ran on
//   xdp_parse_errors                  frames that were not a whole Ethernet [+VLAN] + IPv4/IPv6
//                                     [+ UDP/TCP] header stack (still given the action's verdict)
//   xdp_<verdict>_packets/_bytes      per verdict returned (aborted, drop, pass, tx, redirect)
//   xdp_ipv4_packets, xdp_ipv6_packets, xdp_udp_packets
//                                     what the parser recognised (UDP: unfragmented or first
//                                     fragments), e.g. to tell the generator's frames from ND/ARP
class XdpActionDatapath final : public Datapath {
 public:
  XdpActionDatapath(const Endpoint& ep, const XdpActionConfig& cfg);   // throws
  ~XdpActionDatapath() override;

  std::string name() const override { return cfg_.who; }
  Counters read_counters() const override;
  // Engaged when the program ran on ≥ 99% of the frames the DUT interface received in the window
  // (LinkCounters of the endpoint's role), with > 0 frames, and ≥ 99% of its runs returned the
  // configured action. Without a link record for the endpoint, only its own counters are checked.
  Engagement check_engagement(const WindowCounters& delta, const WorkloadResult& r) const override;
  // attach_mode, xdp_legacy_mode ("true"/"false"), xdp_prog_id, xdp_ifname, xdp_action.
  std::map<std::string, std::string> attributes() const override;

  int prog_fd() const;
  uint32_t prog_id() const;
  bool legacy_mode() const;

 private:
  struct State;
  XdpActionConfig cfg_;
  const Endpoint& ep_;
  std::unique_ptr<State> st_;
};

// The engagement rule alone, testable without a kernel. `role`: the endpoint the program is on.
inline constexpr double kMinXdpShare = 0.99;
Engagement evaluate_xdp_engagement(const std::string& who, XdpAction action, const std::string& role,
                                   const WindowCounters& delta);

// The registry rows xdp-drop and xdp-pass (traffic kind "packet", axis attach_mode).
void register_xdp_datapaths(DatapathRegistry& reg);

// ---- LiveFrameGenerator -----------------------------------------------------------------------

// Loads progs/xdp_gen.bpf.c with the frame of `spec` as its template (headers, sizes, flows) and
// runs it in live-frames mode: every frame it runs is rewritten (MACs, addresses, source port
// rotating over spec.flows, lengths, checksums, seq in the payload) and sent with XDP_TX out of
// the interface `ingress_ifindex` names — the generator's veth, in the namespace of the thread
// that calls run(). Load in the parent, run() in a forked child: the program fd is inherited.
// The payload's fill bytes are written once (the template) and never rewritten; a receiver that
// rewrites them makes later UDP checksums stale (documented in packet.hpp).
class LiveFrameGenerator {
 public:
  // Throws std::invalid_argument (a spec validate() rejects), UnsupportedError or RunError.
  LiveFrameGenerator(const FrameSpec& spec, int ingress_ifindex);
  ~LiveFrameGenerator();
  LiveFrameGenerator(const LiveFrameGenerator&) = delete;
  LiveFrameGenerator& operator=(const LiveFrameGenerator&) = delete;

  // Runs `frames` frames in batches of `batch` (1..256) on the calling thread, which must be in
  // the generator's namespace: the interface at ingress_ifindex there must carry spec.src_mac,
  // else RunError before any frame (the same index elsewhere could be a real NIC; ifindex 0, for
  // tests, skips the check). Returns the frames the kernel ran (the program's own count: a
  // signal that interrupts the run returns fewer). Throws RunError on any other failure.
  uint64_t run(uint64_t frames, uint32_t batch);
  // gen_frames (frames the program ran and sent with XDP_TX), gen_bytes, gen_short_frames
  // (frames shorter than the template: untouched, XDP_ABORTED; never in live-frames mode).
  Counters counters() const;

  const FrameSpec& spec() const { return spec_; }
  int prog_fd() const;
  uint32_t prog_id() const;

 private:
  struct State;
  FrameSpec spec_;
  int ifindex_;
  std::vector<uint8_t> frame_;   // the template frame handed to BPF_PROG_RUN
  std::unique_ptr<State> st_;
};
inline constexpr uint32_t kMaxLiveFramesBatch = 256;

// ---- BPF run-time statistics ------------------------------------------------------------------

// bpf_enable_stats(BPF_STATS_RUN_TIME) for as long as this object lives: the kernel counts every
// program's run time while any such fd is open and drops it with the process, so a killed run
// leaves nothing on (unlike writing kernel.bpf_stats_enabled). Throws UnsupportedError/RunError.
class BpfRunStats {
 public:
  BpfRunStats();
  ~BpfRunStats();
  BpfRunStats(const BpfRunStats&) = delete;
  BpfRunStats& operator=(const BpfRunStats&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

struct ProgRunStats {
  uint64_t run_time_ns = 0;
  uint64_t run_cnt = 0;
  uint64_t recursion_misses = 0;
};
ProgRunStats read_prog_run_stats(int prog_fd);        // bpf_prog_info; throws SystemError
ProgRunStats read_prog_run_stats_by_id(uint32_t id);  // opens the program by id first
// (b - a).run_time_ns / (b - a).run_cnt; NaN when no run happened in between.
double ns_per_run(const ProgRunStats& a, const ProgRunStats& b);

// How many BPF statistics fds this process holds (links "anon_inode:bpf-stats" in
// /proc/self/fd): what the teardown test checks after BpfRunStats is gone.
int open_bpf_stats_fds();
// The kernel.bpf_stats_enabled sysctl (someone switched statistics on for the whole machine).
// It does not show fds from bpf_enable_stats; those count while any process holds one.
bool bpf_stats_sysctl_enabled();

// ---- probes -----------------------------------------------------------------------------------

Support probe_xdp();                 // BPF_PROG_TYPE_XDP loadable
Support probe_xdp_live_frames();     // BPF_PROG_RUN accepts BPF_F_TEST_XDP_LIVE_FRAMES
bool xdp_live_frames_supported();
Support probe_xdp_native_veth();     // XDP loadable and the veth driver present (native XDP since 4.19)
Support probe_xdp_generic();         // XDP loadable (generic XDP works on any interface)

}  // namespace benchlab::bpf
