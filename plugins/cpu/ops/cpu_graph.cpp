// graph_compute, supports_node and set_option of the CPU backend: every node of a graph is checked
// (indices, types, shapes, parameters, buffer bounds, overlaps) before the first one runs, then
// the nodes run in order on the thread pool.
#include "compute.hpp"
#include "ops.hpp"

#include "../cpu_buffer.hpp"
#include "../cpu_device.hpp"
#include "../quant/quant_api.hpp"

#include <plinth/sdk/op_rules.hpp>

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <mutex>
#include <new>

namespace plinth::cpu {

// ---- scratch memory

void scratch_buffer::free_aligned::operator()(void* p) const { std::free(p); }

void* scratch_buffer::get(size_t bytes) {
    if (bytes > size_ || !data_) {
        const size_t rounded = (std::max<size_t>(bytes, 64) + 63) / 64 * 64;
        data_.reset();
        size_ = 0;
        void* p = std::aligned_alloc(64, rounded);
        if (!p) throw std::bad_alloc();
        data_.reset(p);
        size_ = rounded;
    }
    return data_.get();
}

// ---- messages

plinth_status node_error(plinth_message* err, const node_view& n, const char* fmt, ...) {
    if (err) {
        const int used = std::snprintf(err->text, sizeof(err->text), "node %u (%s): ", n.index,
                                       plinth_op_name(n.node ? n.node->op : 0));
        if (used >= 0 && size_t(used) < sizeof(err->text)) {
            va_list args;
            va_start(args, fmt);
            std::vsnprintf(err->text + used, sizeof(err->text) - size_t(used), fmt, args);
            va_end(args);
        }
    }
    return PLINTH_ERR_INVALID_ARGUMENT;
}

namespace {

plinth_status fail(plinth_message* err, plinth_status status, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

plinth_status fail(plinth_message* err, plinth_status status, const char* fmt, ...) {
    if (err) {
        va_list args;
        va_start(args, fmt);
        std::vsnprintf(err->text, sizeof(err->text), fmt, args);
        va_end(args);
    }
    return status;
}


// ---- validation



bool is_weight_type(uint32_t type) { return quant::is_supported(type); }


// The sources a node reads: its op's, and ROPE's optional frequency factors.
int sources(const plinth_node& node) { return sdk::rope_has_factors(node) ? 3 : sdk::op_sources(node.op); }

struct validator {
    const plinth_graph& graph;
    bool memory;  // also check buffers (graph_compute), not only types and shapes (supports_node)
    plinth_message* err;

    // Fills n.dst / n.src[k] from the node's indices.
    plinth_status tensor(node_view& n, uint32_t index, const char* role, tensor_view& out) const {
        if (index >= graph.n_tensors)
            return node_error(err, n, "%s is tensor %u, but the graph has %u tensors", role, index, graph.n_tensors);
        const plinth_tensor& t = graph.tensors[index];
        out.index = index;
        out.type = t.type;
        const plinth_weight_type_traits traits = plinth_weight_type_info(t.type);
        if (!traits.name) return node_error(err, n, "%s (tensor %u) has unknown type %u", role, index, t.type);
        uint64_t elements = 1;
        for (int d = 0; d < 4; ++d) {
            if (t.shape[d] == 0)
                return node_error(err, n, "%s (tensor %u) has shape[%d] = 0", role, index, d);
            if (__builtin_mul_overflow(elements, t.shape[d], &elements) || elements > (uint64_t(1) << 48))
                return node_error(err, n, "%s (tensor %u) has too many elements", role, index);
            out.ne[d] = int64_t(t.shape[d]);
        }
        if (t.shape[0] % traits.block_size != 0)
            return node_error(err, n, "%s (tensor %u): a %s row of %llu elements is not a whole number of %u-element blocks",
                              role, index, traits.name, (unsigned long long)t.shape[0], traits.block_size);
        out.ne0 = out.ne[0];
        out.rows = out.ne[1] * out.ne[2] * out.ne[3];
        out.elements = int64_t(elements);
        out.row_bytes = t.shape[0] / traits.block_size * traits.block_bytes;
        out.bytes = out.row_bytes * uint64_t(out.rows);
        out.data = nullptr;
        if (!memory) return PLINTH_OK;

        const plinth_buffer_s* b = t.buffer;
        if (!b) return node_error(err, n, "%s (tensor %u) has no buffer", role, index);
        if (t.offset > b->size || out.bytes > b->size - t.offset)
            return node_error(err, n, "%s (tensor %u): %llu bytes at offset %llu run past the end of its %llu-byte buffer",
                              role, index, (unsigned long long)out.bytes, (unsigned long long)t.offset,
                              (unsigned long long)b->size);
        if (!b->data) return node_error(err, n, "%s (tensor %u) is in a buffer with no memory", role, index);
        out.data = static_cast<char*>(b->data) + t.offset;
        if (reinterpret_cast<uintptr_t>(out.data) % sdk::type_alignment(t.type) != 0)
            return node_error(err, n, "%s (tensor %u): %s data at offset %llu is not %llu-byte aligned", role, index,
                              traits.name, (unsigned long long)t.offset,
                              (unsigned long long)sdk::type_alignment(t.type));
        return PLINTH_OK;
    }

    // The op's type and shape rules (shared by every backend), with the weight types plinth_quant has.
    plinth_status check_shapes(node_view& n) const {
        return sdk::check_op_rules(
            graph, *n.node, n.dst, n.src, [&](const char* message) { return node_error(err, n, "%s", message); },
            [&](uint32_t op, const tensor_view& w) -> plinth_status {
                if (is_weight_type(w.type)) return PLINTH_OK;
                if (op == PLINTH_OP_GET_ROWS)
                    return node_error(err, n, "src0 (tensor %u) has type %s, which the CPU backend cannot read", w.index,
                                      sdk::type_name(w.type));
                return node_error(err, n, "src0 (tensor %u) has weight type %s, which the CPU backend cannot multiply",
                                  w.index, sdk::type_name(w.type));
            });
    }

    static bool overlap(const tensor_view& a, const tensor_view& b) {
        return a.data < b.data + b.bytes && b.data < a.data + a.bytes;
    }

    // What may share memory with what: element-wise ops may write over a source of the same
    // layout (in place); no op may write over memory it reads at other positions.
    plinth_status check_overlaps(const node_view& n) const {
        const uint32_t op = n.node->op;
        const bool elementwise = sdk::op_is_elementwise(op);
        const tensor_view& d = n.dst;
        for (int k = 0; k < sources(*n.node); ++k) {
            const tensor_view& s = n.src[k];
            if (op == PLINTH_OP_KV_STORE && k == 1) continue;  // the cache is the destination
            if (!overlap(d, s)) continue;
            const bool same = d.data == s.data && d.bytes == s.bytes && d.type == s.type && d.ne0 == s.ne0;
            if (!(elementwise && same))
                return node_error(err, n, "dst (tensor %u) overlaps %s (tensor %u)%s", d.index, sdk::kSourceRole[k], s.index,
                                  elementwise ? " without being the same tensor" : "");
        }
        return PLINTH_OK;
    }

    plinth_status node(uint32_t index, node_view& n) const {
        n = node_view{};
        n.index = index;
        n.node = &graph.nodes[index];
        const plinth_node& node = *n.node;
        if (node.op < PLINTH_OP_GET_ROWS || node.op > PLINTH_OP_LAST)
            return node_error(err, n, "unknown op %u", node.op);
        plinth_status st = tensor(n, node.dst, "dst", n.dst);
        if (st != PLINTH_OK) return st;
        for (int k = 0; k < sources(node); ++k)
            if ((st = tensor(n, node.src[k], sdk::kSourceRole[k], n.src[k])) != PLINTH_OK) return st;
        if ((st = check_shapes(n)) != PLINTH_OK) return st;
        return memory ? check_overlaps(n) : PLINTH_OK;
    }
};

plinth_status check_graph_header(uint32_t device, const plinth_graph* graph, plinth_message* err) {
    if (device != 0) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "no CPU device %u (there is one: 0)", device);
    if (!graph) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "graph is NULL");
    if (graph->struct_size < sizeof(plinth_graph))
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "graph struct_size %u is smaller than plinth_graph (%zu)",
                    graph->struct_size, sizeof(plinth_graph));
    if (graph->n_tensors != 0 && !graph->tensors)
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "graph has %u tensors but no tensor array", graph->n_tensors);
    if (graph->n_nodes != 0 && !graph->nodes)
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "graph has %u nodes but no node array", graph->n_nodes);
    return PLINTH_OK;
}

