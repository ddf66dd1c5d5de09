// graph_compute, supports_node and set_option of the CUDA backend.
//
// graph_compute: every node is checked (cuda_node_checks.hpp: the SDK's node validator with this
// backend's limits) before anything is enqueued, so a bad graph changes nothing. Then the graph's
// shared resources are made ready on the device, every node enqueued on the stream (captured and
// launched as one CUDA graph: cuda_graph_replay.hpp), the error words read back and the stream
// waited for. Index values (row ids, slots, positions, block-table entries) are checked by the
// kernels, which skip what is out of range and set the node's error word; graph_compute then
// reports the first such node.
#include "cuda_graph.hpp"

#include "cuda_buffer.hpp"
#include <plinth/sdk/gelu.hpp>
#include "cuda_graph_replay.hpp"
#include "cuda_launch.hpp"
#include "cuda_node_checks.hpp"
#include "quant/weight_kernels.hpp"

#include <plinth/sdk/entry_guard.hpp>
#include <plinth/sdk/node_validator.hpp>

#include <algorithm>
#include <cstring>
#include <vector>

namespace plinth::cuda {
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

// ROPE's frequency factors as last read from a buffer: read again only when the buffer has
// changed since (an upload or a graph writing into it), not once per ROPE node of every graph.
struct factors_read {
    uint64_t buffer_id = 0, version = 0, offset = 0, bytes = 0;
    std::vector<float> values;
};

// Kept between graphs for their memory (callers hold the plugin's lock).
struct graph_scratch {
    std::vector<node_view> views;
    sdk::rope_table_set rope;
    std::vector<float> rope_host;
    std::vector<factors_read> factors;
};

// The factors src2 of a ROPE node, from the cache or read from the device.
plinth_status rope_factors(graph_scratch& sc, const tensor_view& t, std::vector<float>& out, plinth_message* err) {
    const plinth_buffer_s* b = t.buffer;
    for (const factors_read& f : sc.factors)
        if (f.buffer_id == b->id && f.version == b->version && f.offset == t.offset && f.bytes == t.bytes) {
            out = f.values;
            return PLINTH_OK;
        }
    out.resize(size_t(t.elements));
    const plinth_status st = read_buffer(b, t.offset, out.data(), t.bytes, err);
    if (st != PLINTH_OK) return st;
    if (sc.factors.size() >= 64) sc.factors.erase(sc.factors.begin());  // a few distinct tensors per model
    sc.factors.push_back(factors_read{b->id, b->version, t.offset, t.bytes, out});
    return PLINTH_OK;
}

graph_scratch& scratch() {
    static graph_scratch* s = new graph_scratch;
    return *s;
}

// The device bytes of the weight kernels' activations for a MATMUL or MATMUL_EXPERTS node.
uint64_t activation_need(const node_view& n) {
    const plinth_node& node = *n.node;
    if (node.op == PLINTH_OP_MATMUL) return activation_bytes(n.src[0].type, n.src[0].ne0, n.src[1].rows);
    if (node.op == PLINTH_OP_MATMUL_EXPERTS) {
        const int64_t T = n.src[2].rows, k = node.i[1];
        const bool per_slot = n.src[1].rows == T * k && k > 1;
        return activation_bytes(n.src[0].type, n.src[0].ne0, per_slot ? k * T : T);
    }
    return 0;
}

// A table from host memory onto the device, finished when it returns (on the device's stream: a
// plain cudaMemcpy from pageable memory may still be in flight when it returns, unordered with
// that non-blocking stream).
cudaError_t upload(device& dev, void* dst, const void* src, uint64_t bytes) {
    const cudaError_t e = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, dev.stream);
    return e != cudaSuccess ? e : cudaStreamSynchronize(dev.stream);
}

