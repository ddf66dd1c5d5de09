#pragma once
// The plinth_host_info handed to every plugin: the host's ABI version and a log callback into spdlog.
#include <plinth/plugin_api.h>

namespace plinth::detail {

const plinth_host_info& host_info();

}  // namespace plinth::detail
