#pragma once
// JSON in and out: the render variables into template values, and Hugging Face's `tojson`
// (Python's json.dumps with ensure_ascii=False) back out.
#include "template_value.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace plinth::jinja {

value from_json(const nlohmann::ordered_json& j);

struct dump_options {
    std::optional<std::string> indent;  // per level; unset: one line
    std::string item_separator = ", ";
    std::string key_separator = ": ";
    bool sort_keys = false;
    bool ensure_ascii = false;  // HF's default; true writes non-ASCII as \uXXXX (surrogate pairs above U+FFFF)
};
// Throws failure for values JSON cannot hold (undefined, namespaces, functions).
std::string to_json(const value& v, const dump_options& options);

}  // namespace plinth::jinja
