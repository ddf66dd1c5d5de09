#pragma once
// Finding the backend plugin and device index a device id ("cpu:0") names.
#include <plinth/plugin_host.hpp>

#include <optional>
#include <string>
#include <utility>

namespace plinth::detail {

// Throws plinth::error naming the missing plugin or the devices that do exist.
std::pair<const loaded_plugin*, uint32_t> select_device(const plugin_host& host, const std::string& device_name);

// The device nodes fall back to when their own device refuses them: the first device, of any
// loaded backend, that computes graphs in host memory and can use the mapped model file in place
// (device type CPU, PLINTH_BUFFER_CAN_WRAP_HOST). The host knows no backend by name: a
// third-party CPU backend serves as well as plinth's own. nullopt when none is loaded.
std::optional<std::string> host_memory_device(const plugin_host& host);

}  // namespace plinth::detail
