// The CUDA backend's hooks into the SDK's node validator.
#include "cuda_node_checks.hpp"

#include "cuda_buffer.hpp"
#include <plinth/sdk/rope_table.hpp>
#include "kernels/kernels.hpp"
#include "quant/weight_kernels.hpp"

namespace plinth::cuda {
namespace {

constexpr int64_t max_grid = 0x7FFFFFFF;  // blocks in a grid's first dimension

struct cuda_validator_hooks : sdk::node_validator_hooks<tensor_view> {
    const device* dev;  // null: shapes only

    explicit cuda_validator_hooks(const device* d) : dev(d) {}

    static const char* backend_name() { return "CUDA"; }
    // GET_ROWS, MATMUL and MATMUL_EXPERTS read their weights through the weight kernels.
    static bool decodes(uint32_t /*op*/, uint32_t weight_type) { return weight_type_supported(weight_type); }

    // Device memory: a tensor can overlap only tensors of its own buffer.
    sdk::buffer_location locate(const plinth_buffer_s* b) const {
        sdk::buffer_location at;
        at.on_this_device = b->dev == dev && b->dev != nullptr;
        at.size = b->size;
        at.space = b;
        return at;
    }
    static void place(tensor_view& view, const plinth_tensor& t, const sdk::buffer_location& /*where*/) {
        view.buffer = t.buffer;
        view.offset = t.offset;
        view.data = static_cast<char*>(t.buffer->ptr) + t.offset;
    }

    plinth_status node_limits(const plinth_graph& graph, const node_view& n, const sdk::node_failure& fail) const {
        const plinth_node& node = *n.node;
        if (node.op == PLINTH_OP_ATTENTION) {
            if (node.i[2] > kernels::attention_max_head_dim)
                return fail.unsupported("head_dim i[2] = %d; the CUDA backend's attention takes at most %d", node.i[2],
                                        kernels::attention_max_head_dim);
            if (n.src[3].elements * node.i[0] > max_grid)
                return fail.unsupported("%lld tokens x %d heads are more thread blocks than one launch takes",
                                        (long long)n.src[3].elements, node.i[0]);
        }
        if (node.op == PLINTH_OP_KV_STORE && n.src[0].rows > max_grid)
            return fail.unsupported("%lld rows are more thread blocks than one launch takes", (long long)n.src[0].rows);
        // ROPE's factors are read on the host when the graph is prepared (the tables are made there).
        return sdk::refuse_factors_written_in_graph(graph, n.index, "CUDA", fail);
    }
};

}  // namespace

plinth_status check_node(const plinth_graph& graph, const device* dev, uint32_t index, node_view& out, plinth_message* err) {
    const cuda_validator_hooks hooks(dev);
    const sdk::validation_mode mode = dev ? sdk::validation_mode::full : sdk::validation_mode::shapes;
    return sdk::node_validator<cuda_validator_hooks>(graph, hooks, mode, err).node(index, out);
}

}  // namespace plinth::cuda
