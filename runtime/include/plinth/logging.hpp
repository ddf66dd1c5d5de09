#pragma once
// Logging: spdlog to stderr (stdout carries results), one level for the whole process.
#include <string_view>

#include <spdlog/spdlog.h>

namespace plinth {

// Sets up the stderr logger; safe to call again to change the level.
void init_logging(std::string_view level = "info");

// Parses trace|debug|info|warn|error|off; throws plinth::error on anything else.
spdlog::level::level_enum parse_log_level(std::string_view level);

}  // namespace plinth
