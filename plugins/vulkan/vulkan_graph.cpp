// graph_compute, supports_node and set_option of the Vulkan backend.
//
// graph_compute: every node is checked (vulkan_node_checks.hpp: the SDK's node validator with this
// backend's limits) before anything is recorded, so a bad graph changes nothing. Then the aux
// buffer's tables are brought up to date, the nodes planned into dispatches
// (vulkan_dispatch_plan.hpp) and recorded into one command buffer (vulkan_recording.hpp); one
// submit, one wait. Index values (row ids, slots, positions, block-table entries) are checked by
// the shaders, which skip what is out of range and note the node in the aux buffer; graph_compute
// then reports it.
#include "vulkan_graph.hpp"

#include "vulkan_buffer.hpp"
#include "vulkan_dispatch_plan.hpp"
#include <plinth/sdk/gelu.hpp>
#include "vulkan_kernels.hpp"
#include "vulkan_node_checks.hpp"
#include "vulkan_recording.hpp"

#include <plinth/sdk/entry_guard.hpp>
#include <plinth/sdk/node_validator.hpp>

#include <algorithm>
#include <cstring>
#include <vector>

namespace plinth::vk {
namespace {

const char* index_meaning(uint32_t op) {
    switch (op) {
    case PLINTH_OP_GET_ROWS: return "a row id in src1 is outside src0's rows";
    case PLINTH_OP_KV_STORE: return "a slot in src2 is outside the cache";
    case PLINTH_OP_MATMUL_EXPERTS:
        return "a token has more experts with a nonzero routing weight (src2) than i[1] allows (that token's "
               "outputs are 0)";
    case PLINTH_OP_ATTENTION:
        return "a token's sequence row (src4) or position (src3) is outside the block table, or a block the "
               "token reads is outside the cache";
    default: return "an index is out of range";
    }
}

// Kept between graphs for their memory (callers hold the plugin's lock).
struct graph_scratch {
    std::vector<node_view> views;
    std::vector<dispatch> dispatches;
    sdk::rope_table_set rope;  // ROPE's tables in the aux buffer
};

graph_scratch& scratch() {
    static graph_scratch* s = new graph_scratch;
    return *s;
}

plinth_status compute(device& dev, const plinth_graph& graph, plinth_message* err) {
    graph_scratch& sc = scratch();
    plinth_status st = PLINTH_OK;
    sc.views.resize(graph.n_nodes);
    for (uint32_t i = 0; i < graph.n_nodes; ++i)
        if ((st = check_node(graph, *dev.phys, &dev, i, sc.views[i], err)) != PLINTH_OK) return st;
    if (graph.n_nodes == 0) return PLINTH_OK;

    // The aux buffer: the error word, GEGLU's F16 gelu table (sdk::fill_gelu_f16_table; its place is
    // kept in every graph, so that the tables after it stay put), then ROPE's cos / sin tables
    // (plinth/sdk/rope_table.hpp), one per rope setting of the graph, as long as the longest sequence
    // an ATTENTION node can read.
    uint32_t positions = sdk::rope_table_default_positions;
    for (const node_view& n : sc.views)
        if (n.node->op == PLINTH_OP_ATTENTION)
            positions = uint32_t(std::clamp<int64_t>(n.src[5].ne0 * n.node->i[3], positions, sdk::rope_table_max_positions));
    sdk::rope_table_set& rope = sc.rope;
    rope.clear(graph.n_nodes);
    bool geglu = false;
    for (uint32_t i = 0; i < graph.n_nodes; ++i) {
        const node_view& n = sc.views[i];
        const plinth_node& node = *n.node;
        geglu = geglu || node.op == PLINTH_OP_GEGLU;
        if (node.op != PLINTH_OP_ROPE) continue;
        std::vector<float> factors;
        if (sdk::rope_has_factors(node)) {  // a few floats, read before the graph runs
            factors.resize(size_t(n.src[2].elements));
            if ((st = read_buffer(const_cast<plinth_buffer_s*>(n.src[2].buffer), n.src[2].offset, factors.data(),
                                  n.src[2].bytes, err)) != PLINTH_OK)
                return st;
        }
        rope.add(i, uint32_t(node.i[0]), node.f[0], node.f[1], positions, std::move(factors));
    }
    const uint64_t gelu_word = aux_header_words;
    const uint64_t aux_words = rope.lay_out(gelu_word + sdk::gelu_f16_table_entries / 2);
    if (dev.aux.size < aux_words * 4) {
        destroy_host_buffer(dev, dev.aux);
        dev.aux_rope_tables.clear();
        dev.aux_gelu_table = false;
        if ((st = create_host_buffer(dev, std::max<uint64_t>(aux_words * 4 * 2, 4096), dev.aux, err)) != PLINTH_OK)
            return st;
    }
    auto* aux = static_cast<uint32_t*>(dev.aux.mapped);
    aux[0] = no_error;
    if (dev.aux_rope_tables != rope.tables) {  // made once per setting, not per token
        for (size_t k = 0; k < rope.tables.size(); ++k)
            sdk::fill_rope_table(rope.tables[k], reinterpret_cast<float*>(aux + rope.word[k]));
        dev.aux_rope_tables = rope.tables;
    }
    if (geglu && !dev.aux_gelu_table) {  // once per aux buffer
        sdk::fill_gelu_f16_table(reinterpret_cast<uint16_t*>(aux + gelu_word));
        dev.aux_gelu_table = true;
    }

    if ((st = plan_dispatches(dev, sc.views, rope, gelu_word, sc.dispatches, err)) != PLINTH_OK) return st;
    if ((st = record_dispatches(dev, sc.dispatches, err)) != PLINTH_OK) return st;
    if ((st = submit_and_wait(dev, err)) != PLINTH_OK) return st;

    const uint32_t bad = aux[0];
    if (bad != no_error) {
        const uint32_t op = bad < graph.n_nodes ? graph.nodes[bad].op : 0;
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT,
                    "node %u (%s): %s (the entries out of range were skipped; the other nodes ran)", bad, plinth_op_name(op),
                    index_meaning(op));
    }
    return PLINTH_OK;
}

}  // namespace

