#pragma once
// One plugin host per test binary: the plugins built next to libplinth, without PLINTH_PLUGIN_PATH,
// loaded on first use.
#include <plinth/plugin_host.hpp>

#include <memory>

namespace plinth::test {

inline const plugin_host& built_plugins() {
    static const auto host = [] {
        auto h = std::make_unique<plugin_host>();
        plugin_search search;
        search.use_environment = false;
        h->load(search);
        return h;
    }();
    return *host;
}

}  // namespace plinth::test
