// The BPF datapaths' rows of the registry table (see src/register.cpp).
#pragma once

#include "benchlab/core/registry.hpp"

namespace benchlab::bpf {

void register_bpf_datapaths(DatapathRegistry& reg);

}  // namespace benchlab::bpf