// ---- the pool and its settings

unsigned default_threads() {
    unsigned threads = describe_cpu().physical_cores;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        const int allowed = CPU_COUNT(&set);  // e.g. a container limited to fewer cores
        if (allowed > 0) threads = std::min(threads, unsigned(allowed));
    }
    return std::max(1u, threads);
}

struct compute_state {
    std::mutex mutex;  // one graph at a time; set_option waits for it
    unsigned threads = 0;  // 0: default_threads()
    std::unique_ptr<thread_pool> pool;
    compute_context ctx;
    std::vector<node_view> views;

    void ensure_pool() {
        const unsigned want = threads ? threads : default_threads();
        if (pool && pool->size() == want) return;
        pool.reset();
        pool = std::make_unique<thread_pool>(want);
        ctx.pool = pool.get();
        ctx.per_thread.resize(want);
    }
};

// Never destroyed: the host may call shutdown (compute_shutdown) from its own static destructor,
// after this library's statics would be gone. shutdown joins the threads and frees the memory.
compute_state& state() {
    static compute_state* s = new compute_state;
    return *s;
}

plinth_status run_node(compute_context& ctx, const node_view& n, plinth_message* err) {
    switch (n.node->op) {
    case PLINTH_OP_GET_ROWS: return op_get_rows(ctx, n, err);
    case PLINTH_OP_RMS_NORM: return op_rms_norm(ctx, n, err);
    case PLINTH_OP_MATMUL: return op_matmul(ctx, n, err);
    case PLINTH_OP_ADD: return op_add(ctx, n, err);
    case PLINTH_OP_MUL: return op_mul(ctx, n, err);
    case PLINTH_OP_ROPE: return op_rope(ctx, n, err);
    case PLINTH_OP_SWIGLU: return op_swiglu(ctx, n, err);
    case PLINTH_OP_KV_STORE: return op_kv_store(ctx, n, err);
    case PLINTH_OP_ATTENTION: return op_attention(ctx, n, err);
    case PLINTH_OP_COPY: return op_copy(ctx, n, err);
    case PLINTH_OP_GEGLU: return op_geglu(ctx, n, err);
    case PLINTH_OP_SCALE: return op_scale(ctx, n, err);
    case PLINTH_OP_SOFTCAP: return op_softcap(ctx, n, err);
    case PLINTH_OP_MOE_ROUTE: return op_moe_route(ctx, n, err);
    case PLINTH_OP_MATMUL_EXPERTS: return op_matmul_experts(ctx, n, err);
    default: return node_error(err, n, "unknown op %u", n.node->op);
    }
}

