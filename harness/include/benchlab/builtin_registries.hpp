// The composition root's table: every built-in topology, datapath and workload. Each module
// contributes its rows through its own register_* function; `benchlab list`, the scenario
// validator and the runner all read this one table.
#pragma once

#include "benchlab/core/registry.hpp"

namespace benchlab {

const Registries& builtin_registries();

}  // namespace benchlab
