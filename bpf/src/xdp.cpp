// XDP attachment, datapaths, live-frames generator and run-time stats. (Stub: bodies follow.)
#include "benchlab/bpf/xdp.hpp"

#include <stdexcept>

#include "benchlab/core/error.hpp"

namespace benchlab::bpf {

namespace {
[[noreturn]] void not_yet(const char* what) { throw RunError(std::string(what) + ": not yet implemented"); }
}  // namespace

const char* to_string(XdpAttachMode m) { return m == XdpAttachMode::native ? "native" : "generic"; }
XdpAttachMode parse_xdp_attach_mode(const std::string& s) {
  if (s == "native") return XdpAttachMode::native;
  if (s == "generic") return XdpAttachMode::generic;
  throw std::invalid_argument("attach_mode must be native or generic, not '" + s + "'");
}
const char* to_string(XdpAction a) { return a == XdpAction::drop ? "drop" : "pass"; }

XdpAttachment::XdpAttachment(bpf_object*, const std::string&, int, XdpAttachMode mode, const std::string&)
    : mode_(mode) { not_yet("XdpAttachment"); }
XdpAttachment::~XdpAttachment() = default;
int XdpAttachment::prog_fd() const { return -1; }
uint32_t XdpAttachment::prog_id() const { return 0; }
XdpIfaceState query_xdp(int) { not_yet("query_xdp"); }

struct XdpActionDatapath::State {};
XdpActionDatapath::XdpActionDatapath(const Endpoint& ep, const XdpActionConfig& cfg) : cfg_(cfg), ep_(ep) {
  not_yet("XdpActionDatapath");
}
XdpActionDatapath::~XdpActionDatapath() = default;
Counters XdpActionDatapath::read_counters() const { return {}; }
Engagement XdpActionDatapath::check_engagement(const WindowCounters& d, const WorkloadResult&) const {
  return evaluate_xdp_engagement(cfg_.who, cfg_.action, ep_.role, d);
}
std::map<std::string, std::string> XdpActionDatapath::attributes() const { return {}; }
int XdpActionDatapath::prog_fd() const { return -1; }
uint32_t XdpActionDatapath::prog_id() const { return 0; }
bool XdpActionDatapath::legacy_mode() const { return false; }
Engagement evaluate_xdp_engagement(const std::string&, XdpAction, const std::string&, const WindowCounters&) {
  not_yet("evaluate_xdp_engagement");
}
void register_xdp_datapaths(DatapathRegistry&) {}

struct LiveFrameGenerator::State {};
LiveFrameGenerator::LiveFrameGenerator(const FrameSpec& spec, int ifindex) : spec_(spec), ifindex_(ifindex) {
  not_yet("LiveFrameGenerator");
}
LiveFrameGenerator::~LiveFrameGenerator() = default;
uint64_t LiveFrameGenerator::run(uint64_t, uint32_t) { not_yet("LiveFrameGenerator::run"); }
Counters LiveFrameGenerator::counters() const { return {}; }
int LiveFrameGenerator::prog_fd() const { return -1; }
uint32_t LiveFrameGenerator::prog_id() const { return 0; }

BpfRunStats::BpfRunStats() { not_yet("BpfRunStats"); }
BpfRunStats::~BpfRunStats() = default;
ProgRunStats read_prog_run_stats(int) { not_yet("read_prog_run_stats"); }
ProgRunStats read_prog_run_stats_by_id(uint32_t) { not_yet("read_prog_run_stats_by_id"); }
double ns_per_run(const ProgRunStats&, const ProgRunStats&) { not_yet("ns_per_run"); }
bool bpf_stats_enabled_now() { not_yet("bpf_stats_enabled_now"); }

Support probe_xdp() { return {false, "not yet"}; }
Support probe_xdp_live_frames() { return {false, "not yet"}; }
bool xdp_live_frames_supported() { return false; }
Support probe_xdp_native_veth() { return {false, "not yet"}; }
Support probe_xdp_generic() { return {false, "not yet"}; }

}  // namespace benchlab::bpf
