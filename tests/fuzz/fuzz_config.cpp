// libFuzzer target for the deployment-file loader and the command line's placement, device and size
// syntax. Any input must either load or be refused with the loader's own errors (config_error for a
// file; invalid_argument / out_of_range for the flag syntax): anything else escapes and is reported
// as a crash, as are sanitizer reports and inputs that take too long (-timeout), which is how a
// pathological tensor-name regex would show.
#include <plinth/config.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)plinth::load_config_text(text, "fuzz.yaml");
    } catch (const plinth::config_error&) {
    }
    for (auto parse : {+[](std::string_view t) { (void)plinth::parse_placement_flag(t); },
                       +[](std::string_view t) { (void)plinth::parse_device_id(t); },
                       +[](std::string_view t) { (void)plinth::parse_size(t); }}) {
        try {
            parse(text);
        } catch (const std::invalid_argument&) {
        } catch (const std::out_of_range&) {
        }
    }
    return 0;
}
