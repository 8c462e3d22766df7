#include "convert.hpp"

#include <sstream>

#include <toml++/toml.h>

#include "benchlab/core/error.hpp"

namespace py = pybind11;

namespace benchlab::python {

py::object to_python(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return py::none();
    case nlohmann::json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return py::int_(j.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return py::int_(j.get<uint64_t>());
    case nlohmann::json::value_t::number_float:
      return py::float_(j.get<double>());
    case nlohmann::json::value_t::string:
      return py::str(j.get_ref<const std::string&>());
    case nlohmann::json::value_t::binary:
      return py::bytes(std::string(j.get_binary().begin(), j.get_binary().end()));
    case nlohmann::json::value_t::array: {
      py::list l;
      for (const auto& x : j) l.append(to_python(x));
      return l;
    }
    case nlohmann::json::value_t::object: {
      py::dict d;
      for (auto it = j.begin(); it != j.end(); ++it) d[py::str(it.key())] = to_python(it.value());
      return d;
    }
  }
  return py::none();
}

namespace {

[[noreturn]] void bad(const std::string& name, const std::string& key, const std::string& why) {
  throw ScenarioError(name, 0, key, why);
}

std::string type_name(const py::handle& v) { return py::str(py::type::handle_of(v).attr("__name__")); }

toml::table to_table(const py::dict& d, const std::string& name, const std::string& prefix);

// Where one converted value goes: a table under a key, or the end of an array. An interface, not
// a template parameter: emit() recurses into lists, and a lambda type per level would make the
// compiler instantiate it without end.
struct Sink {
  virtual ~Sink() = default;
  virtual void put(bool v) = 0;
  virtual void put(int64_t v) = 0;
  virtual void put(double v) = 0;
  virtual void put(std::string v) = 0;
  virtual void put(toml::table v) = 0;
  virtual void put(toml::array v) = 0;
};
template <class F>
struct SinkOf final : Sink {
  explicit SinkOf(F f) : f_(std::move(f)) {}
  void put(bool v) override { f_(v); }
  void put(int64_t v) override { f_(v); }
  void put(double v) override { f_(v); }
  void put(std::string v) override { f_(std::move(v)); }
  void put(toml::table v) override { f_(std::move(v)); }
  void put(toml::array v) override { f_(std::move(v)); }
  F f_;
};

// Hands one Python value, as its TOML type, to `sink`; `key` is its dotted path for errors.
void emit(const py::handle& v, const std::string& name, const std::string& key, Sink& sink) {
  // bool before int: Python's bool is an int.
  if (py::isinstance<py::bool_>(v)) return sink.put(v.cast<bool>());
  if (py::isinstance<py::int_>(v)) {
    int64_t i = 0;
    try {
      i = v.cast<int64_t>();
    } catch (const py::cast_error&) {
      bad(name, key, "integer out of range (64-bit)");
    }
    return sink.put(i);
  }
  if (py::isinstance<py::float_>(v)) return sink.put(v.cast<double>());
  if (py::isinstance<py::str>(v)) return sink.put(v.cast<std::string>());
  if (py::isinstance<py::dict>(v)) return sink.put(to_table(v.cast<py::dict>(), name, key));
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    toml::array a;
    SinkOf append([&](auto&& e) { a.push_back(std::move(e)); });
    size_t i = 0;
    for (const py::handle& x : v) emit(x, name, key + "[" + std::to_string(i++) + "]", append);
    return sink.put(std::move(a));
  }
  bad(name, key, "a " + type_name(v) + " is not a scenario value (bool, int, float, str, list or dict)");
}

toml::table to_table(const py::dict& d, const std::string& name, const std::string& prefix) {
  toml::table t;
  for (const auto& [k, v] : d) {
    if (!py::isinstance<py::str>(k))
      bad(name, prefix, "keys must be strings, not " + type_name(k) + " (" + std::string(py::repr(k)) + ")");
    const std::string key = k.cast<std::string>();
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    SinkOf insert([&](auto&& e) { t.insert_or_assign(key, std::move(e)); });
    emit(v, name, path, insert);
  }
  return t;
}

}  // namespace

std::string dict_to_toml(const py::dict& d, const std::string& name) {
  std::ostringstream out;
  out << to_table(d, name, "");
  out << "\n";
  return out.str();
}

}  // namespace benchlab::python
