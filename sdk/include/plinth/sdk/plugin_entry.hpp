#pragma once
// For plugin authors: the entry symbol every plugin exports, with the ABI negotiation done right.
//
//   static plinth_plugin_descriptor descriptor =
//       plinth::sdk::backend_descriptor("mine", "1.0", "what it runs on", probe, init, shutdown, &api);
//   PLINTH_PLUGIN_ENTRY(descriptor)
//
// Header-only and C++17, so a plugin built by another compiler, against the installed
// include/plinth/, needs nothing else from plinth.
#include <plinth/plugin_api.h>

#include <algorithm>
#include <cstdio>

namespace plinth::sdk {

// Answers the host: `descriptor` with abi_minor lowered to the highest minor both sides speak,
// or nullptr and a refusal naming both majors when they differ.
inline const plinth_plugin_descriptor* negotiate(plinth_plugin_descriptor& descriptor, const plinth_host_info* host,
                                                 plinth_message* refusal) noexcept {
    if (host == nullptr || !PLINTH_HAS_MEMBER(host, plinth_host_info, abi_minor_max)) {
        if (refusal) std::snprintf(refusal->text, sizeof refusal->text, "%s plugin: no usable host info", descriptor.name);
        return nullptr;
    }
    if (host->abi_major != PLINTH_ABI_MAJOR) {
        if (refusal)
            std::snprintf(refusal->text, sizeof refusal->text, "%s plugin speaks plinth ABI major %u, the host major %u",
                          descriptor.name, static_cast<unsigned>(PLINTH_ABI_MAJOR), static_cast<unsigned>(host->abi_major));
        return nullptr;
    }
    descriptor.abi_major = PLINTH_ABI_MAJOR;
    descriptor.abi_minor = std::min<uint32_t>(host->abi_minor_max, PLINTH_ABI_MINOR);
    return &descriptor;
}

// A backend plugin's descriptor: this SDK's ABI (negotiate() lowers the minor to the host's), the
// plugin's name, version and one-line description, its lifecycle functions and its API table.
inline plinth_plugin_descriptor backend_descriptor(const char* name, const char* version, const char* description,
                                                   void (*probe)(plinth_probe_result*),
                                                   plinth_status (*init)(const plinth_host_info*, plinth_message*),
                                                   void (*shutdown)(void), const plinth_backend_api* api) noexcept {
    plinth_plugin_descriptor d{};
    d.struct_size = sizeof(d);
    d.abi_major = PLINTH_ABI_MAJOR;
    d.abi_minor = PLINTH_ABI_MINOR;
    d.kind = PLINTH_PLUGIN_BACKEND;
    d.name = name;
    d.version = version;
    d.description = description;
    d.probe = probe;
    d.init = init;
    d.shutdown = shutdown;
    d.backend = api;
    return d;
}

}  // namespace plinth::sdk

// Defines the plugin's entry symbol over a plinth_plugin_descriptor lvalue.
#define PLINTH_PLUGIN_ENTRY(descriptor)                                                                   \
    extern "C" PLINTH_EXPORT const plinth_plugin_descriptor* plinth_plugin_entry(const plinth_host_info* host, \
                                                                                plinth_message* refusal) {  \
        return ::plinth::sdk::negotiate(descriptor, host, refusal);                                       \
    }
