// Time, in the few forms benchlab uses: CLOCK_MONOTONIC seconds for measuring (comparable
// across processes), wall-clock seconds and ISO 8601 for reports, a local stamp for file names.
#pragma once

#include <chrono>
#include <string>

namespace benchlab {

using Clock = std::chrono::steady_clock;

// CLOCK_MONOTONIC in seconds; comparable across processes.
double mono_now_s();
// Sleeps until the CLOCK_MONOTONIC instant t_s.
void sleep_until_mono(double t_s);
// Seconds since the Unix epoch (system clock).
double unix_now_s();
// "2026-12-02T01:42:36Z".
std::string utc_now_iso();
// "20261202-014236", local time: part of report file names.
std::string local_timestamp();

}  // namespace benchlab
