#pragma once
// Shared by the writer tests: the plugin host, a temporary folder, and running the built `plinth`.
#include <plinth/plugin_host.hpp>

#include "run_command.hpp"
#include "shared_dir.hpp"
#include "test_host.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <vector>

namespace plinth::writer_test {

// The plugins built next to libplinth (no PLINTH_PLUGIN_PATH), loaded once.
inline const plugin_host& host() { return test::built_plugins(); }

// A fresh folder under the temp dir, removed with its contents when the object dies.
class temp_dir {
public:
    explicit temp_dir(const std::string& tag)
        : path_(std::filesystem::temp_directory_path() / ("plinth-writer-" + tag + "-" + std::to_string(std::random_device{}()))) {
        std::filesystem::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
    // Names of the files in the folder, sorted.
    std::vector<std::string> files() const {
        std::vector<std::string> out;
        for (const auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }

private:
    std::filesystem::path path_;
};

// `plinth ARGS` (the binary of this build), only its own plugins.
inline test::command_result run_plinth(const std::string& args) {
    return test::run_command("env -u PLINTH_PLUGIN_PATH " + test::shell_quote(PLINTH_CLI) + " " + args);
}

inline std::string q(const std::filesystem::path& p) { return test::shell_quote(p.string()); }

}  // namespace plinth::writer_test
