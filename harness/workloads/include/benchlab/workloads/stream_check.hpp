// A verified bulk transfer: the payload check for stream workloads whose load generator does
// not look at what it receives (libiperf reads into a buffer and discards it).
//
// After the measured load, the same cell sends a bounded amount of data again through the same
// topology, datapath (its cgroup, readiness barrier and client target, so a proxy or sockmap
// carries it exactly as it carried the load), CPUs, message size and number of flows, and the
// receiver checks every byte and the byte count of every flow. The stream is position
// dependent (each 8-byte word is a hash of the flow's seed and the word's index), so lost,
// duplicated, reordered or corrupted bytes all show, whatever their size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "benchlab/core/workload.hpp"

namespace benchlab::workloads {

struct StreamCheckResult {
  uint64_t bytes = 0;            // payload bytes the receiver checked, all flows
  uint64_t bad_reads = 0;        // reads whose bytes differed from the expected stream
  double seconds = 0;            // first connect to the last byte checked
  std::string first_mismatch;    // where the first difference was, or ""
  std::string failure;           // why the check could not finish ("" if it did), one line
};

// Sends bytes_per_flow on each of ctx.cell.flows connections to `port` on the server endpoint
// (through ctx.datapath.client_target), writes of ctx.cell.message_size bytes, and checks them
// at the receiver. Bounded by timeout_s. A flow that ends short, sends more, or does not finish in
// time, or an end that fails, is the result's `failure` (with the counts so far); corrupted bytes
// are counted in bad_reads. The caller fails the run on either.
StreamCheckResult run_stream_check(const WorkloadContext& ctx, uint16_t port, uint64_t bytes_per_flow,
                                   double timeout_s);

// The expected stream, exposed for tests: bytes [offset, offset + n) of flow `seed`.
void stream_fill(uint64_t seed, uint64_t offset, uint8_t* dst, size_t n);

}  // namespace benchlab::workloads
