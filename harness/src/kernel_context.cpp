#include "benchlab/kernel_context.hpp"

#include <dirent.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace benchlab {
namespace {

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  if (!in || !std::getline(in, s)) return {};
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.pop_back();
  return s;
}

std::vector<std::string> cmdline_tokens() {
  std::ifstream in("/proc/cmdline");
  std::vector<std::string> out;
  for (std::string t; in >> t;) {
    if (t == "--") break;   // what follows belongs to init
    out.push_back(t);
  }
  return out;
}

// CONFIG_PREEMPT* lines of the running kernel's config (/proc/config.gz), "" when unavailable.
std::vector<std::string> preempt_config() {
  std::vector<std::string> out;
  gzFile f = gzopen("/proc/config.gz", "rb");
  if (!f) return out;
  char buf[512];
  while (gzgets(f, buf, sizeof buf)) {
    std::string line(buf);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    if (line.rfind("CONFIG_PREEMPT", 0) == 0 && line.find('=') != std::string::npos) out.push_back(line);
  }
  gzclose(f);
  return out;
}

// The preemption model in force: the debugfs knob when mounted (PREEMPT_DYNAMIC kernels mark
// the active one "(full)"), else the preempt= boot parameter, else the kernel config's default.
nlohmann::json preemption() {
  nlohmann::json j;
  utsname u{};
  uname(&u);
  j["uname_version"] = u.version;
  std::string model, source;
  if (std::string s = read_line("/sys/kernel/debug/sched/preempt"); !s.empty()) {
    auto a = s.find('('), b = s.find(')');
    if (a != std::string::npos && b > a) model = s.substr(a + 1, b - a - 1), source = "/sys/kernel/debug/sched/preempt";
  }
  for (const auto& t : cmdline_tokens())
    if (model.empty() && t.rfind("preempt=", 0) == 0) model = t.substr(8), source = "boot parameter preempt=";
  const auto config = preempt_config();
  if (!config.empty()) j["config"] = config;
  if (model.empty()) {
    // The default of a dynamic kernel, or the one model a static kernel was built with.
    for (const char* c : {"CONFIG_PREEMPT_RT=y", "CONFIG_PREEMPT_LAZY=y", "CONFIG_PREEMPT=y", "CONFIG_PREEMPT_VOLUNTARY=y",
                          "CONFIG_PREEMPT_NONE=y"})
      if (std::find(config.begin(), config.end(), std::string(c)) != config.end()) {
        std::string m = std::string(c).substr(15);
        m = m.substr(0, m.size() - 2);
        for (auto& ch : m) ch = char(std::tolower(ch));
        model = m == "preempt" ? "full" : m.empty() ? "full" : m;
        source = "kernel config default (/proc/config.gz)";
        break;
      }
  }
  if (model.empty()) {
    const std::string v = u.version;
    model = v.find("PREEMPT_RT") != std::string::npos ? "rt"
            : v.find("PREEMPT_DYNAMIC") != std::string::npos ? "dynamic (mode not readable)"
            : v.find("PREEMPT") != std::string::npos ? "full"
                                                      : "none or voluntary";
    source = "uname -v";
  }
  j["model"] = model;
  j["source"] = source;
  return j;
}

nlohmann::json mitigations() {
  nlohmann::json j;
  nlohmann::json boot = nlohmann::json::object();
  for (const auto& t : cmdline_tokens())
    for (const char* k : {"mitigations=", "pti=", "spectre_v2=", "spec_store_bypass_disable=", "retbleed=",
                          "nospectre_v1", "nospectre_v2", "nopti", "mds=", "l1tf=", "tsx="})
      if (t.rfind(k, 0) == 0) {
        auto eq = t.find('=');
        boot[eq == std::string::npos ? t : t.substr(0, eq)] = eq == std::string::npos ? "" : t.substr(eq + 1);
      }
  j["boot_parameters"] = boot;
  nlohmann::json vulns = nlohmann::json::object();
  const std::string dir = "/sys/devices/system/cpu/vulnerabilities";
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') vulns[e->d_name] = read_line(dir + "/" + e->d_name);
    closedir(d);
  }
  j["vulnerabilities"] = vulns;   // nlohmann::json keeps keys sorted
  return j;
}

// The program ids of every bpf-prog and bpf-link fd of this process ("prog_id:" in its fdinfo).
std::set<uint32_t> held_program_ids() {
  std::set<uint32_t> ids;
  DIR* d = opendir("/proc/self/fdinfo");
  if (!d) return ids;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(std::string("/proc/self/fdinfo/") + e->d_name);
    for (std::string line; std::getline(in, line);)
      if (line.rfind("prog_id:", 0) == 0) ids.insert(uint32_t(std::strtoul(line.c_str() + 8, nullptr, 10)));
  }
  closedir(d);
  return ids;
}

}  // namespace

nlohmann::json capture_kernel_context() {
  nlohmann::json j;
  j["bpf_jit"] = {{"enable", read_line("/proc/sys/net/core/bpf_jit_enable")},
                  {"harden", read_line("/proc/sys/net/core/bpf_jit_harden")},
                  {"kallsyms", read_line("/proc/sys/net/core/bpf_jit_kallsyms")},
                  {"limit", read_line("/proc/sys/net/core/bpf_jit_limit")},
                  {"bpf_stats_enabled", read_line("/proc/sys/kernel/bpf_stats_enabled")}};
  j["mitigations"] = mitigations();
  j["preemption"] = preemption();
  j["clocksources_available"] = read_line("/sys/devices/system/clocksource/clocksource0/available_clocksource");
  return j;
}

std::set<uint32_t> LoadedPrograms::host_ids() {
  std::set<uint32_t> ids;
  uint32_t id = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) ids.insert(id);
  return ids;
}

bool LoadedPrograms::record(const std::string& variant, const std::set<uint32_t>& before) {
  const std::set<uint32_t> held = held_program_ids();
  bool found = false;
  for (uint32_t id : host_ids()) {
    if (before.count(id) || !held.count(id)) continue;
    const int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;   // gone already
    bpf_prog_info info{};
    uint32_t len = sizeof info;
    const int rc = bpf_obj_get_info_by_fd(fd, &info, &len);
    ::close(fd);
    if (rc != 0) continue;
    std::string tag;
    for (uint8_t b : info.tag) tag += fmt::format("{:02x}", b);
    const char* type = libbpf_bpf_prog_type_str(bpf_prog_type(info.type));
    nlohmann::json e = {{"variant", variant},
                        {"name", std::string(info.name)},
                        {"type", type ? type : std::to_string(info.type)},
                        {"id", info.id},
                        {"tag", tag},
                        {"jited_bytes", info.jited_prog_len},
                        {"xlated_bytes", info.xlated_prog_len},
                        {"verified_insns", info.verified_insns},
                        {"loads", 1}};
    bool seen = false;
    for (auto& x : entries_)
      if (x["variant"] == e["variant"] && x["name"] == e["name"] && x["tag"] == e["tag"] &&
          x["jited_bytes"] == e["jited_bytes"] && x["verified_insns"] == e["verified_insns"]) {
        x["loads"] = x["loads"].get<int>() + 1;
        seen = true;
        break;
      }
    if (!seen) entries_.push_back(std::move(e));
    found = true;
  }
  return found;
}

}  // namespace benchlab
