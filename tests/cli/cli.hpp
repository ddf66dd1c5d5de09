#pragma once
// Helpers for running the installed-layout `plinth` binary from the tests.
#include "run_command.hpp"
#include "shared_dir.hpp"

#include <filesystem>

namespace plinth::test {

// `plinth ARGS` with PLINTH_PLUGIN_PATH cleared, so only the plugins next to the binary count.
inline command_result run_plinth(const std::string& args, const std::string& env = "") {
    return run_command("env -u PLINTH_PLUGIN_PATH " + env + " " + shell_quote(PLINTH_CLI) + " " + args);
}

inline std::string model_arg(const std::string& file) { return shell_quote(shared_model(file).string()); }

// `cmake --install` of this build into a fresh `prefix`; the result of the command.
inline command_result install_to(const std::filesystem::path& prefix) {
    std::filesystem::remove_all(prefix);
    return run_command(shell_quote(PLINTH_CMAKE) + " --install " + shell_quote(PLINTH_BUILD_DIR) + " --prefix " + shell_quote(prefix.string()));
}

}  // namespace plinth::test
