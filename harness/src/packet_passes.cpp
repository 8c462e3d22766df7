#include "benchlab/packet_passes.hpp"

#include <cmath>

#include <fmt/format.h>

#include "benchlab/bpf/xdp.hpp"
#include "benchlab/core/error.hpp"

namespace benchlab {

double handled_pps(const WorkloadResult& r) {
  uint64_t packets = 0;
  double seconds = 0;
  for (const IntervalSample& s : r.samples) {
    if (s.warmup || s.cooldown) continue;
    packets += s.packets;
    seconds += s.duration_s;
  }
  return seconds > 0 ? double(packets) / seconds : 0;
}

bool generator_bound(double pps, uint64_t dut_drops, double alone_pps) {
  return alone_pps > 0 && pps >= kGeneratorBoundShare * alone_pps && dut_drops == 0;
}

void label_generator_bound(reports::RunRecord& rec, double alone_pps) {
  auto& x = rec.result.extra;
  x["generator_alone_pps"] = alone_pps;
  // The DUT's drops include the frames its full ring refused (veth counts them in the DUT's
  // rx_dropped too): a DUT that could not keep up was not waiting for the generator.
  auto figure = [&](const char* k) {
    const auto it = x.find(k);
    return it == x.end() ? uint64_t(0) : uint64_t(std::max(0.0, it->second));
  };
  const uint64_t drops = figure("acct_dropped") + figure("acct_refused");
  const bool bound = generator_bound(handled_pps(rec.result), drops, alone_pps);
  x["generator_bound"] = bound ? 1 : 0;
  if (bound) rec.attributes["label"] = "generator-bound";
}

void program_cost_pass(Workload& workload, const WorkloadContext& ctx, const Datapath& dp, reports::RunRecord& rec) {
  const auto attrs = dp.attributes();
  const auto id = attrs.find("xdp_prog_id");
  if (id == attrs.end()) return;
  try {
    const uint32_t prog_id = uint32_t(std::stoul(id->second));
    WorkloadContext c = ctx;
    c.hooks = {};
    c.warmup_s = 0;
    c.duration_s = kProgramCostPassS;
    bpf::BpfRunStats on;
    const bpf::ProgRunStats a = bpf::read_prog_run_stats_by_id(prog_id);
    const WorkloadResult r = workload.run(c);
    const bpf::ProgRunStats b = bpf::read_prog_run_stats_by_id(prog_id);
    if (!r.failure.empty()) throw RunError(r.failure);
    const double ns = bpf::ns_per_run(a, b);
    if (!std::isfinite(ns)) throw RunError("the program did not run during the pass");
    rec.result.extra["prog_ns_per_packet"] = ns;
    rec.result.extra["prog_stats_runs"] = double(b.run_cnt - a.run_cnt);
  } catch (const std::exception& e) {
    rec.attributes["prog_cost_error"] = e.what();
  }
}

}  // namespace benchlab
