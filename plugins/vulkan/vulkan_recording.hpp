#pragma once
// Recording a planned graph on the Vulkan backend into the device's command buffer: a compute
// pipeline per kernel (made once per device), a descriptor set per set of bindings (cached), the
// push constants and the dispatch, and a memory barrier before a dispatch only where it reads or
// writes bytes that one since the last barrier wrote, or writes bytes one read.
#include "vulkan_dispatch_plan.hpp"

#include <vector>

namespace plinth::vk {

// Begins dev.cmd and records `dispatches` into it, with the barriers that make earlier uploads
// visible to them and their results to downloads. The caller submits.
plinth_status record_dispatches(device& dev, const std::vector<dispatch>& dispatches, plinth_message* err);

// Destroys dev's pipelines, layouts and descriptor pools (device teardown).
void release_pipelines(device& dev);

}  // namespace plinth::vk