bool overlaps(const tensor_view& a, const tensor_view& b) {
    return a.data < b.data + b.bytes && b.data < a.data + a.bytes;
}

// How many MATMUL nodes from views[i] on can run as one group (op_matmul_group): they read the same
// activation (same tensor memory, shape and type), their weights take the same activation format,
// and no result overlaps the activation or another member's result or weights (so running them
// together reads and writes exactly what running them in order would). 1 for anything else.
size_t matmul_siblings(const std::vector<node_view>& views, size_t i) {
    const node_view& first = views[i];
    if (first.node->op != PLINTH_OP_MATMUL) return 1;
    const tensor_view& x = first.src[1];
    const uint32_t act = quant::activation_type(first.src[0].type);
    size_t n = 1;
    for (; i + n < views.size() && n < kMaxMatmulGroup; ++n) {
        const node_view& m = views[i + n];
        if (m.node->op != PLINTH_OP_MATMUL || m.src[1].data != x.data || m.src[1].type != x.type || m.src[1].ne0 != x.ne0 ||
            m.src[1].rows != x.rows || quant::activation_type(m.src[0].type) != act)
            break;
        bool apart = !overlaps(m.dst, x);
        for (size_t k = 0; k < n && apart; ++k) {
            const node_view& o = views[i + k];
            apart = !overlaps(m.dst, o.dst) && !overlaps(m.dst, o.src[0]) && !overlaps(o.dst, m.src[0]);
        }
        if (!apart) break;
    }
    return n;
}

}  // namespace

