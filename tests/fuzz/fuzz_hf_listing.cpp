// libFuzzer target: the Hugging Face file listing parser (tools/store/hf_listing.cpp). Any input
// either parses into files with safe paths or throws std::runtime_error; nothing else.
#include <store/hf_listing.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        for (const auto& f : plinth::store::parse_listing(std::string_view(reinterpret_cast<const char*>(data), size)))
            if (f.path.empty() || f.path.front() == '/' || f.path == ".." || f.path.rfind("../", 0) == 0 ||
                f.path.find("/../") != std::string::npos || f.path.ends_with("/.."))
                std::abort();
    } catch (const std::runtime_error&) {
    }
    return 0;
}
