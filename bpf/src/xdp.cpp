// XDP: the libxdp attachment, the xdp-drop / xdp-pass datapath, the live-frames generator and
// BPF run-time statistics. Lifecycles:
//   datapath   open xdp_actions → set the action knob → libxdp loads and attaches it on the
//              DUT interface (inside its namespace) → ... → detach (same namespace) → close
//   generator  open xdp_gen → set the template knobs → load → BPF_PROG_RUN(live frames)...
#include "benchlab/bpf/xdp.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include "benchlab/bpf/probes.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/core/system_paths.hpp"
#include "internal.hpp"
#include "xdp_actions.skel.h"
#include "xdp_gen.skel.h"

#ifndef BPF_F_TEST_XDP_LIVE_FRAMES
#define BPF_F_TEST_XDP_LIVE_FRAMES (1U << 1)
#endif

namespace benchlab::bpf {

static_assert(BL_PAYLOAD_MAGIC == kPayloadMagic, "xdp.h and packet.hpp name the same magic");

// ---- modes ------------------------------------------------------------------------------------

namespace {

struct AttachModeRow {
  XdpAttachMode mode;
  const char* name;
  xdp_attach_mode libxdp;
};
constexpr AttachModeRow kAttachModes[] = {
    {XdpAttachMode::native, "native", XDP_MODE_NATIVE},
    {XdpAttachMode::generic, "generic", XDP_MODE_SKB},
};
const AttachModeRow& row_of(XdpAttachMode m) {
  for (const auto& r : kAttachModes)
    if (r.mode == m) return r;
  return kAttachModes[0];
}

struct ActionRow {
  XdpAction action;
  const char* name;
  const char* verdict_name;
  uint32_t verdict;   // the XDP action value the program returns
};
constexpr ActionRow kActions[] = {
    {XdpAction::drop, "drop", "XDP_DROP", XDP_DROP},
    {XdpAction::pass, "pass", "XDP_PASS", XDP_PASS},
};
const ActionRow& row_of(XdpAction a) {
  for (const auto& r : kActions)
    if (r.action == a) return r;
  return kActions[0];
}

// Counter names of each verdict, indexed by the XDP action value.
constexpr const char* kVerdictNames[BL_XDP_VERDICTS] = {"aborted", "drop", "pass", "tx", "redirect"};

}  // namespace

const char* to_string(XdpAttachMode m) { return row_of(m).name; }

XdpAttachMode parse_xdp_attach_mode(const std::string& s) {
  for (const auto& r : kAttachModes)
    if (s == r.name) return r.mode;
  throw std::invalid_argument("attach_mode must be native or generic, not '" + s + "'");
}

const char* to_string(XdpAction a) { return row_of(a).name; }

// ---- XdpAttachment ----------------------------------------------------------------------------

// libxdp takes a flock on <bpffs>/xdp around every attach and detach, creating the directory
// (mkdir, never removed) the first time and caching its path for the life of the process. So the
// directory must exist whenever libxdp runs, and a benchlab run must not leave it behind: the
// first live attachment of the process creates it when it is missing, and the last one removes
// it again, if it is still empty (a dispatcher's pins, from another tool, would keep it).
struct XdpAttachment::StateDirUse {
  static std::mutex& mu() {
    static std::mutex m;
    return m;
  }
  static int& users() {
    static int n = 0;
    return n;
  }
  static bool& created() {
    static bool c = false;
    return c;
  }
  static std::string path() {
    const char* env = secure_getenv("LIBXDP_BPFFS");
    return std::string(env && *env ? env : kBpffsRoot) + "/xdp";
  }
  StateDirUse() {
    std::lock_guard<std::mutex> l(mu());
    if (users()++ == 0) created() = mkdir(path().c_str(), S_IRWXU) == 0;
    else if (created()) mkdir(path().c_str(), S_IRWXU);   // someone removed it meanwhile
  }
  ~StateDirUse() {
    std::lock_guard<std::mutex> l(mu());
    if (--users() == 0 && created()) {
      rmdir(path().c_str());
      created() = false;
    }
  }
};

XdpAttachment::XdpAttachment(bpf_object* obj, const std::string& section, int ifindex, XdpAttachMode mode,
                             const std::string& who)
    : state_dir_(std::make_unique<StateDirUse>()), ifindex_(ifindex), mode_(mode) {
  install_libbpf_log();   // libxdp's log too: its dispatcher fallback is quiet unless --verbose
  xdp_program* prog = xdp_program__from_bpf_obj(obj, section.c_str());
  if (long err = libxdp_get_error(prog)) throw_load_error(who, "libxdp: finding section " + section, int(err));
  const int err = xdp_program__attach(prog, ifindex, row_of(mode).libxdp, 0);
  if (err) {
    xdp_program__close(prog);
    char name[IF_NAMESIZE] = "?";
    if_indextoname(unsigned(ifindex), name);
    if (err == -EOPNOTSUPP)
      throw UnsupportedError(fmt::format("{}: {} XDP is not supported by {} ({})", who, to_string(mode), name,
                                         errno_text(err)));
    throw_load_error(who, fmt::format("attaching XDP ({}) to {}", to_string(mode), name), err);
  }
  prog_ = prog;
  xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
  if (mp && !libxdp_get_error(mp)) {
    legacy_ = xdp_multiprog__is_legacy(mp);
    xdp_multiprog__close(mp);
  }
}

XdpAttachment::~XdpAttachment() {
  if (!prog_) return;
  // Detaches this program only (libxdp checks the attached program is ours, in this mode).
  xdp_program__detach(prog_, ifindex_, row_of(mode_).libxdp, 0);
  xdp_program__close(prog_);
}

int XdpAttachment::prog_fd() const { return prog_ ? xdp_program__fd(prog_) : -1; }
uint32_t XdpAttachment::prog_id() const { return prog_ ? xdp_program__id(prog_) : 0; }

XdpIfaceState query_xdp(int ifindex) {
  LIBBPF_OPTS(bpf_xdp_query_opts, q);
  if (int err = bpf_xdp_query(ifindex, 0, &q)) throw SystemError(fmt::format("bpf_xdp_query(ifindex {})", ifindex), -err);
  XdpIfaceState s;
  s.native_id = q.drv_prog_id;
  s.generic_id = q.skb_prog_id;
  s.offload_id = q.hw_prog_id;
  return s;
}

// ---- xdp-drop / xdp-pass ----------------------------------------------------------------------

struct XdpActionDatapath::State {
  struct Skel {
    xdp_actions* p = nullptr;
    ~Skel() {
      if (p) xdp_actions__destroy(p);
    }
  };
  Skel skel;                                   // destroyed last
  std::unique_ptr<XdpAttachment> attachment;   // detached first, inside the namespace
  int counters_fd = -1;
};

namespace {

void in_namespace(const Endpoint& ep, const std::function<void()>& fn) {
  if (ep.ns)
    ep.ns->run_in(fn);
  else
    fn();
}

}  // namespace

XdpActionDatapath::XdpActionDatapath(const Endpoint& ep, const XdpActionConfig& cfg)
    : cfg_(cfg), ep_(ep), st_(std::make_unique<State>()) {
  install_libbpf_log();
  st_->skel.p = xdp_actions__open();
  if (!st_->skel.p) {
    const int e = errno;
    throw_load_error(cfg_.who, "opening the BPF object", e);
  }
  st_->skel.p->rodata->action = row_of(cfg_.action).verdict;
  // libxdp loads the object (after the knob above) and attaches it, in the endpoint's namespace.
  in_namespace(ep_, [&] {
    st_->attachment = std::make_unique<XdpAttachment>(st_->skel.p->obj, "xdp", ep_.ifindex, cfg_.mode, cfg_.who);
  });
  st_->counters_fd = bpf_map__fd(st_->skel.p->maps.verdicts);
}

XdpActionDatapath::~XdpActionDatapath() {
  if (st_->attachment) {
    try {
      in_namespace(ep_, [&] { st_->attachment.reset(); });
    } catch (...) {
      // The namespace thread could not start. Detaching from this thread would name ifindex in
      // the wrong namespace, so the attachment is let go instead: the interface and its program
      // go with the topology's namespace, torn down next (the program fd closes at exit).
      (void)st_->attachment.release();
    }
  }
}

Counters XdpActionDatapath::read_counters() const {
  Counters c;
  uint64_t packets = 0, bytes = 0, parse_errors = 0;
  for (uint32_t v = 0; v < BL_XDP_VERDICTS; ++v) {
    const auto s = sum_percpu<bl_xdp_counters>(st_->counters_fd, v, cfg_.who);
    c[fmt::format("xdp_{}_packets", kVerdictNames[v])] = s.packets;
    c[fmt::format("xdp_{}_bytes", kVerdictNames[v])] = s.bytes;
    packets += s.packets, bytes += s.bytes, parse_errors += s.parse_errors;
    c["xdp_ipv4_packets"] += s.ipv4;
    c["xdp_ipv6_packets"] += s.ipv6;
    c["xdp_udp_packets"] += s.udp;
  }
  c["xdp_packets"] = packets;
  c["xdp_bytes"] = bytes;
  c["xdp_parse_errors"] = parse_errors;
  return c;
}

Engagement XdpActionDatapath::check_engagement(const WindowCounters& delta, const WorkloadResult&) const {
  return evaluate_xdp_engagement(cfg_.who, cfg_.action, ep_.role, delta);
}

std::map<std::string, std::string> XdpActionDatapath::attributes() const {
  return {
      {"attach_mode", to_string(cfg_.mode)},
      {"xdp_action", to_string(cfg_.action)},
      {"xdp_ifname", ep_.ifname},
      {"xdp_legacy_mode", legacy_mode() ? "true" : "false"},
      {"xdp_prog_id", std::to_string(prog_id())},
  };
}

int XdpActionDatapath::prog_fd() const { return st_->attachment->prog_fd(); }
uint32_t XdpActionDatapath::prog_id() const { return st_->attachment->prog_id(); }
bool XdpActionDatapath::legacy_mode() const { return st_->attachment->legacy_mode(); }

Engagement evaluate_xdp_engagement(const std::string& who, XdpAction action, const std::string& role,
                                   const WindowCounters& delta) {
  Engagement e;
  e.checked = true;
  const uint64_t ran = counter_or_zero(delta.datapath, "xdp_packets");
  const std::string verdict_key = fmt::format("xdp_{}_packets", to_string(action));
  const uint64_t acted = counter_or_zero(delta.datapath, verdict_key);
  auto pct = [](double share) { return fmt::format("{:.2f}%", share * 100.0); };
  if (ran == 0) {
    e.ok = false;
    e.carried_share = 0;
    e.message = fmt::format("{}: the XDP program ran on no frame in the window", who);
    return e;
  }
  const double own = double(acted) / double(ran);
  if (own < kMinXdpShare) {
    e.ok = false;
    e.carried_share = own;
    e.message = fmt::format("{}: only {} of the {} frames the program ran on got {} ({} did)", who,
                            pct(own), ran, row_of(action).verdict_name, acted);
    return e;
  }
  const LinkCounters* link = nullptr;
  for (const LinkCounters& l : delta.links)
    if (l.role == role) link = &l;
  if (!link) {
    e.carried_share = own;
    e.message = fmt::format("{}: ran on {} frames, {} of them {}; no link counters of the {} interface "
                            "were given, so only BPF's own counters were checked",
                            who, ran, pct(own), row_of(action).verdict_name, role);
    return e;
  }
  // The veth counts every frame its peer sent it in rx_packets (NAPI and non-NAPI paths alike),
  // before any XDP verdict; frames in flight at the window's edges shift a little either way.
  const uint64_t arrived = link->rx_packets;
  const double coverage = arrived ? double(ran) / double(arrived) : 0.0;
  e.carried_share = std::min({1.0, coverage, own});
  if (coverage < kMinXdpShare) {
    e.ok = false;
    e.message = fmt::format("{}: the program ran on {} frames, {} of the {} that reached {} ({}); at least {} "
                            "are required", who, ran, pct(coverage), arrived, link->ifname, role, pct(kMinXdpShare));
    return e;
  }
  e.message = fmt::format("{}: ran on {} of the {} frames that reached {}, {} of them {}", who,
                          pct(std::min(1.0, coverage)), arrived, link->ifname, pct(own), row_of(action).verdict_name);
  return e;
}

// ---- LiveFrameGenerator -----------------------------------------------------------------------

struct LiveFrameGenerator::State {
  xdp_gen* skel = nullptr;
  uint64_t accounted = 0;   // frames known to have run (the program's count, as last seen)
  ~State() {
    if (skel) xdp_gen__destroy(skel);
  }
};

LiveFrameGenerator::LiveFrameGenerator(const FrameSpec& spec, int ingress_ifindex)
    : spec_(spec), ifindex_(ingress_ifindex), st_(std::make_unique<State>()) {
  static const char* kWho = "live-frames generator";
  if (std::string why = validate(spec_); !why.empty()) throw std::invalid_argument(std::string(kWho) + ": " + why);
  frame_ = build_udp_frame(spec_, 0, 0);
  const FrameLayout l = frame_layout(spec_.family);

  // The UDP checksum's part every frame shares: pseudo-header, the datagram with its source port,
  // checksum and seq all zero. The program adds the frame's port and seq.
  std::vector<uint8_t> udp(frame_.begin() + l.l4, frame_.end());
  udp[0] = udp[1] = udp[6] = udp[7] = 0;
  uint64_t base = checksum_add({spec_.src.bytes.data(), spec_.family == Family::ipv4 ? 4u : 16u});
  base = checksum_add({spec_.dst.bytes.data(), spec_.family == Family::ipv4 ? 4u : 16u}, base);
  base += 17 + udp.size();
  base = checksum_add(udp, base);

  install_libbpf_log();
  st_->skel = xdp_gen__open();
  if (!st_->skel) {
    const int e = errno;
    throw_load_error(kWho, "opening the BPF object", e);
  }
  auto* ro = st_->skel->rodata;
  static_assert(sizeof ro->tmpl == BL_XDP_GEN_MAX_HDR);
  std::memcpy(ro->tmpl, frame_.data(), sizeof ro->tmpl);
  ro->frame_len = uint32_t(frame_.size());
  ro->l4_off = l.l4;
  ro->flows = spec_.flows;
  ro->src_port = spec_.src_port;
  ro->csum_base = base;
  if (int err = xdp_gen__load(st_->skel)) throw_load_error(kWho, "loading the BPF program", err);
}

LiveFrameGenerator::~LiveFrameGenerator() = default;

int LiveFrameGenerator::prog_fd() const { return bpf_program__fd(st_->skel->progs.xdp_gen); }

uint32_t LiveFrameGenerator::prog_id() const {
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(prog_fd(), &info, &len) != 0) return 0;
  return info.id;
}

