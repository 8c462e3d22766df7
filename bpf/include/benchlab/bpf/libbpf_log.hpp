// libbpf's own log, routed through benchlab's: silent unless verbose, one prefix per line.
#pragma once

namespace benchlab::bpf {

void set_libbpf_verbose(bool verbose);

}  // namespace benchlab::bpf
