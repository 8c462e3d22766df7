#include "fixtures.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "benchlab/workloads/tcp.hpp"

namespace benchlab::reports::testing {

Cell make_cell(const std::string& workload, int64_t message_size, CpuPlacement p, int64_t flows) {
  return workloads::socket_cell(workload, message_size, flows, to_string(p));
}

MetricTable socket_metric_table() {
  WorkloadRegistry w;
  workloads::register_tcp_stream(w);
  workloads::register_tcp_rr(w);
  MetricTable t;
  t.common.assign(common_metrics().begin(), common_metrics().end());
  for (const auto& e : w.entries()) {
    t.workloads[e.name] = e.metrics;
    t.workload_kinds[e.name] = e.traffic.front();
  }
  t.datapaths["sockmap"] = {{.name = "miss_bytes", .unit = "B", .direction = Direction::lower_is_better,
                             .derivation = Derivation::counter, .source = "sockmap.misses", .doc = "missed bytes"}};
  t.baselines = {{"stream", "kernel"}};
  return t;
}

RunRecord run_with_throughput(const Cell& c, const std::string& datapath, int rep, double throughput_bps) {
  RunRecord r;
  r.cell = c;
  r.datapath = datapath;
  r.variant = datapath;
  r.repetition = rep;
  r.result.samples.push_back({0, 1, 999'999'999, 1, 1, true});
  r.result.samples.push_back({1, 1, static_cast<uint64_t>(throughput_bps / 8), 1, 1, false});
  r.result.window_s = 1;
  return r;
}

Report full_report() {
  Report r;
  r.benchlab_version = "0.1.0";
  r.git_revision = "0123456789ab-dirty";
  r.created_utc = "2024-05-01T12:34:56Z";
  r.wall_s = 123.25;
  r.context = {{"kernel", {{"release", "6.1.0-18-amd64"}}}, {"online_cpus", 4}, {"sysctls", {{"net.core.rmem_max", 212992}}}};

  ScenarioInfo& s = r.scenario;
  s.name = "full";
  s.description = "every field set";
  s.file = "scenarios/full.toml";
  s.sha256 = std::string(64, 'a');
  s.duration_s = 10;
  s.warmup_s = 2;
  s.repetitions = 3;
  s.topology = "veth-pair";
  s.family = "ipv6";
  s.datapaths = {"kernel", "sockmap"};
  s.workloads = {"tcp_rr"};
  s.matrix = {{"message_size", {64, 1024}}, {"flows", {1}}, {"cpu_placement", {"same-core"}}};
  s.options = {{"datapath", {{"sockmap", {{"map", "sockhash"}}}}}};
  s.overrides = {"duration=10", "datapath.sockmap.map=sockhash"};
  s.not_run = {{"afxdp", "tcp_rr", "carries packet, not stream traffic"}};
  r.metrics = socket_metric_table();

  RunRecord run;
  run.cell = make_cell("tcp_rr", 64, CpuPlacement::same_core, 4);
  run.datapath = "sockmap";
  run.variant = "sockmap[hash]";
  run.variant_axes.set("map", std::string("hash"));
  run.repetition = 2;
  run.status = RunStatus::failed;
  run.error = "engagement: sockmap carried 10% of messages";
  run.started_unix_s = 1714566896.5;
  run.topology_build_ms = 41.5;
  run.topology_teardown_ms = 12.25;
  run.result.samples = {{0, 1, 100, 10, 5, true, false, 7, 1}, {1, 1.5, 300, 30, 15, false, false, 9, 2}};
  Histogram h;
  h.record(12'000, 3);
  h.record(250'000);
  run.result.latency_ns = h;
  run.result.processes = {{"client", 0.5, 1.25, 3}, {"server", 0.25, 1.5, -1}};
  run.result.extra = {{"retransmits", 7}, {"rtt_us", 41.5}};
  run.result.payload_checked = true;
  run.result.payload_errors = 2;
  run.result.window_s = 1.5;
  run.cpu_begin = {100.5, {{1, 2, 3, 4, 5, 6, 7, 8}, {10, 20, 30, 40, 50, 60, 70, 80}}};
  run.cpu_end = {102.0, {{2, 3, 4, 5, 6, 7, 8, 9}, {11, 21, 31, 41, 51, 61, 71, 81}}};
  run.counters_delta = {{"sockmap.redirected", 1234}, {"sockmap.misses", 18'446'744'073'709'551'000ull}};
  run.links_delta = {{.role = "client", .ifname = "veth0", .rx_packets = 1, .tx_packets = 18'446'744'073'709'551'000ull,
                      .rx_bytes = 3, .tx_bytes = 4, .rx_dropped = 5, .tx_dropped = 6}};
  run.engagement = {true, false, 0.1, "carried 10%"};
  r.runs.push_back(run);

  RunRecord ok = run_with_throughput(run.cell, "kernel", 0, 8e9);
  r.runs.push_back(ok);
  summarize(r);
  return r;
}

namespace {

// Deterministic noise: a small LCG, so the example file never changes unless the code does.
struct Noise {
  uint64_t state = 42;
  double next() {   // uniform in [-1, 1), in steps of 1e-4 so the file stays readable
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>((state >> 33) % 20000) / 1e4 - 1.0;
  }
};

void add_cpu(RunRecord& r, double window_s, double busy_share, double softirq_share) {
  // Two CPUs, the client's and the server's; the rest of the machine is idle and not shown.
  r.cpu_begin.mono_s = 5000 + r.started_unix_s - 1714550000;
  r.cpu_end.mono_s = r.cpu_begin.mono_s + window_s;
  for (int cpu = 0; cpu < 2; ++cpu) {
    CpuTimes b{1000.0 + cpu, 1.0, 500.0, 20000.0, 3.0, 0.5, 200.0, 0};
    CpuTimes e = b;
    const double busy = window_s * busy_share;
    e.user_s += busy * 0.25;
    e.system_s += busy * (0.75 - softirq_share);
    e.softirq_s += busy * softirq_share;
    e.idle_s += window_s - busy;
    r.cpu_begin.per_cpu.push_back(b);
    r.cpu_end.per_cpu.push_back(e);
  }
}

}  // namespace

Report example_report() {
  Noise noise;
  Report rep;
  rep.benchlab_version = "0.1.0";
  rep.git_revision = "c3b45a0e1f2d";
  rep.created_utc = "2024-05-01T12:00:00Z";
  rep.context = {
      {"kernel", {{"release", "6.1.0-18-amd64"}, {"version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1"}}},
      {"cpu", {{"model", "Intel(R) Xeon(R) CPU @ 2.20GHz"}, {"online_cpus", 4}}},
      {"sysctls", {{"net.core.rmem_max", 212992}, {"net.ipv4.tcp_congestion_control", "cubic"}}},
      {"versions", {{"libbpf", "1.1.0"}}}};

  ScenarioInfo& s = rep.scenario;
  s.name = "sockmap-smoke";
  s.description = "kernel vs sockmap redirect on one veth pair, stream and request/response";
  s.file = "scenarios/sockmap-smoke.toml";
  s.sha256 = "5f1d0a8c2b7e4a9d6c3f8e1b0a7d4c2e9f6b3a8d5c2e7f4a1b9d6c3e8f5a2b7d";
  s.duration_s = 2;
  s.warmup_s = 1;
  s.repetitions = 3;
  s.topology = "veth-pair";
  s.family = "ipv4";
  s.datapaths = {"kernel", "sockmap", "xdp_redirect"};
  s.workloads = {"tcp_stream", "tcp_rr"};
  s.matrix = {{"message_size", {1024, 16384}}, {"flows", {1}}, {"cpu_placement", {"cross-core"}}};
  s.options = {{"datapath", {{"sockmap", {{"map", "sockhash"}}}}}, {"topology", {{"mtu", 1500}}}};
  s.overrides = {"duration=2"};
  rep.metrics = socket_metric_table();

  struct Plan {
    Cell cell;
    double kernel_rate, sockmap_rate;   // bit/s for stream, transactions/s for rr
  };
  const Plan plans[] = {
      {make_cell("tcp_stream", 1024), 11.8e9, 19.6e9},
      {make_cell("tcp_stream", 16384), 31.0e9, 44.5e9},
      {make_cell("tcp_rr", 64), 61'000, 97'000},
  };

  double t = 1714550000;
  for (const Plan& p : plans) {
    const bool rr = p.cell.workload() == "tcp_rr";
    const auto message_size = uint64_t(p.cell.integer("message_size"));
    for (int r = 0; r < 3; ++r) {
      for (const std::string dp : {"kernel", "sockmap", "xdp_redirect"}) {
        RunRecord run;
        run.cell = p.cell;
        run.datapath = dp;
        run.variant = dp;
        run.repetition = r;
        run.started_unix_s = t;
        t += 4;
        if (dp == "xdp_redirect") {
          // Probed, not attempted: a recorded skip with its reason.
          run.status = RunStatus::skipped;
          run.error = "xdp_redirect: this kernel has no native XDP redirect between veth peers (probe: EOPNOTSUPP)";
          rep.runs.push_back(run);
          continue;
        }
        run.topology_build_ms = 38 + 4 * noise.next();
        run.topology_teardown_ms = 11 + 2 * noise.next();
        const double base = dp == "kernel" ? p.kernel_rate : p.sockmap_rate;
        WorkloadResult& w = run.result;
        w.window_s = 2;
        for (int i = 0; i < 3; ++i) {
          const double rate = base * (1 + 0.03 * noise.next()) * (i == 0 ? 0.7 : 1.0);
          IntervalSample smp;
          smp.start_s = i;
          smp.duration_s = 1 + 0.001 * noise.next();
          smp.warmup = i == 0;
          if (rr) {
            smp.transactions = static_cast<uint64_t>(rate * smp.duration_s);
            smp.messages = smp.transactions;
            smp.bytes = smp.transactions * message_size;
          } else {
            smp.bytes = static_cast<uint64_t>(rate * smp.duration_s / 8);
            smp.messages = smp.bytes / message_size;
          }
          w.samples.push_back(smp);
        }
        if (rr) {
          Histogram h;
          const double p50_ns = dp == "kernel" ? 15'500 : 9'800;
          for (int i = 0; i < 400; ++i) {
            const double tail = i % 50 == 0 ? 4.0 : 1.0;
            h.record(static_cast<uint64_t>(p50_ns * tail * (1 + 0.15 * noise.next())));
          }
          w.latency_ns = h;
        }
        w.processes = {{"client", 0.4 + 0.05 * noise.next(), 1.4 + 0.05 * noise.next(), 2},
                       {"server", 0.3 + 0.05 * noise.next(), 1.5 + 0.05 * noise.next(), 3}};
        w.payload_checked = true;
        add_cpu(run, 2, (dp == "kernel" ? 0.95 : 0.90) + 0.03 * noise.next(), dp == "kernel" ? 0.30 : 0.05);

        uint64_t moved = 0;
        for (const auto& smp : w.samples) moved += smp.bytes;
        const uint64_t packets = moved / 1448;
        if (dp == "kernel") {
          run.links_delta = {{.role = "client", .ifname = "veth0", .tx_packets = packets, .tx_bytes = moved + packets * 66},
                             {.role = "server", .ifname = "veth1", .rx_packets = packets, .rx_bytes = moved + packets * 66}};
        } else {
          const bool bypassed = !(rr && r == 2);
          const uint64_t leaked = bypassed ? 12 : packets * 88 / 100;
          uint64_t msgs = 0;
          for (const auto& smp : w.samples) msgs += smp.messages;
          run.counters_delta = {{"sockmap.redirected_msgs", bypassed ? msgs : msgs * 12 / 100}};
          run.links_delta = {{.role = "client", .ifname = "veth0", .tx_packets = leaked},
                             {.role = "server", .ifname = "veth1", .rx_packets = leaked}};
          run.engagement.checked = true;
          run.engagement.carried_share = bypassed ? 1.0 : 0.12;
          if (!bypassed) {
            run.engagement.ok = false;
            run.engagement.message = "sockmap redirected 12.0% of messages; veth0 carried the rest";
            run.status = RunStatus::failed;
            run.error = "engagement check failed: sockmap redirected 12.0% of messages";
          }
        }
        rep.runs.push_back(run);
      }
    }
  }
  rep.wall_s = t - 1714550000;
  summarize(rep);
  return rep;
}

namespace {

void same_cell(const Cell& a, const Cell& b, const std::string& where) {
  EXPECT_EQ(a.workload(), b.workload()) << where;
  EXPECT_EQ(a.label(), b.label()) << where;
  // Axes compare as sets: a report stores them as a JSON object, which the reader sorts.
  ASSERT_EQ(a.axes().size(), b.axes().size()) << where;
  for (const AxisValue& x : a.axes()) {
    const OptionValue* y = b.find(x.name);
    ASSERT_NE(y, nullptr) << where << " axis " << x.name;
    EXPECT_EQ(x.value, *y) << where << " axis " << x.name;
  }
}

void same_cpu(const CpuSnapshot& a, const CpuSnapshot& b, const std::string& where) {
  EXPECT_EQ(a.mono_s, b.mono_s) << where;
  ASSERT_EQ(a.per_cpu.size(), b.per_cpu.size()) << where;
  for (size_t i = 0; i < a.per_cpu.size(); ++i) {
    const CpuTimes &x = a.per_cpu[i], &y = b.per_cpu[i];
    EXPECT_EQ(x.user_s, y.user_s) << where << " cpu " << i;
    EXPECT_EQ(x.nice_s, y.nice_s) << where << " cpu " << i;
    EXPECT_EQ(x.system_s, y.system_s) << where << " cpu " << i;
    EXPECT_EQ(x.idle_s, y.idle_s) << where << " cpu " << i;
    EXPECT_EQ(x.iowait_s, y.iowait_s) << where << " cpu " << i;
    EXPECT_EQ(x.irq_s, y.irq_s) << where << " cpu " << i;
    EXPECT_EQ(x.softirq_s, y.softirq_s) << where << " cpu " << i;
    EXPECT_EQ(x.steal_s, y.steal_s) << where << " cpu " << i;
  }
}

}  // namespace

void expect_same(const Report& a, const Report& b) {
  EXPECT_EQ(a.schema_version, b.schema_version);
  EXPECT_EQ(a.benchlab_version, b.benchlab_version);
  EXPECT_EQ(a.git_revision, b.git_revision);
  EXPECT_EQ(a.created_utc, b.created_utc);
  EXPECT_EQ(a.context, b.context);
  EXPECT_EQ(a.wall_s, b.wall_s);

  const ScenarioInfo &s = a.scenario, &t = b.scenario;
  EXPECT_EQ(s.name, t.name);
  EXPECT_EQ(s.description, t.description);
  EXPECT_EQ(s.file, t.file);
  EXPECT_EQ(s.sha256, t.sha256);
  EXPECT_EQ(s.duration_s, t.duration_s);
  EXPECT_EQ(s.warmup_s, t.warmup_s);
  EXPECT_EQ(s.repetitions, t.repetitions);
  EXPECT_EQ(s.topology, t.topology);
  EXPECT_EQ(s.family, t.family);
  EXPECT_EQ(s.datapaths, t.datapaths);
  EXPECT_EQ(s.workloads, t.workloads);
  EXPECT_EQ(s.matrix, t.matrix);
  EXPECT_EQ(s.options, t.options);
  EXPECT_EQ(s.overrides, t.overrides);
  ASSERT_EQ(s.not_run.size(), t.not_run.size());
  for (size_t i = 0; i < s.not_run.size(); ++i) {
    EXPECT_EQ(s.not_run[i].datapath, t.not_run[i].datapath);
    EXPECT_EQ(s.not_run[i].workload, t.not_run[i].workload);
    EXPECT_EQ(s.not_run[i].reason, t.not_run[i].reason);
  }
  EXPECT_EQ(a.metrics.common, b.metrics.common);
  EXPECT_EQ(a.metrics.workloads, b.metrics.workloads);
  EXPECT_EQ(a.metrics.datapaths, b.metrics.datapaths);
  EXPECT_EQ(a.metrics.workload_kinds, b.metrics.workload_kinds);
  EXPECT_EQ(a.metrics.baselines, b.metrics.baselines);

  ASSERT_EQ(a.runs.size(), b.runs.size());
  for (size_t i = 0; i < a.runs.size(); ++i) {
    const RunRecord &x = a.runs[i], &y = b.runs[i];
    const std::string where = "runs[" + std::to_string(i) + "]";
    same_cell(x.cell, y.cell, where);
    EXPECT_EQ(x.datapath, y.datapath) << where;
    EXPECT_EQ(x.variant, y.variant) << where;
    EXPECT_EQ(x.variant_axes.all(), y.variant_axes.all()) << where;
    EXPECT_EQ(x.repetition, y.repetition) << where;
    EXPECT_EQ(x.status, y.status) << where;
    EXPECT_EQ(x.error, y.error) << where;
    EXPECT_EQ(x.started_unix_s, y.started_unix_s) << where;
    EXPECT_EQ(x.topology_build_ms, y.topology_build_ms) << where;
    EXPECT_EQ(x.topology_teardown_ms, y.topology_teardown_ms) << where;

    const WorkloadResult &u = x.result, &v = y.result;
    ASSERT_EQ(u.samples.size(), v.samples.size()) << where;
    for (size_t k = 0; k < u.samples.size(); ++k) {
      EXPECT_EQ(u.samples[k].start_s, v.samples[k].start_s) << where;
      EXPECT_EQ(u.samples[k].duration_s, v.samples[k].duration_s) << where;
      EXPECT_EQ(u.samples[k].bytes, v.samples[k].bytes) << where;
      EXPECT_EQ(u.samples[k].messages, v.samples[k].messages) << where;
      EXPECT_EQ(u.samples[k].transactions, v.samples[k].transactions) << where;
      EXPECT_EQ(u.samples[k].packets, v.samples[k].packets) << where;
      EXPECT_EQ(u.samples[k].drops, v.samples[k].drops) << where;
      EXPECT_EQ(u.samples[k].cooldown, v.samples[k].cooldown) << where;
      EXPECT_EQ(u.samples[k].warmup, v.samples[k].warmup) << where;
    }
    ASSERT_EQ(u.latency_ns.has_value(), v.latency_ns.has_value()) << where;
    if (u.latency_ns) {
      EXPECT_EQ(u.latency_ns->to_json(), v.latency_ns->to_json()) << where;
    }
    ASSERT_EQ(u.processes.size(), v.processes.size()) << where;
    for (size_t k = 0; k < u.processes.size(); ++k) {
      EXPECT_EQ(u.processes[k].role, v.processes[k].role) << where;
      EXPECT_EQ(u.processes[k].user_s, v.processes[k].user_s) << where;
      EXPECT_EQ(u.processes[k].system_s, v.processes[k].system_s) << where;
      EXPECT_EQ(u.processes[k].cpu, v.processes[k].cpu) << where;
    }
    EXPECT_EQ(u.extra, v.extra) << where;
    EXPECT_EQ(u.payload_checked, v.payload_checked) << where;
    EXPECT_EQ(u.payload_errors, v.payload_errors) << where;
    EXPECT_EQ(u.window_s, v.window_s) << where;

    same_cpu(x.cpu_begin, y.cpu_begin, where + ".cpu_begin");
    same_cpu(x.cpu_end, y.cpu_end, where + ".cpu_end");
    EXPECT_EQ(x.counters_delta, y.counters_delta) << where;
    EXPECT_EQ(x.links_delta, y.links_delta) << where;
    EXPECT_EQ(x.engagement.checked, y.engagement.checked) << where;
    EXPECT_EQ(x.engagement.ok, y.engagement.ok) << where;
    EXPECT_EQ(x.engagement.carried_share, y.engagement.carried_share) << where;
    EXPECT_EQ(x.engagement.message, y.engagement.message) << where;
  }

  ASSERT_EQ(a.summary.size(), b.summary.size());
  for (size_t i = 0; i < a.summary.size(); ++i) {
    const SummaryRow &x = a.summary[i], &y = b.summary[i];
    const std::string where = "summary[" + std::to_string(i) + "]";
    EXPECT_EQ(x.cell_label, y.cell_label) << where;
    same_cell(x.cell, y.cell, where);
    EXPECT_EQ(x.datapath, y.datapath) << where;
    EXPECT_EQ(x.variant, y.variant) << where;
    EXPECT_EQ(x.kind, y.kind) << where;
    EXPECT_EQ(x.baseline, y.baseline) << where;
    EXPECT_EQ(x.ok_runs, y.ok_runs) << where;
    EXPECT_EQ(x.failed_runs, y.failed_runs) << where;
    EXPECT_EQ(x.skipped_runs, y.skipped_runs) << where;
    ASSERT_EQ(x.metrics.size(), y.metrics.size()) << where;
    for (const auto& [name, m] : x.metrics) {
      const MetricSummary& n = y.metrics.at(name);
      EXPECT_EQ(m.n, n.n) << where << " " << name;
      EXPECT_EQ(m.median, n.median) << where << " " << name;
      EXPECT_EQ(m.q1, n.q1) << where << " " << name;
      EXPECT_EQ(m.q3, n.q3) << where << " " << name;
      EXPECT_EQ(m.iqr, n.iqr) << where << " " << name;
      EXPECT_EQ(m.min, n.min) << where << " " << name;
      EXPECT_EQ(m.max, n.max) << where << " " << name;
      EXPECT_EQ(m.ratio_to_baseline, n.ratio_to_baseline) << where << " " << name;
    }
  }
}

}  // namespace benchlab::reports::testing
