// Matrix axes and cells. Workloads, datapaths and topologies declare their axes (AxisSpec); a
// scenario's [matrix] lists values for them. A cell is one workload plus one value of each axis
// the workload and the topology declare; a datapath's own axes make variants of that datapath
// (see registry.hpp), not cells, so the baseline runs once per cell.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "benchlab/core/options.hpp"

namespace benchlab {

// One matrix axis, declared by the entry whose behaviour it changes.
struct AxisSpec {
  std::string name;            // the [matrix] key: "message_size"
  OptionType type;             // integer or string
  OptionValue default_value;   // the value when the scenario lists none
  std::string unit;            // of the value: "B", "flows", "" (for reports and plots)
  std::string doc;
  std::optional<double> min, max;      // integer
  std::vector<std::string> choices;    // string: the allowed values
  std::string label_suffix;    // how a value reads in a cell label: 1024 + "B" -> "1024B"
  size_t max_values = 64;      // how many values a scenario may list
};

// "1024B", "1flow", "same-core": one axis value as it reads in a label.
std::string axis_label(const AxisSpec& spec, const OptionValue& v);

struct AxisValue {
  std::string name;
  OptionValue value;
  bool operator==(const AxisValue&) const = default;
};

// A cell: the workload and one value per axis, in declaration order (the workload's axes, then
// the topology's). Its label ("tcp_rr/1024B/1flow/same-core") is fixed when it is made.
class Cell {
 public:
  Cell() = default;
  // Built from the specs, which give the label its form.
  Cell(std::string workload, const std::vector<std::pair<const AxisSpec*, OptionValue>>& values);
  // As read back from a report: the label as it was written.
  Cell(std::string workload, std::vector<AxisValue> axes, std::string label)
      : workload_(std::move(workload)), axes_(std::move(axes)), label_(std::move(label)) {}

  const std::string& workload() const { return workload_; }
  const std::vector<AxisValue>& axes() const { return axes_; }
  const std::string& label() const { return label_; }

  const OptionValue* find(const std::string& axis) const;   // nullptr: the cell has no such axis
  bool has(const std::string& axis) const { return find(axis) != nullptr; }
  // Typed access; throw std::out_of_range naming the axis when it is absent or of another type.
  int64_t integer(const std::string& axis) const;
  const std::string& string(const std::string& axis) const;

  bool operator==(const Cell& o) const { return label_ == o.label_ && axes_ == o.axes_; }

 private:
  std::string workload_;
  std::vector<AxisValue> axes_;
  std::string label_;
};

// CPU placement, the `cpu_placement` axis of the socket workloads.
enum class CpuPlacement { same_core, cross_core };
std::string to_string(CpuPlacement p);                 // "same-core" / "cross-core"
bool parse_cpu_placement(const std::string& s, CpuPlacement* out);
// The cell's placement: its cpu_placement axis, cross-core when it has none.
CpuPlacement placement_of(const Cell& c);

}  // namespace benchlab
