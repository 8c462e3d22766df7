// The scaffold every socket workload runs on (tcp_stream, tcp_rr/tcp_crr, the stream payload
// check; nothing in it is TCP's, so a UDP workload runs on it too):
//
//   server child  in the server endpoint's namespace, the datapath's cgroup, the server CPU;
//                 waited for until it is ready (listening)
//   target        the datapath's client target for the server's port, asked once the server is
//                 ready (a proxy datapath starts its proxy then)
//   client child  in the client endpoint's namespace, the datapath's cgroup, the client CPU,
//                 told where to connect; waited for until it is ready
//   start         the workload starts its load and names its measured window; the parent calls
//                 the window hooks at its edges
//   wait          the client, then the server (told to stop first, if it needs telling), each
//                 bounded
//
// Failures are data: a child that fails, dies or times out leaves its error in its EndResult and
// the other end's result is still collected, so the workload keeps every raw sample either end
// returned and reports `failure`. A body that fails after it has gathered results (its peer
// died, a wait timed out) returns them with "failure": "<reason>": the end then has both its
// result and its error. Children are ChildProcesses (single-threaded glibc state, killed with
// the parent, killed at their deadline).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "benchlab/core/child.hpp"
#include "benchlab/core/workload.hpp"

namespace benchlab::workloads {

// What came back from one end.
struct EndResult {
  nlohmann::json result;    // what its body returned; null when it failed without results
  ProcessCpu cpu;           // its CPU time (role empty: it was killed before it was reaped)
  std::string error;        // why it failed: "client: connect ...: Connection refused"
};

// The load's measured window on CLOCK_MONOTONIC.
struct MeasuredWindow {
  double begin_s = 0, end_s = 0;
};

struct SocketPairSpec {
  std::string workload;                  // "tcp_rr" (for messages)
  std::string server_role = "server";
  std::string client_role = "client";
  uint16_t port = 0;                     // the server's port: the client goes to the datapath's target for it
  double server_ready_s = 10;            // bound on the server getting ready
  double client_ready_s = 30;            // bound on the client getting ready
  std::function<nlohmann::json(ChildChannel&)> server;
  std::function<nlohmann::json(ChildChannel&, const ConnectTarget&)> client;
  // Called in the parent once both ends are ready: starts the load, returns its measured window
  // (nullopt: a transfer without one, e.g. the payload check). May throw.
  std::function<std::optional<MeasuredWindow>()> start;
  // Tells the server to stop, once the client is done or has failed; empty: the server stops by
  // itself (and is killed, not waited for, when the client never got ready).
  std::function<void()> stop_server;
  double finish_s = 10;                  // bound on each end finishing, after the window (or the start)
};

struct SocketPairOutcome {
  EndResult server, client;
  std::string error;                     // a step of the parent's failed (the datapath's target, the start)
  std::optional<MeasuredWindow> window;  // set once the load started
  double begin_late_s = 0, end_late_s = 0;   // how late the window hooks were called
  // "" when both ends returned and the parent's steps went through; else one line:
  // "<workload> client: ... (server: ...)", "<workload> server: ...", "<workload>: ..." (an empty
  // workload: the same without it).
  std::string failure(const std::string& workload) const;
};

// Runs the scaffold for one cell. Throws only what it cannot record (a fork that fails).
SocketPairOutcome run_socket_pair(const WorkloadContext& ctx, const SocketPairSpec& spec);

}  // namespace benchlab::workloads
