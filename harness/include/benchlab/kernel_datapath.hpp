#pragma once
#include "benchlab/core/registry.hpp"

namespace benchlab {
// The plain kernel stack: attaches nothing. Always measured; every ratio is against it.
void register_kernel_datapath(DatapathRegistry& reg);
}  // namespace benchlab
