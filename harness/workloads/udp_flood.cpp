// udp_flood (see udp_flood.hpp): the parent builds the frame spec, refuses a DUT without NAPI,
// threads and pins the DUT's NAPI, loads the live-frames generator (when that is the engine),
// starts the receiver and then the generator as children, samples the handled count at every
// interval edge, waits for the generator, lets the DUT drain, stops the receiver and accounts for
// every frame.
#include "benchlab/workloads/udp_flood.hpp"

#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "benchlab/bpf/xdp.hpp"
#include "benchlab/core/child.hpp"
#include "benchlab/core/clock.hpp"
#include "benchlab/core/error.hpp"
#include "benchlab/core/packet.hpp"
#include "benchlab/netns/packet.hpp"
#include "benchlab/workloads/packet_account.hpp"
#include "benchlab/workloads/tcp_common.hpp"

namespace benchlab::workloads {
namespace {

constexpr uint16_t kDstPort = 9;          // discard
constexpr uint16_t kSrcPort = 10000;      // flows use 10000 .. 10000+flows-1
constexpr double kBinS = 0.1;             // sampling interval inside the window
constexpr uint32_t kRecvBatch = 64;
constexpr int kRcvBuf = 4 << 20;

// ---- what the children share with the parent ------------------------------------------------

// Counters the children publish as they go, in memory shared across fork: the parent samples
// them at interval edges without asking the children anything.
struct Live {
  std::atomic<uint64_t> sent{0};       // frames the engine ran or sent
  std::atomic<uint64_t> received{0};   // datagrams the receiver read
};

class SharedLive {
 public:
  SharedLive() {
    void* p = mmap(nullptr, sizeof(Live), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw SystemError("mmap shared counters", errno);
    live_ = new (p) Live;
  }
  ~SharedLive() { munmap(live_, sizeof(Live)); }
  SharedLive(const SharedLive&) = delete;
  SharedLive& operator=(const SharedLive&) = delete;
  Live* operator->() const { return live_; }
  Live* get() const { return live_; }

 private:
  Live* live_;
};

// ---- the DUT namespace's UDP statistics -----------------------------------------------------

struct UdpSnmp {
  uint64_t no_ports = 0, csum_errors = 0, rcvbuf_errors = 0, in_datagrams = 0;
};

// /proc/net/snmp ("Udp: names" then "Udp: values") or /proc/net/snmp6 ("Udp6NoPorts 3") of the
// calling process's namespace.
UdpSnmp read_udp_snmp(Family f) {
  UdpSnmp s;
  if (f == Family::ipv4) {
    std::ifstream in("/proc/net/snmp");
    std::string names, values;
    while (std::getline(in, names)) {
      if (names.rfind("Udp: ", 0) != 0) continue;
      std::getline(in, values);
      std::istringstream n(names.substr(5)), v(values.substr(5));
      std::string key;
      uint64_t val;
      while (n >> key && v >> val) {
        if (key == "NoPorts") s.no_ports = val;
        else if (key == "InCsumErrors") s.csum_errors = val;
        else if (key == "RcvbufErrors") s.rcvbuf_errors = val;
        else if (key == "InDatagrams") s.in_datagrams = val;
      }
      break;
    }
  } else {
    std::ifstream in("/proc/net/snmp6");
    std::string key;
    uint64_t val;
    while (in >> key >> val) {
      if (key == "Udp6NoPorts") s.no_ports = val;
      else if (key == "Udp6InCsumErrors") s.csum_errors = val;
      else if (key == "Udp6RcvbufErrors") s.rcvbuf_errors = val;
      else if (key == "Udp6InDatagrams") s.in_datagrams = val;
    }
  }
  return s;
}

uint64_t socket_drops(int fd) {
  uint32_t mem[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof mem;
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0) return 0;
  return len >= sizeof(uint32_t) * (SK_MEMINFO_DROPS + 1) ? mem[SK_MEMINFO_DROPS] : 0;
}

// ---- the receiver: the DUT's UDP socket -----------------------------------------------------

nlohmann::json receiver_body(ChildChannel& ch, const FrameSpec& spec, int ctl_fd, Live* live) {
  const SockAddr at = make_sockaddr(spec.dst, spec.dst_port);
  UniqueFd s(socket(at.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s) throw SystemError("udp socket", errno);
  int buf = kRcvBuf;
  if (setsockopt(s.get(), SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) != 0)
    setsockopt(s.get(), SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  if (bind(s.get(), reinterpret_cast<const sockaddr*>(&at.ss), at.len) != 0) throw SystemError("bind " + at.str(), errno);
  const UdpSnmp snmp0 = read_udp_snmp(spec.family);
  ch.ready();

  const size_t cap = 2048;
  std::vector<uint8_t> bufs(size_t(kRecvBatch) * cap);
  std::vector<iovec> iov(kRecvBatch);
  std::vector<mmsghdr> msgs(kRecvBatch);
  for (uint32_t i = 0; i < kRecvBatch; ++i) {
    iov[i] = {bufs.data() + i * cap, cap};
    msgs[i].msg_hdr = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  const uint32_t want_len = spec.frame_size - frame_layout(spec.family).payload;
  uint64_t received = 0, bad = 0, wrong_len = 0;
  // Reads until the socket is empty; returns false when it was empty from the start.
  auto drain = [&]() {
    bool any = false;
    for (;;) {
      int n = recvmmsg(s.get(), msgs.data(), kRecvBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) {
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
          throw SystemError("recvmmsg on " + at.str(), errno);
        return any;
      }
      any = true;
      for (int i = 0; i < n; ++i) {
        const uint32_t len = msgs[i].msg_len;
        if (!check_udp_payload({bufs.data() + size_t(i) * cap, len}, nullptr)) ++bad;
        else if (len != want_len) ++wrong_len;
      }
      received += uint64_t(n);
      live->received.store(received, std::memory_order_relaxed);
    }
  };
  const double hard_deadline = mono_now_s() + 3600;
  auto start = ControlPipe::receive(ctl_fd, hard_deadline);
  if (!start) throw RunError("receiver: the parent went away");
  const double bound = start->timeline.end + 60;   // the parent stops us long before this
  pollfd p[2] = {{s.get(), POLLIN, 0}, {ctl_fd, POLLIN, 0}};
  for (;;) {
    if (mono_now_s() > bound) throw RunError("receiver: no stop from the parent in time");
    int rc = poll(p, 2, 50);
    if (rc < 0 && errno != EINTR) throw SystemError("poll", errno);
    if (p[0].revents & POLLIN) drain();
    if (p[1].revents & (POLLIN | POLLHUP)) break;
  }
  drain();
  const UdpSnmp snmp1 = read_udp_snmp(spec.family);
  return {{"received", received},
          {"bad_payloads", bad},
          {"wrong_length", wrong_len},
          {"socket_drops", socket_drops(s.get())},
          {"udp_no_ports", snmp1.no_ports - snmp0.no_ports},
          {"udp_csum_errors", snmp1.csum_errors - snmp0.csum_errors},
          {"udp_rcvbuf_errors", snmp1.rcvbuf_errors - snmp0.rcvbuf_errors},
          {"udp_in_datagrams", snmp1.in_datagrams - snmp0.in_datagrams}};
}

// ---- engines: how the generator puts frames on the wire (strategies) ------------------------

class Engine {
 public:
  virtual ~Engine() = default;
  // In the generator child, in its namespace, before the start.
  virtual void open() {}
  // Sends up to `n` frames (a multiple of the batch where possible); returns those the kernel
  // took. May return 0 (a full queue): the caller backs off.
  virtual uint64_t send(uint64_t n) = 0;
  // Frames to hand over per call at the maximum rate (amortises the syscall).
  virtual uint64_t max_chunk() const = 0;
  virtual nlohmann::json extra() const { return nlohmann::json::object(); }
};

class LiveFramesEngine final : public Engine {
 public:
  LiveFramesEngine(bpf::LiveFrameGenerator& gen, uint32_t batch) : gen_(gen), batch_(batch) {}
  uint64_t send(uint64_t n) override { return gen_.run(n, batch_); }
  uint64_t max_chunk() const override { return uint64_t(batch_) * 64; }

 private:
  bpf::LiveFrameGenerator& gen_;
  uint32_t batch_;
};

class SendmmsgEngine final : public Engine {
 public:
  SendmmsgEngine(const FrameSpec& spec, uint32_t batch) : spec_(spec), batch_(batch) {}

  void open() override {
    for (uint32_t f = 0; f < spec_.flows; ++f) {
      const SockAddr from = make_sockaddr(spec_.src, uint16_t(spec_.src_port + f));
      const SockAddr to = make_sockaddr(spec_.dst, spec_.dst_port);
      UniqueFd s(socket(from.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      if (!s) throw SystemError("udp socket", errno);
      if (bind(s.get(), reinterpret_cast<const sockaddr*>(&from.ss), from.len) != 0)
        throw SystemError("bind " + from.str(), errno);
      if (connect(s.get(), reinterpret_cast<const sockaddr*>(&to.ss), to.len) != 0)
        throw SystemError("connect " + to.str(), errno);
      socks_.push_back(std::move(s));
    }
    // One payload per message slot, built from the same frame the live-frames engine sends.
    const std::vector<uint8_t> frame = build_udp_frame(spec_, 0, 0);
    const uint32_t off = frame_layout(spec_.family).payload;
    plen_ = frame.size() - off;
    payloads_.resize(size_t(batch_) * plen_);
    iov_.resize(batch_);
    msgs_.resize(batch_);
    for (uint32_t i = 0; i < batch_; ++i) {
      std::memcpy(payloads_.data() + size_t(i) * plen_, frame.data() + off, plen_);
      iov_[i] = {payloads_.data() + size_t(i) * plen_, plen_};
      msgs_[i].msg_hdr = {};
      msgs_[i].msg_hdr.msg_iov = &iov_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
    }
  }

  uint64_t send(uint64_t n) override {
    const uint32_t k = uint32_t(std::min<uint64_t>(n, batch_));
    for (uint32_t i = 0; i < k; ++i) {   // the sequence number, big endian, after the magic
      uint64_t seq = seq_ + i;
      uint8_t* p = payloads_.data() + size_t(i) * plen_ + 4;
      for (int b = 7; b >= 0; --b, seq >>= 8) p[b] = uint8_t(seq);
    }
    // Flows take turns per batch: one socket per source port.
    const int fd = socks_[batches_++ % socks_.size()].get();
    int sent = sendmmsg(fd, msgs_.data(), k, MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) {
        ++full_;
        return 0;
      }
      throw SystemError("sendmmsg", errno);
    }
    seq_ += uint64_t(sent);
    return uint64_t(sent);
  }
  uint64_t max_chunk() const override { return batch_; }
  nlohmann::json extra() const override { return {{"send_queue_full", full_}}; }

 private:
  FrameSpec spec_;
  uint32_t batch_;
  std::vector<UniqueFd> socks_;
  std::vector<uint8_t> payloads_;
  size_t plen_ = 0;
  std::vector<iovec> iov_;
  std::vector<mmsghdr> msgs_;
  uint64_t seq_ = 0, batches_ = 0, full_ = 0;
};

void sleep_until_mono(double t) {
  timespec ts;
  ts.tv_sec = time_t(t);
  ts.tv_nsec = long((t - double(ts.tv_sec)) * 1e9);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {}
}

struct GenLimits {
  double rate_pps = 0;      // 0: as fast as the engine goes
  uint64_t max_frames = 0;  // count bound over the whole load
};

// The generator child: waits for the start, then sends until the end of the window or the frame
// count, pacing per batch with a token bucket when a rate is set.
nlohmann::json generator_body(ChildChannel& ch, Engine& engine, const GenLimits& lim, int ctl_fd, Live* live) {
  engine.open();
  ch.ready();
  auto start = ControlPipe::receive(ctl_fd, mono_now_s() + 3600);
  if (!start) throw RunError("generator: the parent went away");
  const Timeline tl = start->timeline;
  sleep_until_mono(tl.t0);
  uint64_t sent = 0, stalls = 0;
  const double t0 = mono_now_s();
  double now = t0;
  // Token bucket, one batch at a time: the next batch is due when the previous one's tokens are
  // paid for. The bucket holds at most one batch more, so a generator that was descheduled does
  // not catch up with a burst (the achieved rate records the shortfall instead).
  double due = t0;
  const double depth_s = lim.rate_pps > 0 ? double(engine.max_chunk()) / lim.rate_pps : 0;
  while (sent < lim.max_frames && (now = mono_now_s()) < tl.end) {
    uint64_t chunk = std::min(engine.max_chunk(), lim.max_frames - sent);
    if (lim.rate_pps > 0) {
      if (due > now) sleep_until_mono(std::min(due, tl.end));
      if ((now = mono_now_s()) >= tl.end) break;
      due = std::max(due, now - depth_s);
    }
    uint64_t n = engine.send(chunk);
    if (lim.rate_pps > 0) due += double(n) / lim.rate_pps;
    if (n == 0) {
      ++stalls;
      struct timespec ts{0, 20000};
      nanosleep(&ts, nullptr);
    }
    sent += n;
    live->sent.store(sent, std::memory_order_relaxed);
  }
  nlohmann::json out = engine.extra();
  out["sent"] = sent;
  out["seconds"] = mono_now_s() - t0;
  out["stalls"] = stalls;
  out["hit_count_bound"] = sent >= lim.max_frames;
  return out;
}

// ---- the workload ---------------------------------------------------------------------------

PacketEngine parse_engine(const std::string& s) {
  if (s == "live-frames") return PacketEngine::live_frames;
  if (s == "sendmmsg") return PacketEngine::sendmmsg;
  throw RunError("udp_flood: unknown engine '" + s + "'");
}

class UdpFloodWorkload final : public Workload {
 public:
  WorkloadResult run(const WorkloadContext& ctx) override {
    const Endpoint* gen = find_endpoint(ctx.topo, "generator");
    const Endpoint* dut = find_endpoint(ctx.topo, "dut");
    if (!gen || !dut)
      throw RunError("udp_flood: topology '" + ctx.topo.kind() +
                     "' has no generator and dut endpoints (use topology.kind = \"veth-packet\")");
    // The silent-loss configuration: frames sent into a veth whose peer has no NAPI are refused
    // (XDP_TX: ndo_xdp_xmit; the stack: processed on the sender's CPU, so nothing is pinned).
    if (netns::read_napi(*dut).empty())
      throw RunError("udp_flood: the DUT veth " + dut->ifname +
                     " has no NAPI (topology.dut_gro = false and no native XDP program on it): frames sent with "
                     "XDP_TX would be refused without a trace; turn dut_gro on or attach a native program");
    const PacketEngine engine_kind = parse_engine(ctx.options.get_string("engine"));
    const uint32_t batch = uint32_t(ctx.options.get_int("batch"));
    GenLimits lim{ctx.options.get_number("rate_pps"), uint64_t(ctx.options.get_int("max_frames"))};

    FrameSpec spec;
    spec.family = dut->addr.family;
    spec.src_mac = gen->mac;
    spec.dst_mac = dut->mac;
    spec.src = gen->addr;
    spec.dst = dut->addr;
    spec.src_port = kSrcPort;
    spec.dst_port = kDstPort;
    spec.flows = uint32_t(ctx.cell.integer("flows"));
    try {
      spec.frame_size = frame_size_for_packet_size(uint32_t(ctx.cell.integer("packet_size")));
    } catch (const std::invalid_argument& e) {
      throw RunError(std::string("udp_flood: ") + e.what());
    }
    if (std::string e = validate(spec); !e.empty()) throw RunError("udp_flood: " + e);

    const int dut_cpu = ctx.cpus.of("dut");
    netns::ThreadedNapi napi(*dut, dut_cpu);

    std::unique_ptr<bpf::LiveFrameGenerator> lfg;
    std::unique_ptr<Engine> engine;
    if (engine_kind == PacketEngine::live_frames) {
      lfg = std::make_unique<bpf::LiveFrameGenerator>(spec, gen->ifindex);
      engine = std::make_unique<LiveFramesEngine>(*lfg, batch);
    } else {
      engine = std::make_unique<SendmmsgEngine>(spec, batch);
    }

    WorkloadResult res;
    res.payload_checked = true;
    res.extra["frame_size_b"] = spec.frame_size;
    res.extra["offered_rate_pps"] = lim.rate_pps;
    res.extra["dut_napi_threads"] = double(napi.threads().size());
    res.extra["dut_napi_cpu"] = napi.cpu();

    SharedLive live;
    ControlPipe to_receiver, to_generator;
    const WindowCounters before = ctx.hooks.snapshot ? ctx.hooks.snapshot() : WindowCounters{};
    const uint64_t xdp0 = xdp_consumed_of(ctx.datapath.read_counters());

    Live* lp = live.get();
    const int rfd = to_receiver.read_fd(), gfd = to_generator.read_fd();
    ChildProcess receiver = ChildProcess::spawn(
        {"receiver", dut->ns, ctx.datapath.workload_cgroup(), dut_cpu,
         [&spec, rfd, lp](ChildChannel& ch) { return receiver_body(ch, spec, rfd, lp); }});
    receiver.await_ready(Clock::now() + std::chrono::seconds(10));
    Engine* eng = engine.get();
    ChildProcess generator = ChildProcess::spawn(
        {"generator", gen->ns, "", ctx.cpus.of("generator"),
         [eng, lim, gfd, lp](ChildChannel& ch) { return generator_body(ch, *eng, lim, gfd, lp); }});
    generator.await_ready(Clock::now() + std::chrono::seconds(10));

    Timeline tl;
    tl.t0 = mono_now_s() + 0.02;
    tl.warm_end = tl.t0 + ctx.warmup_s;
    tl.end = tl.warm_end + ctx.duration_s;
    to_receiver.send(ControlPipe::Kind::start, tl);
    to_generator.send(ControlPipe::Kind::start, tl);

    // Handled so far: what the socket read plus what the XDP program consumed.
    auto handled = [&] {
      return live->received.load() + (xdp_consumed_of(ctx.datapath.read_counters()) - xdp0);
    };
    struct Edge {
      double t;
      uint64_t handled, sent;
    };
    auto edge_now = [&] { return Edge{mono_now_s(), handled(), live->sent.load()}; };
    std::vector<double> edges{tl.warm_end};
    for (double t = tl.warm_end + kBinS; t < tl.end - kBinS / 2; t += kBinS) edges.push_back(t);
    edges.push_back(tl.end);
    sleep_until_mono(tl.t0);
    Edge prev = edge_now();
    Edge win_begin{}, win_end{};
    const uint32_t payload_len = spec.frame_size - frame_layout(spec.family).payload;
    auto sample = [&](const Edge& a, const Edge& b, bool warm, bool cool) {
      IntervalSample s;
      s.start_s = a.t - tl.t0;
      s.duration_s = b.t - a.t;
      s.packets = b.handled - a.handled;
      s.messages = s.packets;
      s.bytes = s.packets * payload_len;
      s.warmup = warm;
      s.cooldown = cool;
      res.samples.push_back(s);
    };
    for (size_t i = 0; i < edges.size(); ++i) {
      sleep_until_mono(edges[i]);
      if (i == 0 && ctx.hooks.begin) ctx.hooks.begin();
      if (i + 1 == edges.size() && ctx.hooks.end) ctx.hooks.end();
      Edge e = edge_now();
      sample(prev, e, i == 0, false);
      if (i == 0) win_begin = e;
      if (i + 1 == edges.size()) win_end = e;
      prev = e;
    }
    res.window_s = win_end.t - win_begin.t;

    std::string failure;
    nlohmann::json g, r;
    ProcessCpu gcpu, rcpu;
    try {
      g = generator.wait(Clock::now() + std::chrono::seconds(10), &gcpu);
      res.processes.push_back(gcpu);
    } catch (const std::exception& e) {
      failure = std::string("udp_flood generator: ") + e.what();
    }
    // Let the DUT drain: its NAPI and socket have frames in flight when the generator stops.
    // Done when nothing moved for 50 ms (bounded by 3 s).
    {
      uint64_t last = handled();
      const double give_up = mono_now_s() + 3;
      double quiet_since = mono_now_s();
      while (mono_now_s() < give_up && mono_now_s() - quiet_since < 0.05) {
        struct timespec ts{0, 10'000'000};
        nanosleep(&ts, nullptr);
        const uint64_t h = handled();
        if (h != last) {
          last = h;
          quiet_since = mono_now_s();
        }
      }
    }
    to_receiver.send(ControlPipe::Kind::stop);
    try {
      r = receiver.wait(Clock::now() + std::chrono::seconds(10), &rcpu);
      res.processes.push_back(rcpu);
    } catch (const std::exception& e) {
      if (failure.empty()) failure = std::string("udp_flood receiver: ") + e.what();
    }
    sample(prev, edge_now(), false, true);
    const WindowCounters after = ctx.hooks.snapshot ? ctx.hooks.snapshot() : WindowCounters{};

    const uint64_t generated = g.is_object() ? g.value("sent", uint64_t(0)) : live->sent.load();
    res.extra["generated_frames"] = double(generated);
    if (g.is_object()) {
      res.extra["generator_seconds"] = g.value("seconds", 0.0);
      res.extra["generator_stalls"] = g.value("stalls", 0.0);
      res.extra["hit_count_bound"] = g.value("hit_count_bound", false) ? 1 : 0;
      if (g.contains("send_queue_full")) res.extra["send_queue_full"] = g["send_queue_full"].get<double>();
    }
    if (res.window_s > 0) res.extra["generated_pps"] = double(win_end.sent - win_begin.sent) / res.window_s;
    if (lfg) {
      res.extra["gen_prog_frames"] = double(counter_or_zero(lfg->counters(), "gen_frames"));
    }
    if (r.is_object()) {
      for (const char* k : {"received", "socket_drops", "udp_no_ports", "udp_csum_errors", "udp_rcvbuf_errors",
                            "udp_in_datagrams", "wrong_length"})
        res.extra[std::string("dut_") + k] = r.value(k, 0.0);
      res.payload_errors = r.value("bad_payloads", uint64_t(0)) + r.value("wrong_length", uint64_t(0));
    }
    if (!failure.empty()) {
      res.failure = failure;
      return res;
    }

    // Every packet accounted for, over the whole run.
    if (ctx.hooks.snapshot) {
      const std::vector<LinkCounters> d = link_delta(before.links, after.links);
      PacketCounts c;
      c.engine = engine_kind;
      c.generated = generated;
      for (const LinkCounters& l : d) {
        if (l.role == "generator") c.generator = l;
        if (l.role == "dut") c.dut = l;
      }
      c.xdp_consumed = xdp_consumed_of(counter_delta(before.datapath, after.datapath));
      c.socket_received = r.value("received", uint64_t(0));
      c.socket_drops = r.value("socket_drops", uint64_t(0));
      c.udp_no_ports = r.value("udp_no_ports", uint64_t(0));
      c.udp_csum_errors = r.value("udp_csum_errors", uint64_t(0));
      const PacketAccount a = account_packets(c);
      for (const auto& [k, v] : a.figures()) res.extra[k] = v;
      if (!a.ok) res.failure = "udp_flood: packets do not add up within 0.1%: " + a.message;
    }
    if (generated == 0 && res.failure.empty()) res.failure = "udp_flood: the generator sent no frame";
    return res;
  }
};

std::vector<OptionSpec> flood_options() {
  return {
      {.name = "engine", .type = OptionType::string, .default_value = std::string("live-frames"),
       .doc = "live-frames: BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES, frames sent with XDP_TX out of the "
              "generator's veth; sendmmsg: UDP sockets, one per flow",
       .choices = {"live-frames", "sendmmsg"}},
      {.name = "rate_pps", .type = OptionType::number, .default_value = 0.0,
       .doc = "offered rate in frames per second, paced per batch with a token bucket; 0: as fast as the "
              "generator goes (the achieved rate is recorded as generated_pps)",
       .min = 0, .max = 1e9},
      {.name = "batch", .type = OptionType::integer, .default_value = int64_t(64),
       .doc = "frames per BPF_PROG_RUN batch or per sendmmsg call", .min = 1, .max = 256},
      {.name = "max_frames", .type = OptionType::integer, .default_value = int64_t(500'000'000),
       .doc = "count bound over warm-up and window: the generator stops at this many frames or at the end of "
              "the window, whichever comes first",
       .min = 1, .max = 1e12},
      {.name = "generator_alone", .type = OptionType::boolean, .default_value = true,
       .doc = "measure the generator alone in every cell and repetition (a native XDP_DROP on the DUT) and label "
              "runs at >= 0.95x its rate with no DUT drops generator-bound"},
      {.name = "program_cost", .type = OptionType::boolean, .default_value = true,
       .doc = "after each XDP run, a 0.5 s pass with BPF run-time statistics on: the program's own ns per packet "
              "(prog_ns_per_packet)"},
  };
}

std::vector<MetricSpec> flood_metrics() {
  return {
      {.name = "rx_pps", .unit = "1/s", .direction = Direction::higher_is_better, .derivation = Derivation::rate,
       .source = "packets",
       .doc = "frames the DUT handled per second: consumed by its XDP program or read by its UDP socket",
       .headline = true, .display_unit = "Mpps", .display_scale = 1e-6},
      {.name = "cpu_ns_per_packet", .unit = "ns", .direction = Direction::lower_is_better,
       .derivation = Derivation::cpu_per_unit, .source = "packets", .scale = 1e9,
       .doc = "busy CPU time of all CPUs (generator included) per frame handled", .headline = true,
       .display_unit = "CPU ns/pkt"},
      {.name = "generated_pps", .unit = "1/s", .direction = Direction::neither, .derivation = Derivation::extra,
       .source = "generated_pps", .doc = "frames the generator made per second in the window (the achieved rate)",
       .display_unit = "Mpps", .display_scale = 1e-6},
      {.name = "prog_ns_per_packet", .unit = "ns", .direction = Direction::lower_is_better,
       .derivation = Derivation::extra, .source = "prog_ns_per_packet",
       .doc = "the XDP program's own run time per packet, from BPF run-time statistics in a separate pass "
              "(0 for a datapath without an XDP program)"},
  };
}

}  // namespace

std::vector<AxisSpec> packet_axes() {
  return {
      {.name = "packet_size", .type = OptionType::integer, .default_value = int64_t(64), .unit = "B",
       .doc = "IP packet length (the frame is 14 bytes longer, without FCS)", .min = 64, .max = 1500,
       .label_suffix = "B"},
      {.name = "flows", .type = OptionType::integer, .default_value = int64_t(1), .unit = "flows",
       .doc = "UDP source ports the frames rotate over", .min = 1, .max = 256, .label_suffix = "flow"},
      {.name = "cpu_placement", .type = OptionType::string, .default_value = std::string("cross-core"),
       .doc = "same-core: every CPU role on one CPU; cross-core: the sending side on its own CPU",
       .choices = {"same-core", "cross-core"}, .max_values = 2},
  };
}

Cell packet_cell(int64_t packet_size, int64_t flows, const std::string& placement) {
  const std::vector<AxisSpec> axes = packet_axes();
  return Cell("udp_flood", {{&axes[0], packet_size}, {&axes[1], flows}, {&axes[2], placement}});
}

void register_udp_flood(WorkloadRegistry& reg) {
  reg.add({
      .name = "udp_flood",
      .description = "UDP frames from a generator namespace into the DUT veth (engines live-frames and sendmmsg), "
                     "counted where the DUT handles them; every frame accounted for over the whole run",
      .options = flood_options(),
      .factory = [] { return std::make_unique<UdpFloodWorkload>(); },
      .traffic = {"packet"},
      .axes = packet_axes(),
      .metrics = flood_metrics(),
      .summary = "UDP packet flood into a veth DUT (live-frames or sendmmsg), every frame accounted for",
  });
}

}  // namespace benchlab::workloads