Counters LiveFrameGenerator::counters() const {
  const auto s = sum_percpu<bl_xdp_gen_counters>(bpf_map__fd(st_->skel->maps.gen_counters), 0, "live-frames generator");
  return {{"gen_frames", s.frames}, {"gen_bytes", s.bytes}, {"gen_short_frames", s.short_frames}};
}

namespace {

// The MAC of `ifindex` in the calling thread's network namespace (a socket is made in the
// thread's namespace), or nullopt when there is no such interface.
std::optional<std::array<uint8_t, 6>> mac_of(int ifindex) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw SystemError("live-frames generator: socket", errno);
  ifreq ifr{};
  ifr.ifr_ifindex = ifindex;
  std::optional<std::array<uint8_t, 6>> mac;
  if (ioctl(fd, SIOCGIFNAME, &ifr) == 0 && ioctl(fd, SIOCGIFHWADDR, &ifr) == 0) {
    mac.emplace();
    std::memcpy(mac->data(), ifr.ifr_hwaddr.sa_data, 6);
  }
  close(fd);
  return mac;
}

}  // namespace

uint64_t LiveFrameGenerator::run(uint64_t frames, uint32_t batch) {
  if (batch == 0 || batch > kMaxLiveFramesBatch)
    throw std::invalid_argument(fmt::format("live-frames generator: batch {} is outside 1..{}", batch, kMaxLiveFramesBatch));
  // Frames leave through ingress_ifindex *of the calling thread's namespace*: called from the
  // wrong one, the same index could name a real NIC. So the interface must carry the frames'
  // source MAC (the generator's veth); checked once per thread and generator.
  thread_local const LiveFrameGenerator* verified = nullptr;
  thread_local pid_t verified_pid = 0;
  if (ifindex_ != 0 && (verified != this || verified_pid != getpid())) {
    const auto mac = mac_of(ifindex_);
    if (!mac || *mac != spec_.src_mac)
      throw RunError(fmt::format("live-frames generator: ifindex {} in the calling thread's network namespace is {}; "
                                 "run() must be called from the generator's namespace, whose interface has the "
                                 "frames' source MAC", ifindex_, mac ? "another interface" : "no interface"));
    verified = this;
    verified_pid = getpid();
  }
  uint64_t ran = 0;
  while (ran < frames) {
    // repeat is an int: whole runs of at most 2^30 frames.
    const uint32_t chunk = uint32_t(std::min<uint64_t>(frames - ran, uint64_t(1) << 30));
    xdp_md ctx{};
    ctx.data_end = uint32_t(frame_.size());
    ctx.ingress_ifindex = uint32_t(ifindex_);
    LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame_.data(), .data_size_in = uint32_t(frame_.size()),
                .ctx_in = &ctx, .ctx_size_in = sizeof ctx, .repeat = int(chunk),
                .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = batch);
    if (bpf_prog_test_run_opts(prog_fd(), &o) != 0) {
      const int e = errno;
      if (e == EINTR) {
        // A signal stopped the kernel's loop part-way: the program's own count says how far.
        const uint64_t total = counters().at("gen_frames");
        ran += total - st_->accounted;
        st_->accounted = total;
        return ran;
      }
      throw RunError(fmt::format("live-frames generator: BPF_PROG_RUN (live frames, ifindex {}, batch {}) failed: {}",
                                 ifindex_, batch, errno_text(e)));
    }
    ran += chunk;
    st_->accounted += chunk;
  }
  return ran;
}

