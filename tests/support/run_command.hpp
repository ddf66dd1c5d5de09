#pragma once
// Runs a shell command for the CLI tests and captures what a user would see.
#include <filesystem>
#include <string>

namespace plinth::test {

struct command_result {
    int exit_code = -1;    // valid when !signaled
    bool signaled = false; // killed by a signal (a crash)
    int signal = 0;
    std::string out;       // stdout
    std::string err;       // stderr
};

// `command` is run by /bin/sh; quote arguments with shell_quote.
command_result run_command(const std::string& command);
std::string shell_quote(const std::string& text);
// A whole file's bytes ("" when it cannot be read).
std::string read_file(const std::filesystem::path& path);

}  // namespace plinth::test
