// Loading one plugin: open the library, find the entry symbol, negotiate the ABI, check the
// descriptor, probe, pick the best variant per name, init. Every refusal names the file and why.
#include <plinth/plugin_host.hpp>

#include "host_info.hpp"

#include <boost/dll/shared_library.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstddef>
#include <map>

namespace plinth {

const char* to_string(plugin_status status) {
    switch (status) {
    case plugin_status::loaded: return "loaded";
    case plugin_status::refused: return "refused";
    case plugin_status::disabled: return "disabled";
    }
    return "?";
}

const char* plugin_kind_name(uint32_t kind) {
    switch (kind) {
    case PLINTH_PLUGIN_BACKEND: return "backend";
    case PLINTH_PLUGIN_FORMAT: return "format";
    default: return "?";
    }
}

struct plugin_host::library {
    boost::dll::shared_library handle;
};

namespace {

bool contains(const std::vector<std::string>& list, const std::string& name) {
    return std::find(list.begin(), list.end(), name) != list.end();
}

bool is_shared_library_name(const std::filesystem::path& file) {
    return file.extension() == boost::dll::shared_library::suffix();
}

// The descriptor must at least reach the members every ABI-1 plugin has.
constexpr size_t minimum_descriptor_size = offsetof(plinth_plugin_descriptor, format) + sizeof(void*);

// A plugin that passed the probe but is not initialised yet.
struct candidate {
    size_t record;  // index into records_
    const plinth_plugin_descriptor* descriptor;
};

}  // namespace

plugin_host::plugin_host() = default;

plugin_host::~plugin_host() {
    for (auto it = loaded_.rbegin(); it != loaded_.rend(); ++it)
        if ((*it)->descriptor->shutdown) (*it)->descriptor->shutdown();
    // The libraries are deliberately never unloaded (no hot unload): plugins may have registered
    // atexit handlers or thread-locals that must outlive this object.
    for (auto& lib : libraries_) new boost::dll::shared_library(std::move(lib->handle));
}

void plugin_host::load(const plugin_search& search) {
    const size_t first_new = records_.size();
    std::vector<candidate> candidates;
    // Files named one by one come first and win over a plugin of the same name in the folders.
    std::vector<bool> named;
    for (const auto& file : search.files) {
        std::error_code ec;
        const plinth_plugin_descriptor* d = nullptr;
        if (!std::filesystem::is_regular_file(file, ec)) {
            auto& r = records_.emplace_back();
            r.path = file;
            r.reason = std::filesystem::exists(file, ec) ? "not a regular file" : "no such file";
            spdlog::warn("plugin {} refused: {}", file.string(), r.reason);
        } else if ((d = load_file(file, search))) {
            candidates.push_back({records_.size() - 1, d});
        }
        named.resize(records_.size() - first_new, true);
    }
    for (const auto& folder : search_folders(search)) {
        std::error_code ec;
        if (!std::filesystem::is_directory(folder, ec)) {
            spdlog::debug("plugin folder {} does not exist; skipped", folder.string());
            continue;
        }
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(folder, ec))
            if (is_shared_library_name(entry.path())) files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        for (const auto& file : files)
            if (const auto* d = load_file(file, search)) candidates.push_back({records_.size() - 1, d});
    }

    // Among probed candidates of one kind and name, a file named in `files` wins, else the highest
    // score (e.g. an AVX-512 build over a generic one); ties go to the file found first.
    named.resize(records_.size() - first_new, false);
    const auto is_named = [&](size_t i) { return bool(named[i - first_new]); };
    std::map<std::pair<uint32_t, std::string>, size_t> best;
    for (size_t i = first_new; i < records_.size(); ++i) {
        const auto& r = records_[i];
        if (r.status != plugin_status::loaded) continue;
        auto [it, inserted] = best.try_emplace({r.kind, r.name}, i);
        if (!inserted && !is_named(it->second) && r.score > records_[it->second].score) it->second = i;
    }
    for (size_t i = first_new; i < records_.size(); ++i) {
        auto& r = records_[i];
        if (r.status != plugin_status::loaded) continue;
        const size_t winner = best.at({r.kind, r.name});
        if (winner != i) {
            r.status = plugin_status::refused;
            r.reason = "superseded by " + records_[winner].path.string() +
                       (is_named(winner) ? std::string(" (named as a file, which wins)")
                                         : " (probe score " + std::to_string(records_[winner].score) + " > " +
                                               std::to_string(r.score) + ")");
            spdlog::info("plugin {}: {}", r.path.string(), r.reason);
        }
    }

