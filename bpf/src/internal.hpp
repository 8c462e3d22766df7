// Helpers shared by this folder's sources; not part of benchlab_bpf's public interface.
#pragma once

#include <string>

namespace benchlab::bpf {

// Installs benchlab's libbpf print callback (quiet unless set_libbpf_verbose(true)). Every
// entry point that opens a skeleton calls it, so libbpf never prints on its own.
void install_libbpf_log();

// "EPERM (Operation not permitted)" for a positive or negative errno.
std::string errno_text(int err);

}  // namespace benchlab::bpf
