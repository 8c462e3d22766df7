#include "benchlab/core/cell.hpp"

#include <stdexcept>


namespace benchlab {

std::string axis_label(const AxisSpec& spec, const OptionValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s + spec.label_suffix;   // unquoted
  return to_string(v) + spec.label_suffix;
}

Cell::Cell(std::string workload, const std::vector<std::pair<const AxisSpec*, OptionValue>>& values)
    : workload_(std::move(workload)), label_(workload_) {
  for (const auto& [spec, v] : values) {
    axes_.push_back({spec->name, v});
    label_ += "/" + axis_label(*spec, v);
  }
}

const OptionValue* Cell::find(const std::string& axis) const {
  for (const AxisValue& a : axes_)
    if (a.name == axis) return &a.value;
  return nullptr;
}

int64_t Cell::integer(const std::string& axis) const {
  const OptionValue* v = find(axis);
  if (!v || !std::holds_alternative<int64_t>(*v))
    throw std::out_of_range("cell " + label_ + " has no integer axis '" + axis + "'");
  return std::get<int64_t>(*v);
}

const std::string& Cell::string(const std::string& axis) const {
  const OptionValue* v = find(axis);
  if (!v || !std::holds_alternative<std::string>(*v))
    throw std::out_of_range("cell " + label_ + " has no string axis '" + axis + "'");
  return std::get<std::string>(*v);
}

std::string to_string(CpuPlacement p) { return p == CpuPlacement::same_core ? "same-core" : "cross-core"; }

bool parse_cpu_placement(const std::string& s, CpuPlacement* out) {
  if (s == "same-core") *out = CpuPlacement::same_core;
  else if (s == "cross-core") *out = CpuPlacement::cross_core;
  else return false;
  return true;
}

CpuPlacement placement_of(const Cell& c) {
  CpuPlacement p = CpuPlacement::cross_core;
  if (const OptionValue* v = c.find("cpu_placement"); v && std::holds_alternative<std::string>(*v))
    parse_cpu_placement(std::get<std::string>(*v), &p);
  return p;
}

}  // namespace benchlab
