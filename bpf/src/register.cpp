// The table of BPF datapaths: name, description, options with defaults, factory, probe.
#include "benchlab/bpf/register.hpp"

namespace benchlab::bpf {

void register_bpf_datapaths(DatapathRegistry& /*reg*/) {}

}  // namespace benchlab::bpf
