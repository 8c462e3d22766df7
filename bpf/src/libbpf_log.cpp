// libbpf prints through a process-wide callback. We install ours once and decide per call, so
// flipping --verbose later takes effect without re-registering.
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <algorithm>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "benchlab/bpf/libbpf_log.hpp"

namespace benchlab::bpf {
namespace {

std::atomic<bool> g_verbose{false};

int print_fn(enum libbpf_print_level level, const char* fmt, va_list args) {
  // Debug-level output is the verifier log and per-relocation chatter: only when verbose.
  if (!g_verbose.load(std::memory_order_relaxed)) return 0;
  (void)level;
  // One write per line keeps lines whole when several threads log at once.
  // libbpf's own messages already start with "libbpf: "; the verifier log spans many lines.
  // Give every line exactly one prefix.
  char buf[8192];
  int n = vsnprintf(buf, sizeof buf, fmt, args);
  if (n < 0) return n;
  std::string out;
  std::string_view rest(buf, std::min<size_t>(size_t(n), sizeof buf - 1));
  constexpr std::string_view kPrefix = "libbpf: ";
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl == std::string_view::npos ? rest.size() : nl + 1);
    rest.remove_prefix(line.size());
    if (line.substr(0, kPrefix.size()) != kPrefix) out += kPrefix;
    out += line;
  }
  if (!out.empty() && out.back() != '\n') out += '\n';
  std::fputs(out.c_str(), stderr);
  return n;
}

// libxdp logs through its own callback (its dispatcher fallback on kernels where the
// dispatcher cannot load warns on every attach); same policy, same prefix rules.
int libxdp_print_fn(enum libxdp_print_level level, const char* fmt, va_list args) {
  return print_fn(static_cast<libbpf_print_level>(level), fmt, args);
}

}  // namespace

void install_libbpf_log() {
  static std::once_flag once;
  std::call_once(once, [] {
    libbpf_set_print(print_fn);
    libxdp_set_print(libxdp_print_fn);
  });
}

void set_libbpf_verbose(bool verbose) {
  install_libbpf_log();
  g_verbose.store(verbose, std::memory_order_relaxed);
}

}  // namespace benchlab::bpf
