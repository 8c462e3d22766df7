// Typed options that registry entries (topologies, datapaths, workloads) declare, with their
// defaults and ranges. The scenario validator checks user tables against these declarations,
// and `benchlab list` prints them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace benchlab {

using OptionValue = std::variant<bool, int64_t, double, std::string>;

enum class OptionType { boolean, integer, number, string };

struct OptionSpec {
  std::string name;
  OptionType type;
  OptionValue default_value;
  std::string doc;
  std::optional<double> min;            // integer / number
  std::optional<double> max;
  std::vector<std::string> choices;     // string: allowed values (empty = any)
};

// The resolved options of one registry entry: defaults overlaid with the scenario's values.
class OptionValues {
 public:
  OptionValues() = default;
  void set(const std::string& name, OptionValue v) { values_[name] = std::move(v); }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  bool get_bool(const std::string& name) const;
  int64_t get_int(const std::string& name) const;
  double get_number(const std::string& name) const;   // integers widen
  const std::string& get_string(const std::string& name) const;
  const std::map<std::string, OptionValue>& all() const { return values_; }

  // Defaults of every spec, for entries the scenario did not configure.
  static OptionValues defaults(const std::vector<OptionSpec>& specs);

 private:
  const OptionValue& at(const std::string& name) const;
  std::map<std::string, OptionValue> values_;
};

std::string to_string(OptionType t);
std::string to_string(const OptionValue& v);
// As JSON, for reports: a boolean, number or string; an object of those for OptionValues.
nlohmann::json to_json(const OptionValue& v);
nlohmann::json to_json(const OptionValues& v);

}  // namespace benchlab