// ---- run-time statistics ----------------------------------------------------------------------

BpfRunStats::BpfRunStats() {
  fd_ = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (fd_ < 0) {
    const int e = errno;
    if (e == EPERM) throw UnsupportedError("bpf_enable_stats(BPF_STATS_RUN_TIME): " + errno_text(e) + "; needs root");
    throw RunError("bpf_enable_stats(BPF_STATS_RUN_TIME) failed: " + errno_text(e));
  }
}

BpfRunStats::~BpfRunStats() {
  if (fd_ >= 0) close(fd_);
}

ProgRunStats read_prog_run_stats(int prog_fd) {
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0) throw SystemError("bpf_prog_info", errno);
  return {info.run_time_ns, info.run_cnt, info.recursion_misses};
}

ProgRunStats read_prog_run_stats_by_id(uint32_t id) {
  const int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) throw SystemError(fmt::format("bpf_prog_get_fd_by_id({})", id), errno);
  try {
    ProgRunStats s = read_prog_run_stats(fd);
    close(fd);
    return s;
  } catch (...) {
    close(fd);
    throw;
  }
}

double ns_per_run(const ProgRunStats& a, const ProgRunStats& b) {
  if (b.run_cnt <= a.run_cnt || b.run_time_ns < a.run_time_ns) return std::numeric_limits<double>::quiet_NaN();
  return double(b.run_time_ns - a.run_time_ns) / double(b.run_cnt - a.run_cnt);
}

