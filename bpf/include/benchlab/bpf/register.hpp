// Datapaths implemented by BPF programs in this folder.
#pragma once

#include "benchlab/core/registry.hpp"

namespace benchlab::bpf {

// Routes libbpf's log through benchlab's: silent unless verbose, one prefix per line.
void set_libbpf_verbose(bool verbose);

void register_bpf_datapaths(DatapathRegistry& reg);

}  // namespace benchlab::bpf
