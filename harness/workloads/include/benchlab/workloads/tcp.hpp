// TCP workloads: tcp_stream (bulk, libiperf), tcp_rr and tcp_crr (request/response, epoll).
#pragma once

#include "benchlab/core/registry.hpp"

namespace benchlab::workloads {

void register_tcp_stream(WorkloadRegistry& reg);   // tcp_stream.cpp
void register_tcp_rr(WorkloadRegistry& reg);       // tcp_rr.cpp: tcp_rr and tcp_crr

// The matrix axes every socket workload declares: message_size (B), flows, cpu_placement.
std::vector<AxisSpec> socket_axes();
// A cell of a socket workload with these axis values, as the validator makes it (values are not
// range-checked: tests use it to hand a workload a bad cell).
Cell socket_cell(const std::string& workload, int64_t message_size, int64_t flows,
                 const std::string& placement = "cross-core");

}  // namespace benchlab::workloads
