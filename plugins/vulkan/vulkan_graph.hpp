#pragma once
// The compute members of the Vulkan backend table: every node of a graph is checked first (as the
// CPU backend checks it), then the whole graph is recorded into one command buffer (a cached
// pipeline per kernel, a cached descriptor set per set of bindings, parameters in push constants,
// a barrier only where a node touches memory an earlier node since the last barrier wrote, or
// writes what it read), submitted once and waited for.
#include "vulkan_device.hpp"

namespace plinth::vk {

// "staging" = "auto" (default: map device memory directly where it is host-visible) or "always"
// (every upload / download through the staging buffer).
plinth_status set_option(const char* key, const char* value, plinth_message* err);
int32_t supports_node(uint32_t device, const plinth_graph* graph, uint32_t node);
plinth_status graph_compute(uint32_t device, const plinth_graph* graph, plinth_message* err);

// Destroys the pipelines, layouts and descriptor pools of `dev` (device teardown).
void release_compute(device& dev);

}  // namespace plinth::vk
