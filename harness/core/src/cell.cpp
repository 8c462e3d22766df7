#include "benchlab/core/cell.hpp"

#include <fmt/format.h>

namespace benchlab {

std::string to_string(CpuPlacement p) {
  return p == CpuPlacement::same_core ? "same-core" : "cross-core";
}

bool parse_cpu_placement(const std::string& s, CpuPlacement* out) {
  if (s == "same-core") *out = CpuPlacement::same_core;
  else if (s == "cross-core") *out = CpuPlacement::cross_core;
  else return false;
  return true;
}

std::string Cell::label() const {
  return fmt::format("{}/{}B/{}flow/{}", workload, message_size, flows, to_string(placement));
}

CpuAssignment assign_cpus(CpuPlacement p, int online_cpus) {
  // CPU 0 takes most interrupt and housekeeping work on small VMs, so the measured pair uses
  // the last CPUs: same-core puts both ends on the last one, cross-core on the last two.
  CpuAssignment a;
  if (online_cpus <= 0) return a;
  int last = online_cpus - 1;
  if (p == CpuPlacement::same_core || online_cpus == 1) {
    a.client_cpu = a.server_cpu = last;
  } else {
    a.server_cpu = last;
    a.client_cpu = last - 1;
  }
  return a;
}

}  // namespace benchlab
