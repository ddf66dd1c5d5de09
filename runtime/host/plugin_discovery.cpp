// Where plugins are looked for: configured folders, then PLINTH_PLUGIN_PATH, then the install folder.
#include <plinth/plugin_host.hpp>

#include <boost/dll/runtime_symbol_info.hpp>

#include <cstdlib>
#include <sstream>

namespace plinth {

std::filesystem::path plugin_host::install_plugin_folder() {
    // libplinth lives in <prefix>/lib; its plugins in <prefix>/lib/plinth/plugins. The build tree
    // uses the same layout, so this holds for a build and for an install alike.
    const std::filesystem::path library = boost::dll::this_line_location();
    return library.parent_path() / PLINTH_PLUGIN_RELATIVE_DIR;
}

std::vector<std::filesystem::path> plugin_host::search_folders(const plugin_search& search) {
    std::vector<std::filesystem::path> folders = search.folders;
    if (search.use_environment) {
        if (const char* env = std::getenv("PLINTH_PLUGIN_PATH"); env != nullptr) {
            std::stringstream list(env);
            for (std::string entry; std::getline(list, entry, ':');)
                if (!entry.empty()) folders.emplace_back(entry);
        }
    }
    if (search.use_install_folder) folders.push_back(install_plugin_folder());

    // The same folder named twice is searched once.
    std::vector<std::filesystem::path> unique;
    for (const auto& folder : folders) {
        std::error_code ec;
        auto canonical = std::filesystem::weakly_canonical(folder, ec);
        if (ec) canonical = folder;
        bool seen = false;
        for (const auto& u : unique) seen = seen || u == canonical;
        if (!seen) unique.push_back(canonical);
    }
    return unique;
}

}  // namespace plinth
