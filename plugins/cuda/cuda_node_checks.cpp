// The CUDA backend's hooks into the SDK's node validator.
#include "cuda_node_checks.hpp"

#include "cuda_buffer.hpp"
#include "kernels/kernels.hpp"
#include "quant/weight_kernels.hpp"

namespace plinth::cuda {
namespace {

// Bytes [begin, end) of a graph tensor in its buffer (0, 0 for one the checks would refuse).
void tensor_span(const plinth_tensor& t, uint64_t& begin, uint64_t& end) {
    const plinth_weight_type_traits traits = plinth_weight_type_info(t.type);
    begin = end = 0;
    if (!traits.name || traits.block_size == 0) return;
    uint64_t rows = 1;
    for (int d = 1; d < 4; ++d) {
        if (t.shape[d] == 0 || __builtin_mul_overflow(rows, t.shape[d], &rows)) return;
    }
    begin = t.offset;
    end = t.offset + t.shape[0] / traits.block_size * traits.block_bytes * rows;
}

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
        // ROPE's factors are read on the host when the graph is prepared (the cos / sin tables are
        // made there): a graph that writes them before the ROPE runs elsewhere.
        if (sdk::rope_has_factors(node)) {
            const plinth_tensor& f = graph.tensors[node.src[2]];
            uint64_t fb = 0, fe = 0;
            tensor_span(f, fb, fe);
            for (uint32_t i = 0; i < n.index; ++i) {
                const uint32_t w = graph.nodes[i].dst;
                if (w >= graph.n_tensors || graph.tensors[w].buffer != f.buffer) continue;
                uint64_t wb = 0, we = 0;
                tensor_span(graph.tensors[w], wb, we);
                if (wb < fe && fb < we)
                    return fail.unsupported("the frequency factors src2 (tensor %u) are written by node %u of the same "
                                            "graph; the CUDA backend reads them before the graph runs",
                                            node.src[2], i);
            }
        }
        return PLINTH_OK;
    }
};

}  // namespace

plinth_status check_node(const plinth_graph& graph, const device* dev, uint32_t index, node_view& out, plinth_message* err) {
    const cuda_validator_hooks hooks(dev);
    const sdk::validation_mode mode = dev ? sdk::validation_mode::full : sdk::validation_mode::shapes;
    return sdk::node_validator<cuda_validator_hooks>(graph, hooks, mode, err).node(index, out);
}

}  // namespace plinth::cuda
