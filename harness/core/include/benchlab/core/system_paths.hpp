// Where the system keeps what benchlab creates under benchlab's own names: cgroups for socket
// datapaths, bpffs pins. One definition for every module that creates or cleans them up.
#pragma once

namespace benchlab {

inline constexpr const char* kCgroupRoot = "/sys/fs/cgroup/unified";   // cgroup v2
inline constexpr const char* kBpffsRoot = "/sys/fs/bpf";

}  // namespace benchlab