    // Initialise the winners.
    for (const auto& c : candidates) {
        auto& r = records_[c.record];
        if (r.status != plugin_status::loaded) continue;
        const plinth_plugin_descriptor* d = c.descriptor;
        plinth_message msg{};
        if (d->init && d->init(&detail::host_info(), &msg) != PLINTH_OK) {
            r.status = plugin_status::refused;
            r.reason = std::string("init failed: ") + (msg.text[0] ? msg.text : "no message");
            spdlog::warn("plugin {} refused: {}", r.path.string(), r.reason);
            continue;
        }
        auto plugin = std::make_unique<loaded_plugin>();
        plugin->descriptor = d;
        plugin->name = r.name;
        plugin->abi_minor = r.abi_minor;
        plugin->backend = r.kind == PLINTH_PLUGIN_BACKEND ? d->backend : nullptr;
        plugin->format = r.kind == PLINTH_PLUGIN_FORMAT ? d->format : nullptr;
        spdlog::debug("plugin {} {} {} loaded from {}", plugin_kind_name(r.kind), r.name, r.version, r.path.string());
        loaded_.push_back(std::move(plugin));
    }
}

const plinth_plugin_descriptor* plugin_host::load_file(const std::filesystem::path& file,
                                                       const plugin_search& search) {
    plugin_record& r = records_.emplace_back();
    r.path = file;
    const auto refuse = [&](std::string reason) {
        r.status = plugin_status::refused;
        r.reason = std::move(reason);
        spdlog::warn("plugin {} refused: {}", file.string(), r.reason);
        return nullptr;
    };
    for (const auto& lib : libraries_) {
        std::error_code ec;
        if (std::filesystem::equivalent(lib->handle.location(), file, ec)) {
            // The same file met again (named on its own and in a folder): not worth a warning.
            r.status = plugin_status::refused;
            r.reason = "already loaded";
            spdlog::debug("plugin {}: already loaded", file.string());
            return nullptr;
        }
    }

    auto lib = std::make_unique<library>();
    try {
        // RTLD_LOCAL: plugins' symbols never satisfy each other's, so two plugins can carry
        // different copies of a helper library without clashing.
        lib->handle.load(file, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
    } catch (const std::exception& e) {
        return refuse(std::string("not a loadable shared library: ") + e.what());
    }
    if (!lib->handle.has(PLINTH_PLUGIN_ENTRY_SYMBOL))
        return refuse(std::string("not a plinth plugin: no '") + PLINTH_PLUGIN_ENTRY_SYMBOL + "' symbol");

    auto entry = lib->handle.get<const plinth_plugin_descriptor*(const plinth_host_info*, plinth_message*)>(
        PLINTH_PLUGIN_ENTRY_SYMBOL);
    plinth_message msg{};
    const plinth_plugin_descriptor* d = entry(&detail::host_info(), &msg);
    if (d == nullptr)
        return refuse(std::string("the plugin declined the host's ABI ") + std::to_string(PLINTH_ABI_MAJOR) + "." +
                      std::to_string(PLINTH_ABI_MINOR) + ": " + (msg.text[0] ? msg.text : "no reason given"));
    if (d->struct_size < sizeof(uint32_t) * 2) return refuse("descriptor too small to be valid");
    r.abi_major = d->abi_major;
    if (d->abi_major != PLINTH_ABI_MAJOR)
        return refuse("ABI major " + std::to_string(d->abi_major) + ", but this host speaks ABI major " +
                      std::to_string(PLINTH_ABI_MAJOR));
    if (d->struct_size < minimum_descriptor_size)
        return refuse("descriptor is " + std::to_string(d->struct_size) + " bytes, ABI 1 needs at least " +
                      std::to_string(minimum_descriptor_size));
    r.abi_minor = d->abi_minor;
    if (d->abi_minor > PLINTH_ABI_MINOR)
        return refuse("answered ABI minor " + std::to_string(d->abi_minor) + ", above the host's " +
                      std::to_string(PLINTH_ABI_MINOR) + " (the plugin must negotiate down)");
    if (d->name == nullptr || *d->name == '\0') return refuse("descriptor has no name");
    r.name = d->name;
    r.version = d->version ? d->version : "";
    r.description = d->description ? d->description : "";
    r.kind = d->kind;

    if (d->kind == PLINTH_PLUGIN_BACKEND) {
        if (d->backend == nullptr || d->backend->struct_size < offsetof(plinth_backend_api, reserved))
            return refuse("backend plugin without a complete backend function table");
    } else if (d->kind == PLINTH_PLUGIN_FORMAT) {
        if (d->format == nullptr || d->format->struct_size < offsetof(plinth_format_api, writer_create))
            return refuse("format plugin without a complete format function table");
    } else {
        return refuse("unknown plugin kind " + std::to_string(d->kind));
    }

    if ((!search.enable.empty() && !contains(search.enable, r.name)) || contains(search.disable, r.name)) {
        r.status = plugin_status::disabled;
        r.reason = "disabled by configuration";
        spdlog::info("plugin {} ({}) disabled by configuration", r.name, file.string());
        return nullptr;
    }

    if (d->probe == nullptr) return refuse("descriptor has no probe function");
    plinth_probe_result probe{};
    probe.struct_size = sizeof(probe);
    d->probe(&probe);
    probe.reason[sizeof(probe.reason) - 1] = '\0';
    probe.features[sizeof(probe.features) - 1] = '\0';
    r.features = probe.features;
    r.score = probe.score;
    if (!probe.usable) return refuse(std::string("probe: ") + (probe.reason[0] ? probe.reason : "cannot run here"));

    r.status = plugin_status::loaded;  // provisional: the variant choice and init come next
    libraries_.push_back(std::move(lib));
    return d;
}

std::vector<const loaded_plugin*> plugin_host::backends() const {
    std::vector<const loaded_plugin*> out;
    for (const auto& p : loaded_)
        if (p->backend) out.push_back(p.get());
    return out;
}

std::vector<const loaded_plugin*> plugin_host::formats() const {
    std::vector<const loaded_plugin*> out;
    for (const auto& p : loaded_)
        if (p->format) out.push_back(p.get());
    return out;
}

const loaded_plugin* plugin_host::find(uint32_t kind, const std::string& name) const {
    for (const auto& p : loaded_)
        if (p->name == name && p->descriptor->kind == kind) return p.get();
    return nullptr;
}

std::optional<std::string> plugin_host::host_memory_device() const {
    for (const auto* b : backends()) {
        if (b->backend->graph_compute == nullptr || b->backend->buffer_wrap_host == nullptr) continue;
        for (uint32_t i = 0; i < b->backend->device_count(); ++i) {
            plinth_device_info info{};
            info.struct_size = sizeof(info);
            plinth_message msg{};
            if (b->backend->device_info(i, &info, &msg) != PLINTH_OK) continue;
            if (info.type == PLINTH_DEVICE_CPU && (info.buffer_caps & PLINTH_BUFFER_CAN_WRAP_HOST))
                return b->name + ":" + std::to_string(i);
        }
    }
    return std::nullopt;
}

}  // namespace plinth
