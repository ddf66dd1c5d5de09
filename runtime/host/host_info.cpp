#include "host_info.hpp"

#include <spdlog/spdlog.h>

namespace plinth::detail {
namespace {

void log_from_plugin(void*, plinth_log_level level, const char* plugin, const char* message) {
    const auto spd_level = [&] {
        switch (level) {
        case PLINTH_LOG_TRACE: return spdlog::level::trace;
        case PLINTH_LOG_DEBUG: return spdlog::level::debug;
        case PLINTH_LOG_INFO: return spdlog::level::info;
        case PLINTH_LOG_WARN: return spdlog::level::warn;
        default: return spdlog::level::err;
        }
    }();
    spdlog::log(spd_level, "[{}] {}", plugin ? plugin : "?", message ? message : "");
}

}  // namespace

const plinth_host_info& host_info() {
    static const plinth_host_info info = [] {
        plinth_host_info i{};
        i.struct_size = sizeof(plinth_host_info);
        i.abi_major = PLINTH_ABI_MAJOR;
        i.abi_minor_max = PLINTH_ABI_MINOR;
        i.host_version = PLINTH_VERSION;
        i.log = log_from_plugin;
        return i;
    }();
    return info;
}

}  // namespace plinth::detail
