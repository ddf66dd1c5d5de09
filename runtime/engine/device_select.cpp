#include "device_select.hpp"

#include <plinth/config.hpp>
#include <plinth/error.hpp>

namespace plinth::detail {

std::pair<const loaded_plugin*, uint32_t> select_device(const plugin_host& host, const std::string& device_name) {
    plinth::device_id id;
    try {
        id = parse_device_id(device_name);
    } catch (const std::exception& e) {
        throw error("bad device '" + device_name + "': " + e.what());
    }
    const loaded_plugin* backend = host.find(PLINTH_PLUGIN_BACKEND, id.backend);
    if (backend == nullptr)
        throw error("device '" + device_name + "' needs the '" + id.backend +
                    "' backend plugin, which is not loaded (see `plinth plugins`)");
    const uint32_t count = backend->backend->device_count();
    if (id.index >= count)
        throw error("device '" + device_name + "' does not exist: the " + id.backend + " backend has " +
                    std::to_string(count) + " device(s)");
    return {backend, id.index};
}
}  // namespace plinth::detail
