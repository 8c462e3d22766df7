// Conversions between Python objects and the plain data the C++ API speaks: JSON (reports,
// environment, declarations) and TOML text (a scenario given as a dict).
#pragma once

#include <string>

#include <nlohmann/json.hpp>
#include <pybind11/pybind11.h>

namespace benchlab::python {

// JSON as Python: objects become dicts, arrays lists, numbers int or float, null None.
pybind11::object to_python(const nlohmann::json& j);

// A scenario dict as TOML text the scenario parser reads: keys must be strings, values bool,
// int, float, str, list or dict. Anything else is a ScenarioError naming `name` and the dotted
// key, so a bad dict fails the way a bad file does.
std::string dict_to_toml(const pybind11::dict& d, const std::string& name);

}  // namespace benchlab::python
