// libFuzzer target: any byte string through the scenario parser and validator. The only
// acceptable failure is a ScenarioError; any other exception, a crash, a sanitizer report, a
// hang or a leak is a finding. Leading lines "#--set key=value" are also applied as --set
// overrides (they stay comments in the text), so the override path is fuzzed too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "benchlab/core/error.hpp"
#include "benchlab/builtin_registries.hpp"
#include "benchlab/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> overrides;
  for (size_t pos = 0; text.compare(pos, 7, "#--set ") == 0 && overrides.size() < 8;) {
    size_t eol = text.find('\n', pos);
    overrides.push_back(text.substr(pos + 7, eol == std::string::npos ? std::string::npos : eol - pos - 7));
    if (eol == std::string::npos) break;
    pos = eol + 1;
  }
  try {
    benchlab::ScenarioSpec s = benchlab::parse_scenario(text, "fuzz.toml", benchlab::builtin_registries(), overrides);
    // A spec that validates must describe a bounded run.
    if (s.cells().empty() || s.datapaths.empty() || s.datapaths.front() != "kernel" ||
        s.estimated_seconds() > s.limits.max_total_s)
      __builtin_trap();
  } catch (const benchlab::ScenarioError&) {
  }
  return 0;
}
