#pragma once
// The compute members of the CUDA backend table: every node of a graph is checked first (as the
// CPU backend checks it), then what the graph shares is made ready (error words, activation
// scratch, ROPE's and GEGLU's tables), every node is enqueued on the device's stream, and the
// stream is waited for once.
#include "cuda_device.hpp"

namespace plinth::cuda {

// The CUDA backend takes no options (set_option refuses every key).
plinth_status set_option(const char* key, const char* value, plinth_message* err);
int32_t supports_node(uint32_t device, const plinth_graph* graph, uint32_t node);
plinth_status graph_compute(uint32_t device, const plinth_graph* graph, plinth_message* err);

}  // namespace plinth::cuda
