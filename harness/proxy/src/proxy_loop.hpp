// The proxy's own process: what runs inside the ChildProcess a TcpProxy starts. Not part of
// benchlab_proxy's public interface.
#pragma once

#include <sys/socket.h>

#include <cstdint>

#include "benchlab/proxy/mover.hpp"

namespace benchlab {
class ChildChannel;
}

namespace benchlab::proxy {

struct ProxyLoopConfig {
  sockaddr_storage listen{};
  socklen_t listen_len = 0;
  sockaddr_storage upstream{};
  socklen_t upstream_len = 0;
  uint32_t max_connections = 4096;
  int timeout_ms = 2000;           // upstream connect
  double max_lifetime_s = 3600;
  ProxyCounters* counters = nullptr;
};

// Binds and listens, calls ch.ready(), then forwards with `pump` until max_lifetime_s has
// passed (the parent normally kills it long before). Throws RunError/SystemError on set-up
// failures.
void run_proxy(const ProxyLoopConfig& cfg, Pump& pump, ChildChannel& ch);

}  // namespace benchlab::proxy
