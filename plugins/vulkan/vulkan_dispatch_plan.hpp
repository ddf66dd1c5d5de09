#pragma once
// Planning a checked graph on the Vulkan backend: per node its kernel, work size, push constants and
// the buffer ranges it binds, reads and writes (for the barriers); before a MATMUL the pass that
// converts its activations as the precision contract says, into one of two scratch regions that
// the next MATMULs of the same input reuse.
#include "vulkan_kernels.hpp"
#include "vulkan_node_checks.hpp"
#include <plinth/sdk/rope_table.hpp>

#include <cstdint>
#include <vector>

namespace plinth::vk {

// What one binding of a node covers.
struct binding {
    const plinth_buffer_s* buffer = nullptr;
    uint64_t offset = 0;  // descriptor offset: the tensor's, rounded down to the storage alignment
    uint64_t range = 0;
};

// Byte ranges of buffers, for the barriers between nodes.
struct byte_range {
    uint64_t id, begin, end;
};

struct dispatch {
    uint32_t kernel = 0;
    uint32_t groups = 0;  // workgroups, laid out 2-D when recorded
    push_constants pc{};
    binding bindings[7];
    byte_range write{};   // what it writes, and reads (for the barriers)
    byte_range reads[7]{};
    int n_reads = 0;
    uint32_t node = 0;
};

// The dispatches of the checked nodes `views`, in order, into `out`; dev.scratch grows to hold the
// quantized activations. ROPE nodes read their tables at the words `rope` assigned, GEGLU its gelu
// table at `gelu_word` of the aux buffer.
plinth_status plan_dispatches(device& dev, const std::vector<node_view>& views, const sdk::rope_table_set& rope,
                              uint64_t gelu_word, std::vector<dispatch>& out, plinth_message* err);

}  // namespace plinth::vk
