#pragma once
// Where the tests find ../shared: the PLINTH_SHARED_DIR environment variable wins over the
// CMake cache variable of the same name (baked in as PLINTH_SHARED_DIR_DEFAULT).
#include <cstdlib>
#include <filesystem>
#include <string>

namespace plinth::test {

inline std::filesystem::path shared_dir() {
    if (const char* env = std::getenv("PLINTH_SHARED_DIR"); env != nullptr && *env != '\0') return env;
    return PLINTH_SHARED_DIR_DEFAULT;
}

inline std::filesystem::path shared_model(const std::string& file) { return shared_dir() / "models" / file; }

}  // namespace plinth::test
