#pragma once
// The compute members of the CPU backend table (plugin_api.h), implemented in ops/.
#include <plinth/plugin_api.h>

namespace plinth::cpu {

// "threads" = a positive integer: the size of the compute thread pool, the calling thread
// included. Default: the physical cores this process may run on.
plinth_status set_option(const char* key, const char* value, plinth_message* err);
int32_t supports_node(uint32_t device, const plinth_graph* graph, uint32_t node);
plinth_status graph_compute(uint32_t device, const plinth_graph* graph, plinth_message* err);
// Joins the worker threads and frees the scratch memory (plugin shutdown).
void compute_shutdown();

}  // namespace plinth::cpu
