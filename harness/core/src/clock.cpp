#include "benchlab/core/clock.hpp"

#include <time.h>

#include <cerrno>
#include <ctime>

namespace benchlab {

double mono_now_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

void sleep_until_mono(double t_s) {
  timespec ts;
  ts.tv_sec = time_t(t_s);
  ts.tv_nsec = long((t_s - double(ts.tv_sec)) * 1e9);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

double unix_now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

namespace {
std::string format_now(const char* fmt, bool utc) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  if (utc) gmtime_r(&t, &tm);
  else localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}
}  // namespace

std::string utc_now_iso() { return format_now("%Y-%m-%dT%H:%M:%SZ", true); }
std::string local_timestamp() { return format_now("%Y%m%d-%H%M%S", false); }

}  // namespace benchlab
