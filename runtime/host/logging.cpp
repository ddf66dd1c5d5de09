#include <plinth/error.hpp>
#include <plinth/logging.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>

#include <string>

namespace plinth {

spdlog::level::level_enum parse_log_level(std::string_view level) {
    static constexpr std::pair<std::string_view, spdlog::level::level_enum> levels[] = {
        {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug}, {"info", spdlog::level::info},
        {"warn", spdlog::level::warn},   {"error", spdlog::level::err},   {"off", spdlog::level::off},
    };
    for (const auto& [name, value] : levels)
        if (name == level) return value;
    throw error("unknown log level '" + std::string(level) + "' (expected trace, debug, info, warn, error or off)");
}

void init_logging(std::string_view level) {
    static const auto logger = [] {
        auto l = spdlog::stderr_color_mt("plinth");
        l->set_pattern("%^[%l]%$ %v");
        spdlog::set_default_logger(l);
        return l;
    }();
    logger->set_level(parse_log_level(level));
}

}  // namespace plinth
