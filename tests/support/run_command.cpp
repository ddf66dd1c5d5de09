#include "run_command.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

namespace plinth::test {
namespace {

std::string read_file_impl(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

std::string read_file(const std::filesystem::path& path) { return read_file_impl(path); }

std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

command_result run_command(const std::string& command) {
    static int counter = 0;
    const auto base = std::filesystem::temp_directory_path() /
                      ("plinth-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    const auto out_path = base.string() + ".out", err_path = base.string() + ".err";
    // The inner shell reports a signal death of the command as 128+N; `exec` keeps it one process.
    const std::string full = "(exec " + command + ") </dev/null >" + out_path + " 2>" + err_path;
    const int status = std::system(full.c_str());
    command_result r;
    if (WIFEXITED(status)) {
        r.exit_code = WEXITSTATUS(status);
        if (r.exit_code > 128) {  // the subshell died of a signal
            r.signaled = true;
            r.signal = r.exit_code - 128;
        }
    } else if (WIFSIGNALED(status)) {
        r.signaled = true;
        r.signal = WTERMSIG(status);
    }
    r.out = read_file(out_path);
    r.err = read_file(err_path);
    std::filesystem::remove(out_path);
    std::filesystem::remove(err_path);
    return r;
}

}  // namespace plinth::test
