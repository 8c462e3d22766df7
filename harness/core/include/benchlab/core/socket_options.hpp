// Socket options more than one module sets, written once. Each returns 0 or -errno; callers
// decide whether a failure matters (a best-effort call on a socket the peer may already have
// reset, or an error that fails the run).
#pragma once

namespace benchlab {

// TCP_NODELAY: request/response workloads and the proxies send small writes at once.
int set_tcp_nodelay(int fd);

}  // namespace benchlab
