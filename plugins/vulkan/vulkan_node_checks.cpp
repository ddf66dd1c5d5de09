// The Vulkan backend's hooks into the SDK's node validator.
#include "vulkan_node_checks.hpp"

#include "vulkan_buffer.hpp"
#include <plinth/sdk/rope_table.hpp>
#include "vulkan_kernels.hpp"

namespace plinth::vk {
namespace {

struct vulkan_validator_hooks : sdk::node_validator_hooks<tensor_view> {
    const physical_device& phys;
    const device* dev;  // null: shapes only

    vulkan_validator_hooks(const physical_device& p, const device* d) : phys(p), dev(d) {}

    static const char* backend_name() { return "Vulkan"; }
    // The types the GET_ROWS and MATMUL shaders have variants for.
    static bool decodes(uint32_t /*op*/, uint32_t weight_type) { return weight_slot(weight_type) >= 0; }

    // Device memory: a tensor can overlap only tensors of its own buffer.
    sdk::buffer_location locate(const plinth_buffer_s* b) const {
        sdk::buffer_location at;
        at.on_this_device = b->dev == dev;
        at.size = b->size;
        at.space = b;
        return at;
    }
    static void place(tensor_view& view, const plinth_tensor& t, const sdk::buffer_location& /*where*/) {
        view.buffer = t.buffer;
        view.offset = t.offset;
    }

    // One descriptor covers the tensor from its offset rounded down to the storage alignment.
    plinth_status tensor_limits(const tensor_view& view, const char* role, const sdk::node_failure& fail) const {
        const uint64_t slack = phys.properties.limits.minStorageBufferOffsetAlignment + 4;
        if (view.bytes + slack <= phys.max_binding_bytes) return PLINTH_OK;
        return fail.unsupported("%s (tensor %u) takes %llu bytes; %s binds at most %llu bytes per tensor", role, view.index,
                                (unsigned long long)view.bytes, phys.properties.deviceName,
                                (unsigned long long)(phys.max_binding_bytes - slack));
    }

    plinth_status node_limits(const plinth_graph& graph, const node_view& n, const sdk::node_failure& fail) const {
        if (n.node->op == PLINTH_OP_ATTENTION && n.node->i[2] > max_head_dim)
            return fail.unsupported("head_dim i[2] = %d; the Vulkan backend's attention takes at most %lld", n.node->i[2],
                                    (long long)max_head_dim);
        // ROPE's factors are read on the host when the graph is prepared (the tables are made there).
        return sdk::refuse_factors_written_in_graph(graph, n.index, "Vulkan", fail);
    }
};

}  // namespace

plinth_status check_node(const plinth_graph& graph, const physical_device& phys, const device* dev, uint32_t index,
                         node_view& out, plinth_message* err) {
    const vulkan_validator_hooks hooks(phys, dev);
    const sdk::validation_mode mode = dev ? sdk::validation_mode::full : sdk::validation_mode::shapes;
    return sdk::node_validator<vulkan_validator_hooks>(graph, hooks, mode, err).node(index, out);
}

}  // namespace plinth::vk