// ROPE's cos / sin tables for the graph's rope settings, on the device (uploaded only when the
// settings differ from the previous graph's).
plinth_status prepare_rope(device& dev, graph_scratch& sc, const plinth_graph& graph, plinth_message* err) {
    uint32_t positions = sdk::rope_table_default_positions;
    for (const node_view& n : sc.views)
        if (n.node->op == PLINTH_OP_ATTENTION)
            positions = uint32_t(std::clamp<int64_t>(n.src[5].ne0 * n.node->i[3], positions, sdk::rope_table_max_positions));
    sdk::rope_table_set& rope = sc.rope;
    rope.clear(graph.n_nodes);
    plinth_status st = PLINTH_OK;
    for (uint32_t i = 0; i < graph.n_nodes; ++i) {
        const node_view& n = sc.views[i];
        if (n.node->op != PLINTH_OP_ROPE) continue;
        std::vector<float> factors;
        if (sdk::rope_has_factors(*n.node) && (st = rope_factors(sc, n.src[2], factors, err)) != PLINTH_OK)
            return st;  // a few floats, read before the graph runs
        rope.add(i, uint32_t(n.node->i[0]), n.node->f[0], n.node->f[1], positions, std::move(factors));
    }
    const uint64_t words = rope.lay_out();
    if (words == 0 || dev.rope_cached == rope.tables) return PLINTH_OK;
    dev.rope_cached.clear();
    uint64_t capacity = dev.rope_table_words * sizeof(float);
    void* ptr = dev.rope_tables;
    st = ensure_device_memory(&ptr, capacity, words * sizeof(float), "ROPE's tables", err);
    dev.rope_tables = static_cast<float*>(ptr);
    dev.rope_table_words = capacity / sizeof(float);
    if (st != PLINTH_OK) return st;
    sc.rope_host.resize(size_t(words));
    for (size_t k = 0; k < rope.tables.size(); ++k) sdk::fill_rope_table(rope.tables[k], sc.rope_host.data() + rope.word[k]);
    const cudaError_t e = upload(dev, dev.rope_tables, sc.rope_host.data(), words * sizeof(float));
    if (e != cudaSuccess) return cuda_fail(err, e, "uploading ROPE's tables");
    dev.rope_cached = rope.tables;
    return PLINTH_OK;
}

plinth_status prepare_gelu(device& dev, plinth_message* err) {
    if (dev.gelu_table) return PLINTH_OK;
    std::vector<uint16_t> table(sdk::gelu_f16_table_entries);
    sdk::fill_gelu_f16_table(table.data());
    void* ptr = nullptr;
    cudaError_t e = cudaMalloc(&ptr, table.size() * sizeof(uint16_t));
    if (e != cudaSuccess) {
        cudaGetLastError();
        return cuda_fail(err, e, "cudaMalloc (GEGLU's table)");
    }
    if ((e = upload(dev, ptr, table.data(), table.size() * sizeof(uint16_t))) != cudaSuccess) {
        cudaFree(ptr);
        return cuda_fail(err, e, "uploading GEGLU's table");
    }
    dev.gelu_table = static_cast<uint16_t*>(ptr);
    return PLINTH_OK;
}

// What tells graphs apart for replay_as_graph: the node count and the ops in order (FNV-1a).
uint64_t graph_shape(const plinth_graph& graph) {
    uint64_t h = 1469598103934665603ull ^ graph.n_nodes;
    for (uint32_t i = 0; i < graph.n_nodes; ++i) h = (h ^ graph.nodes[i].op) * 1099511628211ull;
    return h;
}

