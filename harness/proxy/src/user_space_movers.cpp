// proxy-copy and proxy-splice: the movers whose bytes the proxy process moves itself.
//   copy    recv() into a per-direction buffer, send() out of it (partial writes kept)
//   splice  splice() socket → pipe → socket, SPLICE_F_MOVE | SPLICE_F_NONBLOCK
#include "benchlab/proxy/user_space_movers.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace benchlab::proxy {

namespace {

void count(ProxyCounters& c, bool c2s, uint64_t n, bool through_user_memory) {
  (c2s ? c.c2s_bytes : c.s2c_bytes).fetch_add(n, std::memory_order_relaxed);
  if (through_user_memory) c.user_copied_bytes.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace

int CopyDirection::copy_once() {
  bool progress = false;
  if (!src_eof && tail_ < buf_.size()) {
    ssize_t n = ::recv(src, buf_.data() + tail_, buf_.size() - tail_, MSG_DONTWAIT);
    if (n > 0) {
      tail_ += size_t(n);
      user_read_ += uint64_t(n);
      progress = true;
    } else if (n == 0) {
      if (!eof_is_final()) return 0;
      src_eof = true;
      progress = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return -1;
    }
  }
  if (tail_ > head_) {
    ssize_t n = ::send(dst, buf_.data() + head_, tail_ - head_, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      head_ += size_t(n);
      user_written_ += uint64_t(n);
      count(counters_, c2s, uint64_t(n), true);
      if (head_ == tail_) head_ = tail_ = 0;
      progress = true;
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return -1;
    }
  }
  return progress ? 1 : 0;
}

namespace {

// One direction through its own pipe: the bytes never enter user memory.
class SpliceDirection final : public Direction {
 public:
  SpliceDirection(int src, int dst, bool c2s, ProxyCounters& counters, uint32_t pipe_bytes, int pipe_r, int pipe_w)
      : Direction(src, dst, c2s), counters_(counters), cap_(pipe_bytes), pipe_r_(pipe_r), pipe_w_(pipe_w) {}
  ~SpliceDirection() override {
    ::close(pipe_r_);
    ::close(pipe_w_);
  }
  int move() override { return rounds([this] { return splice_once(); }); }
  bool pending_out() const override { return in_pipe_ > 0; }
  bool has_room() const override { return in_pipe_ < cap_; }

 private:
  int splice_once() {
    bool progress = false;
    const unsigned flags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
    if (!src_eof && in_pipe_ < cap_) {
      ssize_t n = ::splice(src, nullptr, pipe_w_, nullptr, cap_ - in_pipe_, flags);
      if (n > 0) {
        in_pipe_ += size_t(n);
        progress = true;
      } else if (n == 0) {
        src_eof = true;
        progress = true;
      } else if (errno != EAGAIN && errno != EINTR) {
        return -1;
      }
    }
    if (in_pipe_ > 0) {
      ssize_t n = ::splice(pipe_r_, nullptr, dst, nullptr, in_pipe_, flags);
      if (n > 0) {
        in_pipe_ -= size_t(n);
        count(counters_, c2s, uint64_t(n), false);
        progress = true;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return -1;
      }
    }
    return progress ? 1 : 0;
  }

  ProxyCounters& counters_;
  const uint32_t cap_;
  const int pipe_r_, pipe_w_;
  size_t in_pipe_ = 0;
};

class CopyPump final : public Pump {
 public:
  CopyPump(ProxyCounters& counters, uint32_t buffer_bytes) : counters_(counters), buffer_bytes_(buffer_bytes) {}
  std::unique_ptr<Direction> direction(int src, int dst, bool c2s) override {
    return std::make_unique<CopyDirection>(src, dst, c2s, counters_, buffer_bytes_);
  }

 private:
  ProxyCounters& counters_;
  const uint32_t buffer_bytes_;
};

class SplicePump final : public Pump {
 public:
  SplicePump(ProxyCounters& counters, uint32_t pipe_bytes) : counters_(counters), pipe_bytes_(pipe_bytes) {}
  std::unique_ptr<Direction> direction(int src, int dst, bool c2s) override {
    int p[2];
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) return nullptr;
    fcntl(p[1], F_SETPIPE_SZ, int(pipe_bytes_));   // best effort (pipe-max-size)
    return std::make_unique<SpliceDirection>(src, dst, c2s, counters_, pipe_bytes_, p[0], p[1]);
  }

 private:
  ProxyCounters& counters_;
  const uint32_t pipe_bytes_;
};

// A user-space mover: nothing attached, nothing of its own to count; proves itself by the bytes
// it forwarded.
template <class P>
class UserSpaceMover final : public Mover {
 public:
  UserSpaceMover(std::string name, uint32_t bytes) : Mover(std::move(name)), bytes_(bytes) {}
  std::unique_ptr<Pump> make_pump(const PumpContext& ctx) const override {
    return std::make_unique<P>(*ctx.counters, bytes_);
  }
  CarryProof proof() const override { return forwarding_proof(); }

 private:
  const uint32_t bytes_;   // buffer or pipe size per direction
};

}  // namespace

CarryProof forwarding_proof() {
  return {.carried_counter = "forwarded_bytes",
          .carried_by = "the proxy forwarded",
          .details = {"c2s_bytes", "s2c_bytes", "user_copied_bytes"}};
}

std::unique_ptr<Mover> make_copy_mover(std::string name, uint32_t buffer_bytes) {
  return std::make_unique<UserSpaceMover<CopyPump>>(std::move(name), buffer_bytes);
}

std::unique_ptr<Mover> make_splice_mover(std::string name, uint32_t pipe_bytes) {
  return std::make_unique<UserSpaceMover<SplicePump>>(std::move(name), pipe_bytes);
}

}  // namespace benchlab::proxy
