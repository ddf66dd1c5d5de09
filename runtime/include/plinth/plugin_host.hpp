#pragma once
// The plugin host: finds plugin shared libraries, loads them with Boost.DLL, negotiates the ABI,
// probes and initialises them, and keeps a record of every file it looked at and why it was refused.
#include <plinth/plugin_api.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace plinth {

enum class plugin_status { loaded, refused, disabled };
const char* to_string(plugin_status status);
const char* plugin_kind_name(uint32_t kind);

// What the host knows about one file it tried to load.
struct plugin_record {
    std::filesystem::path path;
    plugin_status status = plugin_status::refused;
    std::string reason;    // why it was refused or disabled; empty when loaded
    std::string name;      // empty when the file never produced a descriptor
    std::string version;
    std::string description;
    uint32_t kind = 0;     // plinth_plugin_kind, 0 when unknown
    uint32_t abi_major = 0;
    uint32_t abi_minor = 0;
    int32_t score = 0;
    std::string features;  // what the probe found
};

// Where to look and what to take.
struct plugin_search {
    std::vector<std::filesystem::path> files;    // single plugin files, tried before every folder
    std::vector<std::filesystem::path> folders;  // searched first, in order
    bool use_environment = true;                 // PLINTH_PLUGIN_PATH (colon-separated)
    bool use_install_folder = true;              // <libdir>/plinth/plugins next to libplinth
    std::vector<std::string> enable;             // if non-empty, only these names load
    std::vector<std::string> disable;            // these names never load
};

// A loaded backend or format plugin, as the rest of the runtime sees it.
struct loaded_plugin {
    const plinth_plugin_descriptor* descriptor = nullptr;
    std::string name;
    uint32_t abi_minor = 0;
    const plinth_backend_api* backend = nullptr;  // set for backends
    const plinth_format_api* format = nullptr;    // set for formats
};

class plugin_host {
public:
    plugin_host();
    ~plugin_host();  // shuts every loaded plugin down, in reverse load order
    plugin_host(const plugin_host&) = delete;
    plugin_host& operator=(const plugin_host&) = delete;

    // Tries every plugin file in the search folders. Never throws for a bad file: it is recorded
    // as refused, with the reason logged as a warning.
    void load(const plugin_search& search);

    const std::vector<plugin_record>& records() const { return records_; }
    std::vector<const loaded_plugin*> backends() const;
    std::vector<const loaded_plugin*> formats() const;
    const loaded_plugin* find(uint32_t kind, const std::string& name) const;
    // The device ("name:index") nodes fall back to when their own device refuses them, and the
    // conformance kit's reference: the first device, of any loaded backend, that computes graphs
    // in host memory and can use the mapped model file in place (device type CPU,
    // PLINTH_BUFFER_CAN_WRAP_HOST). Found by capability, never by name: a third-party CPU backend
    // serves as well as plinth's own. nullopt when none is loaded.
    std::optional<std::string> host_memory_device() const;

    // The folder an installed (or built) plinth keeps its plugins in.
    static std::filesystem::path install_plugin_folder();
    // The folders `load` would search, in order, without duplicates.
    static std::vector<std::filesystem::path> search_folders(const plugin_search& search);

private:
    struct library;  // keeps one shared library loaded until the host goes away
    // Opens, negotiates and probes one file; returns its descriptor when it may be initialised.
    const plinth_plugin_descriptor* load_file(const std::filesystem::path& file, const plugin_search& search);

    std::vector<plugin_record> records_;
    std::vector<std::unique_ptr<library>> libraries_;
    std::vector<std::unique_ptr<loaded_plugin>> loaded_;
};

}  // namespace plinth
