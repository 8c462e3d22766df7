// The runner's extra passes for packet cells:
//   generator alone  each cell and repetition also measures the generator with nothing but a
//                    native XDP_DROP on the DUT's ingress (the first point a frame can be dropped
//                    there); a run whose rate is ≥ 0.95× that, with no drops at the DUT, is
//                    labelled generator-bound: it measured the generator, not the datapath
//   program cost     with the datapath still attached, a short second load with BPF run-time
//                    statistics on (bpf_enable_stats, an fd the kernel drops with the process),
//                    giving the XDP program's own ns per packet; not during the throughput
//                    window, since the statistics add two clock reads per program run
#pragma once

#include <optional>
#include <string>

#include "benchlab/core/registry.hpp"
#include "benchlab/reports/report.hpp"

namespace benchlab {

inline constexpr double kGeneratorBoundShare = 0.95;
inline constexpr double kProgramCostPassS = 0.5;

// Frames handled per second over the measured samples of `r` (0 when there are none).
double handled_pps(const WorkloadResult& r);

// Whether a run at `pps` with `dut_drops` drops (dropped at the DUT or refused by its full ring)
// is generator-bound against the generator alone.
bool generator_bound(double pps, uint64_t dut_drops, double alone_pps);

// Labels `rec` (a finished packet run) against the generator-alone rate: extra figures
// generator_alone_pps and generator_bound (1/0), and the attribute "label" = "generator-bound".
void label_generator_bound(reports::RunRecord& rec, double alone_pps);

// The program-cost pass: runs `workload` again for kProgramCostPassS (no warm-up, no hooks) with
// BPF run-time statistics on, and records prog_ns_per_packet and prog_stats_runs in rec's extra
// (or the attribute prog_cost_error). Does nothing for a datapath without an "xdp_prog_id"
// attribute.
void program_cost_pass(Workload& workload, const WorkloadContext& ctx, const Datapath& dp, reports::RunRecord& rec);

}  // namespace benchlab
