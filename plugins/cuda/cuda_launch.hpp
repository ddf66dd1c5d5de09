#pragma once
// One checked node enqueued on its device's stream: the kernel (kernels/ or the weight kernels of
// quant/) and its arguments, from the node's tensor views and what graph_compute prepared.
#include "cuda_device.hpp"
#include "cuda_node_checks.hpp"

namespace plinth::cuda {

// What a graph's nodes share, made ready by graph_compute before the first launch.
struct graph_resources {
    uint32_t* errors = nullptr;          // device: one word per node
    void* scratch = nullptr;             // device: the weight kernels' activations
    const uint16_t* gelu_table = nullptr;
    const float* rope_tables = nullptr;  // device: every ROPE table of the graph
    const sdk::rope_table_set* rope = nullptr;
    bool tensor_cores = false;           // MATMUL may use 8-bit mma.sync (sm_80+, option tensor_cores)
};

plinth_status launch_node(device& dev, const node_view& n, const graph_resources& res, plinth_message* err);

}  // namespace plinth::cuda
