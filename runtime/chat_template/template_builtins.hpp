#pragma once
// What templates call by name: filters (`x | name`), tests (`x is name`), and the attributes,
// items and methods of values (`s.split()`, `d.items()`, `x[1:]`).
#include "template_value.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace plinth::jinja {

struct builtin_env {
    std::size_t max_size;  // the largest string or list a builtin may build
};

using filter_function = value (*)(const builtin_env& env, const value& input, const call_args& args);
using test_function = bool (*)(const value& input, const call_args& args);
filter_function find_filter(std::string_view name);  // nullptr when unknown
test_function find_test(std::string_view name);      // nullptr when unknown

// `obj.name`: attributes (methods) first, then items, as Jinja's getattr does.
value get_attribute(const builtin_env& env, const value& obj, const std::string& name);
// `obj[key]`: items first, then attributes.
value get_item(const builtin_env& env, const value& obj, const value& key);
// `obj[start:stop:step]` on strings (by code point) and lists.
value get_slice(const value& obj, std::optional<std::int64_t> start, std::optional<std::int64_t> stop, std::optional<std::int64_t> step);

// Python's str methods that filters share.
bool is_py_space(char32_t c);
char32_t lower_char(char32_t c);
char32_t upper_char(char32_t c);
std::string py_strip(const std::string& s, const value* chars, bool left, bool right);
std::string py_lower(const std::string& s);
std::string py_upper(const std::string& s);
std::string py_title(const std::string& s);
std::string py_capitalize(const std::string& s);
std::string py_replace(const builtin_env& env, const std::string& s, const std::string& from, const std::string& to, std::int64_t count);

}  // namespace plinth::jinja