plinth_status compute(device& dev, const plinth_graph& graph, plinth_message* err) {
    graph_scratch& sc = scratch();
    plinth_status st = PLINTH_OK;
    sc.views.resize(graph.n_nodes);
    for (uint32_t i = 0; i < graph.n_nodes; ++i)
        if ((st = check_node(graph, &dev, i, sc.views[i], err)) != PLINTH_OK) return st;
    if (graph.n_nodes == 0) return PLINTH_OK;

    // What the nodes share. The stream is idle here (every graph and copy waited for its work), so
    // memory can be replaced.
    graph_resources res;
    uint64_t scratch_need = 0;
    bool geglu = false;
    for (const node_view& n : sc.views) {
        scratch_need = std::max(scratch_need, activation_need(n));
        geglu = geglu || n.node->op == PLINTH_OP_GEGLU;
    }
    if (scratch_need > 0 &&
        (st = ensure_device_memory(&dev.scratch, dev.scratch_bytes, scratch_need, "the activation scratch", err)) != PLINTH_OK)
        return st;
    res.scratch = dev.scratch;
    if (dev.error_words < graph.n_nodes) {
        if (dev.errors) cudaFree(dev.errors);
        if (dev.errors_host) cudaFreeHost(dev.errors_host);
        dev.errors = nullptr;
        dev.errors_host = nullptr;
        dev.error_words = 0;
        const uint64_t words = std::max<uint64_t>(graph.n_nodes, 1024);
        cudaError_t e = cudaMalloc(reinterpret_cast<void**>(&dev.errors), words * 4);
        if (e == cudaSuccess) e = cudaMallocHost(reinterpret_cast<void**>(&dev.errors_host), words * 4);
        if (e != cudaSuccess) {
            cudaGetLastError();
            return cuda_fail(err, e, "allocating the error words");
        }
        dev.error_words = words;
    }
    res.errors = dev.errors;
    if (geglu && (st = prepare_gelu(dev, err)) != PLINTH_OK) return st;
    res.gelu_table = dev.gelu_table;
    if ((st = prepare_rope(dev, sc, graph, err)) != PLINTH_OK) return st;
    res.rope_tables = dev.rope_tables;
    res.rope = &sc.rope;
    res.tensor_cores = dev.props.major >= 8 && !ctx().tensor_cores_off;

    // Whatever the graph writes is new (rope_factors reads such a buffer again).
    for (const node_view& n : sc.views) ++const_cast<plinth_buffer_s*>(n.dst.buffer)->version;
    // The graph's work on the stream: the error words cleared, every node, the words read back.
    const auto enqueue = [&]() -> plinth_status {
        cudaError_t e = cudaMemsetAsync(dev.errors, 0, uint64_t(graph.n_nodes) * 4, dev.stream);
        if (e != cudaSuccess) return cuda_fail(err, e, "clearing the error words");
        for (const node_view& n : sc.views) {
            const plinth_status launched = launch_node(dev, n, res, err);
            if (launched != PLINTH_OK) return launched;
        }
        e = cudaMemcpyAsync(dev.errors_host, dev.errors, uint64_t(graph.n_nodes) * 4, cudaMemcpyDeviceToHost, dev.stream);
        return e == cudaSuccess ? PLINTH_OK : cuda_fail(err, e, "reading the error words back");
    };
    st = ctx().graphs_off ? enqueue() : replay_as_graph(dev, graph_shape(graph), enqueue, err);
    if (st != PLINTH_OK) {
        cudaStreamSynchronize(dev.stream);  // what was enqueued finishes before anything is reused
        return st;
    }
    const cudaError_t e = cudaStreamSynchronize(dev.stream);
    if (e != cudaSuccess) return cuda_fail(err, e, "running the graph");

    for (uint32_t i = 0; i < graph.n_nodes; ++i)
        if (dev.errors_host[i] != 0)
            return fail(err, PLINTH_ERR_INVALID_ARGUMENT,
                        "node %u (%s): %s (the entries out of range were skipped; the other nodes ran)", i,
                        plinth_op_name(graph.nodes[i].op), index_meaning(graph.nodes[i].op));
    return PLINTH_OK;
}

}  // namespace

plinth_status set_option(const char* key, const char* value, plinth_message* err) {
    if (!key) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "option key is NULL");
    const bool graphs = std::strcmp(key, "graphs") == 0, tensor_cores = std::strcmp(key, "tensor_cores") == 0;
    if (!graphs && !tensor_cores)
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "unknown CUDA backend option '%s' (known: graphs, tensor_cores)", key);
    if (!value || (std::strcmp(value, "on") != 0 && std::strcmp(value, "off") != 0))
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "option '%s' must be 'on' or 'off', not '%s'", key,
                    value ? value : "(null)");
    context& c = ctx();
    std::lock_guard<std::mutex> lock(c.mutex);
    (graphs ? c.graphs_off : c.tensor_cores_off) = std::strcmp(value, "off") == 0;
    return PLINTH_OK;
}

int32_t supports_node(uint32_t device_index, const plinth_graph* graph, uint32_t node) {
    try {
        plinth_message ignored;
        context& c = ctx();
        std::lock_guard<std::mutex> lock(c.mutex);
        if (device_index >= c.devices.size()) return 0;
        if (sdk::check_graph_header(graph, &ignored) != PLINTH_OK || node >= graph->n_nodes) return 0;
        node_view view;
        return check_node(*graph, nullptr, node, view, &ignored) == PLINTH_OK ? 1 : 0;
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

}  // namespace plinth::cuda
