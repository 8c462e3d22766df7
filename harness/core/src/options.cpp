#include "benchlab/core/options.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

namespace benchlab {

const OptionValue& OptionValues::at(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::out_of_range("option '" + name + "' is not declared");
  return it->second;
}

bool OptionValues::get_bool(const std::string& name) const { return std::get<bool>(at(name)); }
int64_t OptionValues::get_int(const std::string& name) const { return std::get<int64_t>(at(name)); }
double OptionValues::get_number(const std::string& name) const {
  const auto& v = at(name);
  if (auto* i = std::get_if<int64_t>(&v)) return double(*i);
  return std::get<double>(v);
}
const std::string& OptionValues::get_string(const std::string& name) const {
  return std::get<std::string>(at(name));
}

OptionValues OptionValues::defaults(const std::vector<OptionSpec>& specs) {
  OptionValues v;
  for (const auto& s : specs) v.set(s.name, s.default_value);
  return v;
}

std::string to_string(OptionType t) {
  switch (t) {
    case OptionType::boolean: return "boolean";
    case OptionType::integer: return "integer";
    case OptionType::number: return "number";
    case OptionType::string: return "string";
  }
  return "?";
}

std::string to_string(const OptionValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::string>) return "\"" + x + "\"";
        else return fmt::format("{}", x);
      },
      v);
}

nlohmann::json to_json(const OptionValue& v) {
  return std::visit([](const auto& x) { return nlohmann::json(x); }, v);
}

nlohmann::json to_json(const OptionValues& v) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& kv : v.all()) j[kv.first] = to_json(kv.second);
  return j;
}

}  // namespace benchlab
