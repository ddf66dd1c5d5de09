// libFuzzer target for the server's OpenAI request parser (completions and chat). Any input must
// either parse or be refused with api_error (a 400 naming the field); anything else escaping is
// reported as a crash, as are sanitizer reports and inputs that take too long.
#include <api_error.hpp>
#include <generation_params.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (auto kind : {plinth::server::api_kind::completion, plinth::server::api_kind::chat}) {
        try {
            (void)plinth::server::parse_generation_request(text, kind);
        } catch (const plinth::server::api_error& e) {
            if (e.status != 400) __builtin_trap();
            (void)e.body();
        }
    }
    return 0;
}
