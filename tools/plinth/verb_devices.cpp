// plinth devices: every device of every loaded backend, with its id for placement rules.
#include "cli_common.hpp"
#include "format_bytes.hpp"

#include <spdlog/fmt/fmt.h>

namespace plinth::cli {

int run_devices(const std::vector<std::string>& args) {
    return guarded("devices", [&] {
        common_options common;
        po::options_description options("options");
        add_common_options(options, common);
        if (!parse_arguments("devices", "[options]", args, options, {}, common)) return 0;
        auto s = open_session(common);

        fmt::print("{:<10} {:<6} {:>10} {:>10}  {}\n", "ID", "TYPE", "TOTAL", "FREE", "NAME");
        for (const auto* backend : s->host.backends()) {
            const uint32_t count = backend->backend->device_count();
            for (uint32_t i = 0; i < count; ++i) {
                plinth_device_info info{};
                info.struct_size = sizeof(info);
                plinth_message msg{};
                const std::string id = fmt::format("{}:{}", backend->name, i);
                if (backend->backend->device_info(i, &info, &msg) != PLINTH_OK) {
                    fmt::print("{:<10} (error: {})\n", id, msg.text);
                    continue;
                }
                fmt::print("{:<10} {:<6} {:>10} {:>10}  {}\n", id, plinth_device_type_name(info.type),
                           format_bytes(info.memory_total), format_bytes(info.memory_free), info.name);
                if (info.description[0]) fmt::print("{:<10} {}\n", "", info.description);
            }
        }
        return 0;
    });
}

}  // namespace plinth::cli