plinth_status set_option(const char* key, const char* value, plinth_message* err) {
    if (!key) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "option key is NULL");
    const bool staging = std::strcmp(key, "staging") == 0, float64 = std::strcmp(key, "float64") == 0;
    if (!staging && !float64)
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "unknown Vulkan backend option '%s' (known: staging, float64)", key);
    const char* other = staging ? "always" : "off";
    if (!value || (std::strcmp(value, "auto") != 0 && std::strcmp(value, other) != 0))
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "option '%s' must be 'auto' or '%s', not '%s'", key, other,
                    value ? value : "(null)");
    context& c = ctx();
    std::lock_guard<std::mutex> lock(c.mutex);
    (staging ? c.always_stage : c.float64_off) = std::strcmp(value, other) == 0;
    return PLINTH_OK;
}

int32_t supports_node(uint32_t device_index, const plinth_graph* graph, uint32_t node) {
    try {
        plinth_message ignored;
        context& c = ctx();
        std::lock_guard<std::mutex> lock(c.mutex);
        if (!c.inst || device_index >= c.inst->devices.size()) return 0;
        if (sdk::check_graph_header(graph, &ignored) != PLINTH_OK || node >= graph->n_nodes) return 0;
        node_view view;
        return check_node(*graph, c.inst->devices[device_index], nullptr, node, view, &ignored) == PLINTH_OK ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

plinth_status graph_compute(uint32_t device_index, const plinth_graph* graph, plinth_message* err) {
    return sdk::guarded(err, "graph_compute", [&] {
        plinth_status st = sdk::check_graph_header(graph, err);
        if (st != PLINTH_OK) return st;
        context& c = ctx();
        std::lock_guard<std::mutex> lock(c.mutex);
        device* dev = nullptr;
        if ((st = get_device(device_index, &dev, err)) != PLINTH_OK) return st;
        return compute(*dev, *graph, err);
    });
}

void release_compute(device& dev) {
    if (dev.scratch) {
        if (dev.scratch->dev) free_buffer(dev, dev.scratch);
        else delete dev.scratch;  // release_all_buffers destroyed its memory and left the handle
        dev.scratch = nullptr;
    }
    release_pipelines(dev);
}

}  // namespace plinth::vk
