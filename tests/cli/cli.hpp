#pragma once
// Helpers for running the installed-layout `plinth` binary from the tests.
#include "run_command.hpp"
#include "shared_dir.hpp"

namespace plinth::test {

// `plinth ARGS` with PLINTH_PLUGIN_PATH cleared, so only the plugins next to the binary count.
inline command_result run_plinth(const std::string& args, const std::string& env = "") {
    return run_command("env -u PLINTH_PLUGIN_PATH " + env + " " + shell_quote(PLINTH_CLI) + " " + args);
}

inline std::string model_arg(const std::string& file) { return shell_quote(shared_model(file).string()); }

}  // namespace plinth::test