bool bpf_stats_sysctl_enabled() {
  std::ifstream f("/proc/sys/kernel/bpf_stats_enabled");
  int v = 0;
  if (!(f >> v)) throw SystemError("reading /proc/sys/kernel/bpf_stats_enabled", errno ? errno : EIO);
  return v != 0;
}

int open_bpf_stats_fds() {
  int n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    std::error_code lec;
    if (std::filesystem::read_symlink(e.path(), lec).string() == "anon_inode:bpf-stats") ++n;
  }
  return n;
}

// ---- probes -----------------------------------------------------------------------------------

Support probe_xdp() {
  Support base = probe_bpf();
  if (!base.ok) return base;
  int r = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, nullptr);
  if (r == 1) return {};
  if (r == 0) return {false, "this kernel cannot load XDP programs"};
  return {false, "probing XDP programs failed: " + errno_text(r)};
}

Support probe_xdp_live_frames() {
  Support base = probe_xdp();
  if (!base.ok) return base;
  // One frame, dropped by our own program, on the calling namespace's loopback (ingress_ifindex
  // 0): nothing leaves the program. Kernels before 5.18 reject the flag with EINVAL.
  xdp_actions* skel = xdp_actions__open();
  if (!skel) return {false, "cannot open the XDP probe object: " + errno_text(errno)};
  skel->rodata->action = XDP_DROP;
  if (int err = xdp_actions__load(skel)) {
    xdp_actions__destroy(skel);
    return {false, "loading the XDP probe program failed: " + errno_text(err)};
  }
  std::vector<uint8_t> frame(64, 0);
  xdp_md ctx{};
  ctx.data_end = uint32_t(frame.size());
  LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame.data(), .data_size_in = uint32_t(frame.size()), .ctx_in = &ctx,
              .ctx_size_in = sizeof ctx, .repeat = 1, .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 1);
  const int r = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdp_action), &o);
  const int e = errno;
  xdp_actions__destroy(skel);
  if (r == 0) return {};
  if (e == EINVAL) return {false, "this kernel's BPF_PROG_RUN has no live-frames mode (BPF_F_TEST_XDP_LIVE_FRAMES, Linux 5.18)"};
  return {false, "probing BPF_PROG_RUN live-frames mode failed: " + errno_text(e)};
}

