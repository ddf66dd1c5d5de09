#pragma once
// The CUDA backend's checks of a graph's nodes: the SDK's node validator (the CPU backend's rules
// and messages, plinth/sdk/node_validator.hpp) with what is this backend's own: its buffers, the
// weight types the weight kernels decode (quant/weight_kernels.hpp), the largest attention head and
// grid its kernels take, and ROPE factors it must read before the graph runs.
#include <plinth/sdk/node_validator.hpp>

#include "cuda_device.hpp"

namespace plinth::cuda {

// A checked tensor: its shape (sdk::tensor_view) and where it is (graph_compute only).
struct tensor_view : sdk::tensor_view {
    const plinth_buffer_s* buffer = nullptr;
    uint64_t offset = 0;  // in the buffer
    void* data = nullptr; // device address of its first byte
};

using node_view = sdk::basic_node_view<tensor_view>;

// Node `index` of `graph` (whose header sdk::check_graph_header accepted): fills `out` and returns
// PLINTH_OK, or PLINTH_ERR_INVALID_ARGUMENT / PLINTH_ERR_UNSUPPORTED with "node N (OP): ..." in
// err. With `dev` null only types, shapes and limits (supports_node); otherwise also the buffers,
// which must be dev's.
plinth_status check_node(const plinth_graph& graph, const device* dev, uint32_t index, node_view& out, plinth_message* err);

}  // namespace plinth::cuda
