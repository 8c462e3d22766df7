// What moves packet and BPF figures besides the hardware, for the report's context: the BPF JIT
// settings, CPU vulnerability mitigations, the preemption model, the clocksource, and every BPF
// program a run loaded (id, tag, JIT-ed length, verified instruction count).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace benchlab {

// {"bpf_jit": {...}, "mitigations": {...}, "preemption": {...}, "clocksources": "..."}: merged into
// the environment capture. Unreadable sources are recorded as "" (or left out), never an error.
nlohmann::json capture_kernel_context();

// The BPF programs a datapath loads, found without asking the datapath: the runner lists the
// host's program ids before a datapath attaches, and record() keeps the ids that appeared since
// and that this process holds (an fd of a program or of a link to it), so a program another
// process loads meanwhile is not counted. One entry per variant and distinct program (name,
// tag, lengths); `loads` counts how many runs loaded it, `id` is the first load's.
class LoadedPrograms {
 public:
  static std::set<uint32_t> host_ids();   // empty without the privilege to list them
  // Returns whether it found any.
  bool record(const std::string& variant, const std::set<uint32_t>& before);
  const nlohmann::json& to_json() const { return entries_; }

 private:
  nlohmann::json entries_ = nlohmann::json::array();
};

}  // namespace benchlab
