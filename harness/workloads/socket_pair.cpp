// The socket workloads' scaffold (socket_pair.hpp).
#include "benchlab/workloads/socket_pair.hpp"

#include <algorithm>
#include <chrono>

#include "benchlab/core/clock.hpp"

namespace benchlab::workloads {

namespace {

constexpr double kStopBoundS = 2;   // a server told to stop before any load had it at once

// The CLOCK_MONOTONIC instant t_s as a Clock deadline.
Clock::time_point at_mono(double t_s) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(t_s - mono_now_s()));
}

bool await_ready(ChildProcess& child, double bound_s, EndResult& end) {
  try {
    child.await_ready(at_mono(mono_now_s() + bound_s));
    return true;
  } catch (const std::exception& e) {
    end.error = e.what();
    return false;
  }
}

void collect(ChildProcess& child, double deadline_s, EndResult& end) {
  try {
    end.result = child.wait(at_mono(deadline_s), &end.cpu);
  } catch (const std::exception& e) {
    end.error = e.what();
    return;
  }
  if (auto it = end.result.find("failure"); it != end.result.end() && it->is_string())
    end.error = child.role() + ": " + it->get<std::string>();
}

void tell_to_stop(const SocketPairSpec& spec) {
  try {
    spec.stop_server();
  } catch (const std::exception&) {
    // The server is gone already: its wait says why.
  }
}

// No load ran: a server that can be told to stop is, and its error (it often knows why the
// client failed: its barrier threw, it could not bind) kept; one that cannot is killed.
void abandon_server(std::optional<ChildProcess>& server, const SocketPairSpec& spec, EndResult& end) {
  if (!spec.stop_server) {
    server.reset();
    return;
  }
  tell_to_stop(spec);
  collect(*server, mono_now_s() + kStopBoundS, end);
}

}  // namespace

std::string SocketPairOutcome::failure(const std::string& workload) const {
  const std::string who = workload.empty() ? "" : workload + " ";
  if (!error.empty()) return workload.empty() ? error : workload + ": " + error;
  if (!client.error.empty()) return who + client.error + (server.error.empty() ? "" : " (" + server.error + ")");
  if (!server.error.empty()) return who + server.error;
  return {};
}

SocketPairOutcome run_socket_pair(const WorkloadContext& ctx, const SocketPairSpec& spec) {
  SocketPairOutcome out;
  const Datapath& dp = ctx.datapath;
  const std::string cgroup = dp.workload_cgroup();

  std::optional<ChildProcess> server = ChildProcess::spawn({
      .role = spec.server_role, .ns = ctx.topo.server().ns, .cgroup = cgroup, .cpu = ctx.cpus.of("server"),
      .body = spec.server,
  });
  if (!await_ready(*server, spec.server_ready_s, out.server)) return out;

  // Asked once the server is ready, so a proxy datapath can reach it at once.
  ConnectTarget target;
  try {
    target = dp.client_target(ctx.topo.server(), spec.port);
  } catch (const std::exception& e) {
    out.error = e.what();
    abandon_server(server, spec, out.server);
    return out;
  }

  std::optional<ChildProcess> client = ChildProcess::spawn({
      .role = spec.client_role, .ns = ctx.topo.client().ns, .cgroup = cgroup, .cpu = ctx.cpus.of("client"),
      .body = [&spec, target](ChildChannel& ch) { return spec.client(ch, target); },
  });
  if (!await_ready(*client, spec.client_ready_s, out.client)) {
    abandon_server(server, spec, out.server);
    return out;
  }

  try {
    if (spec.start) out.window = spec.start();
  } catch (const std::exception& e) {
    out.error = e.what();
    client.reset();
    abandon_server(server, spec, out.server);
    return out;
  }
  if (out.window) {
    sleep_until_mono(out.window->begin_s);
    out.begin_late_s = mono_now_s() - out.window->begin_s;
    if (ctx.hooks.begin) ctx.hooks.begin();
    sleep_until_mono(out.window->end_s);
    out.end_late_s = mono_now_s() - out.window->end_s;
    if (ctx.hooks.end) ctx.hooks.end();
  }

  const double load_end_s = out.window ? out.window->end_s : mono_now_s();
  collect(*client, load_end_s + spec.finish_s, out.client);
  if (spec.stop_server) tell_to_stop(spec);
  collect(*server, std::max(load_end_s, mono_now_s()) + spec.finish_s, out.server);
  return out;
}

}  // namespace benchlab::workloads
