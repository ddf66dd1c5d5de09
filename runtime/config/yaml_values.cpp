// How the deployment-file loader names YAML values in its messages (yaml_values.hpp).
#include "yaml_values.hpp"

#include <algorithm>

namespace plinth::config_yaml {

std::string shown(std::string_view text) {
    constexpr std::size_t limit = 60;
    std::string out = "\"";
    out += text.size() > limit ? std::string(text.substr(0, limit)) + "..." : std::string(text);
    return out + "\"";
}

bool is_decimal_integer(std::string_view s) {
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// YAML 1.2 core-schema floats: [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)?, .inf, .nan.
// Written out rather than as a std::regex, whose matcher recurses once per character.
bool is_float(std::string_view s) {
    if (s == ".nan" || s == ".NaN" || s == ".NAN") return true;
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
    if (s == ".inf" || s == ".Inf" || s == ".INF") return true;
    const auto digits = [&s] {
        std::size_t n = 0;
        while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
        s.remove_prefix(n);
        return n;
    };
    std::size_t mantissa = digits();
    if (!s.empty() && s.front() == '.') {
        s.remove_prefix(1);
        mantissa += digits();
    }
    if (mantissa == 0) return false;
    if (!s.empty() && (s.front() == 'e' || s.front() == 'E')) {
        s.remove_prefix(1);
        if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
        if (digits() == 0) return false;
    }
    return s.empty();
}

bool is_boolean(std::string_view s) {
    return s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE";
}

bool is_plain(const YAML::Node& node) { return node.Tag() != "!"; }

// "a string (\"abc\")", "an integer (5)", "a list", "a map", "null".
std::string describe(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Null: return "null";
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Map: return "a map";
        case YAML::NodeType::Scalar: {
            const std::string& s = node.Scalar();
            if (is_plain(node)) {
                if (is_decimal_integer(s)) return "an integer (" + std::string(s.substr(0, 60)) + ")";
                if (is_float(s)) return "a number (" + std::string(s.substr(0, 60)) + ")";
                if (is_boolean(s)) return "a boolean (" + s + ")";
            }
            return "a string (" + shown(s) + ")";
        }
        case YAML::NodeType::Undefined: break;
    }
    return "nothing";
}

std::string quoted_name(std::string_view name) { return "'" + std::string(name) + "'"; }

std::string join(const std::vector<std::string_view>& names) {
    std::string out;
    for (const auto& n : names) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    return out;
}

}  // namespace plinth::config_yaml