bool xdp_live_frames_supported() { return probe_xdp_live_frames().ok; }

namespace {

bool file_has(const std::string& path, const std::string& needle) {
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line))
    if (line.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

Support probe_xdp_native_veth() {
  Support base = probe_xdp();
  if (!base.ok) return base;
  // Loaded as a module, or built in (its native XDP transmit is a kernel symbol), or a module
  // that creating the first veth will load.
  if (access("/sys/module/veth", F_OK) == 0 || file_has("/proc/kallsyms", " veth_xdp_xmit")) return {};
  std::string rel;
  std::ifstream("/proc/sys/kernel/osrelease") >> rel;
  if (file_has("/lib/modules/" + rel + "/modules.dep", "/veth.ko")) return {};
  return {false, "this kernel has no veth driver (CONFIG_VETH), which native XDP on veth needs"};
}

Support probe_xdp_generic() { return probe_xdp(); }

// ---- registry rows ----------------------------------------------------------------------------

namespace {

DatapathFactory xdp_action_factory(const std::string& name, XdpAction action) {
  return [name, action](const DatapathContext& ctx) -> std::unique_ptr<Datapath> {
    XdpActionConfig cfg;
    cfg.action = action;
    cfg.who = name;
    cfg.mode = parse_xdp_attach_mode(ctx.variant.has("attach_mode") ? ctx.variant.get_string("attach_mode") : "native");
    for (const Endpoint* ep : ctx.topo.interfaces())
      if (ep->role == "dut") return std::make_unique<XdpActionDatapath>(*ep, cfg);
    throw RunError(fmt::format("{}: the {} topology has no 'dut' endpoint to attach to", name, ctx.topo.kind()));
  };
}

std::vector<MetricSpec> xdp_metrics() {
  return {
      {.name = "xdp_pps", .unit = "packet/s", .direction = Direction::higher_is_better,
       .derivation = Derivation::counter_rate, .source = "xdp_packets",
       .doc = "frames the XDP program ran on per second of the window (its own per-CPU count)"},
      {.name = "xdp_parse_errors", .unit = "packets", .direction = Direction::lower_is_better,
       .derivation = Derivation::counter, .source = "xdp_parse_errors",
       .doc = "frames whose headers the program could not parse (still given its verdict)"},
  };
}

AxisSpec attach_mode_axis() {
  AxisSpec a;
  a.name = "attach_mode";
  a.type = OptionType::string;
  a.default_value = std::string("native");
  a.doc = "where the XDP program runs: native (the driver's XDP hook; veth's NAPI) or generic (skb-mode, after "
          "the skb is built)";
  a.choices = {"native", "generic"};
  return a;
}

Support probe_xdp_rows() {
  Support s = probe_xdp_native_veth();
  return s.ok ? probe_xdp_generic() : s;
}

}  // namespace

void register_xdp_datapaths(DatapathRegistry& reg) {
  DatapathRegistry::Entry drop{
      "xdp-drop",
      "XDP_DROP on the DUT interface (progs/xdp_actions.bpf.c, action knob = drop), attached through libxdp "
      "in native or generic mode (axis attach_mode; the report records libxdp's legacy single-program "
      "fallback). Every frame is parsed and counted per verdict (xdp_packets, xdp_bytes, xdp_parse_errors, "
      "xdp_drop_packets...) and dropped at the first point the datapath sees it. Fails the run unless the "
      "program ran on >=99% of the frames that reached the DUT interface and >=99% of them got XDP_DROP.",
      {},
      xdp_action_factory("xdp-drop", XdpAction::drop),
      probe_xdp_rows,
      {"packet"},
      {attach_mode_axis()},
      xdp_metrics(),
  };
  drop.summary = "XDP_DROP on the DUT veth (native | generic)";
  reg.add(std::move(drop));
  DatapathRegistry::Entry pass{
      "xdp-pass",
      "XDP_PASS on the DUT interface (progs/xdp_actions.bpf.c, action knob = pass), attached through libxdp "
      "in native or generic mode (axis attach_mode): every frame is parsed, counted per verdict and handed "
      "to the kernel stack, which delivers it to the same UDP socket as the `kernel` baseline. Fails the run "
      "unless the program ran on >=99% of the frames that reached the DUT interface and >=99% of them got "
      "XDP_PASS.",
      {},
      xdp_action_factory("xdp-pass", XdpAction::pass),
      probe_xdp_rows,
      {"packet"},
      {attach_mode_axis()},
      xdp_metrics(),
  };
  pass.summary = "XDP_PASS on the DUT veth, then the stack (native | generic)";
  reg.add(std::move(pass));
}

}  // namespace benchlab::bpf
