// TCP workloads: tcp_stream (bulk, libiperf), tcp_rr and tcp_crr (request/response, epoll).
#pragma once

#include "benchlab/core/registry.hpp"

namespace benchlab::workloads {

void register_tcp_stream(WorkloadRegistry& reg);   // tcp_stream.cpp
void register_tcp_rr(WorkloadRegistry& reg);       // tcp_rr.cpp: tcp_rr and tcp_crr

}  // namespace benchlab::workloads
