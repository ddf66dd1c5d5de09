// plinth plugins: every plugin file the host looked at, and what became of it.
#include "cli_common.hpp"

#include <plinth/backend_options.hpp>

#include <spdlog/fmt/fmt.h>

namespace plinth::cli {

int run_plugins(const std::vector<std::string>& args) {
    return guarded("plugins", [&] {
        common_options common;
        bool list_options = false;
        po::options_description options("options");
        options.add_options()("options", po::bool_switch(&list_options),
                              "list the options each loaded backend takes (backends.<plugin>: in the config, --backend-option)");
        add_common_options(options, common);
        if (!parse_arguments("plugins", "[--options] [options]", args, options, {}, common)) return 0;
        auto s = open_session(common);
        if (list_options) {
            for (const auto* b : s->host.backends()) {
                fmt::print("{}:\n", b->name);
                if (!declares_options(*b)) {
                    fmt::print("  (an ABI {}.{} plugin: it does not describe its options)\n", 1, b->abi_minor);
                    continue;
                }
                const auto declared = declared_options(*b);
                if (declared.empty()) fmt::print("  (no options)\n");
                for (const auto& o : declared)
                    fmt::print("  {:<10} {}; default: {}\n  {:<10} {}\n", o.name, o.describe(), o.default_text, "", o.help);
            }
            return 0;
        }

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
