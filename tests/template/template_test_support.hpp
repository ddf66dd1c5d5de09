#pragma once
// Shared by the template tests: render a source with variables given as JSON text, on the fixed
// clock the reference renderings used (2026-01-15 00:00:00).
#include <plinth/chat_template.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace plinth::test {

inline constexpr std::int64_t reference_time = 1768435200;  // 2026-01-15T00:00:00Z

inline std::string render(const std::string& source, const std::string& variables_json = "{}", render_options options = {}) {
    if (options.fixed_time < 0) options.fixed_time = reference_time;
    return chat_template::parse(source, "t").render(nlohmann::ordered_json::parse(variables_json), options);
}

// The message of the template_error rendering raises ("" when it renders).
inline std::string render_error(const std::string& source, const std::string& variables_json = "{}", render_options options = {}) {
    try {
        render(source, variables_json, options);
    } catch (const template_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace plinth::test
