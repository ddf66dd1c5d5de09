#pragma once
// How the deployment-file loader names YAML values in its messages, and what a plain scalar looks
// like (YAML 1.2 core schema): "an integer (5)", "a string (\"abc\")", ...
#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

namespace plinth::config_yaml {

std::string shown(std::string_view text);  // quoted, cut at 60 characters
bool is_decimal_integer(std::string_view s);
bool is_float(std::string_view s);
bool is_boolean(std::string_view s);
bool is_plain(const YAML::Node& node);  // not quoted or tagged '!'
// "a string (\"abc\")", "an integer (5)", "a list", "a map", "null".
std::string describe(const YAML::Node& node);
std::string quoted_name(std::string_view name);            // 'name'
std::string join(const std::vector<std::string_view>& names);  // "a, b, c"

}  // namespace plinth::config_yaml
