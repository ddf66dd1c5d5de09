#pragma once
// A fresh directory under the system temp dir, removed with everything in it when the object dies.
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace plinth::gguf_test {

class scoped_temp_dir {
public:
    explicit scoped_temp_dir(const std::string& tag)
        : path_(std::filesystem::temp_directory_path() /
                ("plinth-" + tag + "-" + std::to_string(std::random_device{}()))) {
        std::filesystem::create_directories(path_);
    }
    ~scoped_temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    scoped_temp_dir(const scoped_temp_dir&) = delete;
    scoped_temp_dir& operator=(const scoped_temp_dir&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace plinth::gguf_test