plinth_status set_option(const char* key, const char* value, plinth_message* err) {
    if (!key) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "option key is NULL");
    if (std::strcmp(key, "simd") == 0) {  // the kernels' instruction set: auto, avx512, avx2, scalar
        if (!value) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "option 'simd' needs a value");
        auto& s = state();
        std::lock_guard<std::mutex> lock(s.mutex);  // no graph is computing while it changes
        if (!quant::set_dispatch_for_testing(value))
            return fail(err, PLINTH_ERR_INVALID_ARGUMENT,
                        "option 'simd' (the kernels' instruction set) must be auto, avx512, avx2, neon or scalar, and one "
                        "this CPU runs; not '%s'",
                        value);
        return PLINTH_OK;
    }
    if (std::strcmp(key, "threads") != 0)
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "unknown CPU backend option '%s' (known: threads, simd)", key);
    if (!value) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "option 'threads' needs a value");
    errno = 0;
    char* end = nullptr;
    const long long n = std::strtoll(value, &end, 10);
    if (end == value || *end != '\0' || errno == ERANGE || value[0] == '-' || value[0] == '+' ||
        value[0] == ' ' || n < 1 || n > 4096)
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "option 'threads' must be an integer from 1 to 4096, not '%s'",
                    value);
    auto& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    s.threads = unsigned(n);  // the pool is (re)built at the next graph_compute
    return PLINTH_OK;
}

int32_t supports_node(uint32_t device, const plinth_graph* graph, uint32_t node) {
    plinth_message ignored;
    if (check_graph_header(device, graph, &ignored) != PLINTH_OK || node >= graph->n_nodes) return 0;
    node_view view;
    return validator{*graph, false, &ignored}.node(node, view) == PLINTH_OK ? 1 : 0;
}

plinth_status graph_compute(uint32_t device, const plinth_graph* graph, plinth_message* err) {
    plinth_status st = check_graph_header(device, graph, err);
    if (st != PLINTH_OK) return st;
    auto& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    try {
        s.views.resize(graph->n_nodes);
        const validator check{*graph, true, err};
        for (uint32_t i = 0; i < graph->n_nodes; ++i)
            if ((st = check.node(i, s.views[i])) != PLINTH_OK) return st;
        if (graph->n_nodes == 0) return PLINTH_OK;
        s.ensure_pool();
        for (size_t i = 0; i < s.views.size();) {
            const size_t group = matmul_siblings(s.views, i);
            st = group > 1 ? op_matmul_group(s.ctx, &s.views[i], group, err) : run_node(s.ctx, s.views[i], err);
            if (st != PLINTH_OK) return st;
            i += group;
        }
        return PLINTH_OK;
    } catch (const std::bad_alloc&) {
        return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "out of memory for compute scratch");
    } catch (const std::exception& e) {
        return fail(err, PLINTH_ERR_INTERNAL, "graph_compute: %s", e.what());
    }
}

void compute_shutdown() {
    auto& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    s.ctx = compute_context{};
    s.pool.reset();
    s.views = {};
}

}  // namespace plinth::cpu
