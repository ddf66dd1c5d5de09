// plinth plugins: every plugin file the host looked at, and what became of it.
#include "cli_common.hpp"

#include <spdlog/fmt/fmt.h>

namespace plinth::cli {

int run_plugins(const std::vector<std::string>& args) {
    return guarded("plugins", [&] {
        common_options common;
        po::options_description options("options");
        add_common_options(options, common);
        if (!parse_arguments("plugins", "[options]", args, options, {}, common)) return 0;
        auto s = open_session(common);

        fmt::print("{:<10} {:<8} {:<8} {:<5} {:<8} {}\n", "NAME", "KIND", "VERSION", "ABI", "STATUS", "PATH");
        for (const auto& r : s->host.records()) {
            const std::string abi = r.abi_major ? fmt::format("{}.{}", r.abi_major, r.abi_minor) : "-";
            fmt::print("{:<10} {:<8} {:<8} {:<5} {:<8} {}\n", r.name.empty() ? "-" : r.name,
                       r.kind ? plugin_kind_name(r.kind) : "-", r.version.empty() ? "-" : r.version, abi,
                       to_string(r.status), r.path.string());
            if (!r.reason.empty()) fmt::print("           reason: {}\n", r.reason);
            else if (!r.features.empty()) fmt::print("           features: {}\n", r.features);
        }
        if (s->host.records().empty()) {
            fmt::print("(no plugin files found; searched:");
            for (const auto& f : plugin_host::search_folders({})) fmt::print(" {}", f.string());
            fmt::print(")\n");
        }
        return 0;
    });
}

}  // namespace plinth::cli
