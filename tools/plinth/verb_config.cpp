// plinth config validate FILE...: check deployment files without running anything.
#include "cli_common.hpp"

#include <iostream>

namespace plinth::cli {

int run_config(const std::vector<std::string>& args) {
    return guarded("config", [&] {
        common_options common;
        std::string action;
        std::vector<std::string> files;
        po::options_description options("options");
        options.add_options()
            ("action", po::value(&action)->value_name("ACTION"), "validate")
            ("files", po::value(&files)->multitoken(), "files to check");
        add_common_options(options, common);
        po::positional_options_description positional;
        positional.add("action", 1).add("files", -1);
        if (!parse_arguments("config", "validate FILE... [options]", args, options, positional, common)) return 0;
        if (action != "validate") throw po::error(action.empty() ? "missing action (validate)" : "unknown action '" + action + "' (expected validate)");
        if (files.empty()) throw po::error("config validate needs at least one FILE");

        bool all_ok = true;
        for (const auto& file : files) {
            try {
                load_config_file(file);
            } catch (const config_error& e) {
                std::cerr << e.what() << "\n";
                all_ok = false;
            }
        }
        if (all_ok) std::cout << "ok\n";
        return all_ok ? 0 : 1;
    });
}

}  // namespace plinth::cli
