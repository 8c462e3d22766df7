#include "benchlab/core/error.hpp"

#include <unistd.h>

#include <cstring>

namespace benchlab {

SystemError::SystemError(const std::string& what, int err)
    : Error(ExitCode::run_failure, what + ": " + std::strerror(err)), err_(err) {}

void require_root(const std::string& command) {
  if (geteuid() != 0)
    throw UnsupportedError(command + " needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_BPF) to build namespaces and attach BPF");
}

}  // namespace benchlab
