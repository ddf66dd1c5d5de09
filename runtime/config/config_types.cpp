// The small methods of the settings types: diagnostics, config_error, "was set" queries.
#include <plinth/config.hpp>

namespace plinth {

namespace {

std::string join_diagnostics(const std::vector<config_diagnostic>& diagnostics) {
    std::string out;
    for (const auto& d : diagnostics) {
        if (!out.empty()) out += '\n';
        out += d.str();
    }
    return out;
}

}  // namespace

std::string config_diagnostic::str() const {
    if (line <= 0) return file + ": " + message;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

config_error::config_error(std::vector<config_diagnostic> diagnostics)
    : error(join_diagnostics(diagnostics)), diagnostics_(std::move(diagnostics)) {}

bool config::is_set_by_file(std::string_view dotted_key) const {
    return set_by_file.find(dotted_key) != set_by_file.end();
}

}  // namespace plinth
