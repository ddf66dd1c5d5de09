#pragma once
// Finding the backend plugin and device index a device id ("cpu:0") names.
#include <plinth/plugin_host.hpp>

#include <string>
#include <utility>

namespace plinth::detail {

// Throws plinth::error naming the missing plugin or the devices that do exist.
std::pair<const loaded_plugin*, uint32_t> select_device(const plugin_host& host, const std::string& device_name);

}  // namespace plinth::detail
