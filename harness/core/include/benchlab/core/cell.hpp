// One cell of a scenario's parameter matrix.
#pragma once

#include <cstdint>
#include <string>

namespace benchlab {

enum class CpuPlacement { same_core, cross_core };

std::string to_string(CpuPlacement p);                 // "same-core" / "cross-core"
bool parse_cpu_placement(const std::string& s, CpuPlacement* out);

struct Cell {
  uint32_t message_size = 1024;   // bytes per message (stream) or per request/response (rr)
  uint32_t flows = 1;             // parallel connections / streams
  CpuPlacement placement = CpuPlacement::cross_core;
  std::string workload;           // registry name of the workload run in this cell

  std::string label() const;      // "tcp_rr/1024B/1flow/same-core"
};

// CPUs assigned to the two ends of a cell. Same-core puts both on one CPU.
struct CpuAssignment {
  int client_cpu = -1;   // -1: not pinned
  int server_cpu = -1;
};
CpuAssignment assign_cpus(CpuPlacement p, int online_cpus);

}  // namespace benchlab
