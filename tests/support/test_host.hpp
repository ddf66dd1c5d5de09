#pragma once
// One plugin host per test binary: the plugins built next to libplinth, without PLINTH_PLUGIN_PATH,
// loaded on first use.
#include <plinth/logging.hpp>
#include <plinth/plugin_host.hpp>

#include <memory>
#include <string>
#include <vector>

namespace plinth::test {

inline const plugin_host& built_plugins() {
    static const auto host = [] {
        // The host's logger (stderr, warnings) before loading: a refused plugin's warning must not
        // reach stdout, which catch_discover_tests reads test names from (the binaries that
        // register cases per device load the plugins while listing them).
        init_logging("warn");
        auto h = std::make_unique<plugin_host>();
        plugin_search search;
        search.use_environment = false;
        h->load(search);
        return h;
    }();
    return *host;
}

// The device every model can run on: the host-memory device the engine falls back to (found by
// what it can do, not by a backend's name). Empty when there is none.
inline std::string host_memory_device() { return built_plugins().host_memory_device().value_or(""); }

// Every other device of every loaded backend ("vulkan:0", ...): where the hybrid tests place layers.
inline std::vector<std::string> other_devices() {
    std::vector<std::string> out;
    const std::string reference = host_memory_device();
    for (const auto* b : built_plugins().backends())
        for (uint32_t d = 0; d < b->backend->device_count(); ++d)
            if (b->name + ":" + std::to_string(d) != reference) out.push_back(b->name + ":" + std::to_string(d));
    return out;
}

}  // namespace plinth::test
