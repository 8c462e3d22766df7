// The movers whose bytes pass through the proxy process: proxy-copy (read()/write() through a
// buffer per direction) and proxy-splice (splice(2) socket → pipe → socket, the bytes never in
// user memory). Both prove themselves by the bytes they forwarded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "benchlab/proxy/mover.hpp"

namespace benchlab::proxy {

std::unique_ptr<Mover> make_copy_mover(std::string name, uint32_t buffer_bytes);
std::unique_ptr<Mover> make_splice_mover(std::string name, uint32_t pipe_bytes);

// user space forwarded ≥ 99% of the received bytes (forwarded_bytes).
CarryProof forwarding_proof();

// One direction moved by recv() into a buffer and send() out of it (partial writes kept). The
// copy mover's direction, and the fallback of the kernel movers, which read what a verdict
// missed and see the source's EOF through it (eof_is_final).
class CopyDirection : public Direction {
 public:
  CopyDirection(int src, int dst, bool c2s, ProxyCounters& counters, size_t buffer_bytes)
      : Direction(src, dst, c2s), buf_(buffer_bytes), counters_(counters) {}
  int move() override { return rounds([this] { return copy_once(); }); }
  bool pending_out() const override { return tail_ > head_; }
  bool has_room() const override { return tail_ < buf_.size(); }

 protected:
  // Called when recv() returns 0: whether that is the source's real EOF. A kernel mover first
  // makes sure it has read every byte its verdict left on the socket; false: try again later.
  virtual bool eof_is_final() { return true; }
  uint64_t user_read() const { return user_read_; }         // bytes recv()'d from src
  uint64_t user_written() const { return user_written_; }   // bytes send()'d to dst

 private:
  int copy_once();   // -1 error, 1 progress, 0 would block
  std::vector<char> buf_;
  size_t head_ = 0, tail_ = 0;
  uint64_t user_read_ = 0, user_written_ = 0;
  ProxyCounters& counters_;
};

}  // namespace benchlab::proxy
