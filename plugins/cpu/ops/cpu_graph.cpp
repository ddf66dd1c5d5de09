// graph_compute, supports_node and set_option of the CPU backend: every node of a graph is checked
// (indices, types, shapes, parameters, buffer bounds, overlaps) before the first one runs, then
// the nodes run in order on the thread pool.
#include "compute.hpp"
#include "ops.hpp"

#include "../cpu_buffer.hpp"
#include "../cpu_device.hpp"
#include "../quant/quant_api.hpp"

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

const char* type_name(uint32_t type) {
    const char* name = plinth_weight_type_info(type).name;
    return name ? name : "an unknown type";
}

// ---- validation

const char* const kRole[] = {"src0", "src1", "src2", "src3", "src4", "src5"};

int sources_of(uint32_t op) {
    switch (op) {
    case PLINTH_OP_COPY: return 1;
    case PLINTH_OP_KV_STORE: return 3;
    case PLINTH_OP_ATTENTION: return 6;
    default: return 2;
    }
}

bool is_weight_type(uint32_t type) { return quant::is_supported(type); }

// The alignment a type's data needs: its widest scalar (blocks hold f16 scales; Q8_K an f32).
uint64_t alignment_of(uint32_t type) {
    switch (type) {
    case PLINTH_TYPE_F32: case PLINTH_TYPE_I32: case PLINTH_TYPE_Q8_K: return 4;
    case PLINTH_TYPE_I8: return 1;
    case PLINTH_TYPE_I64: case PLINTH_TYPE_F64: return 8;
    default: return 2;
    }
}

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
        if (reinterpret_cast<uintptr_t>(out.data) % alignment_of(t.type) != 0)
            return node_error(err, n, "%s (tensor %u): %s data at offset %llu is not %llu-byte aligned", role, index,
                              traits.name, (unsigned long long)t.offset,
                              (unsigned long long)alignment_of(t.type));
        return PLINTH_OK;
    }

    plinth_status need_type(const node_view& n, const tensor_view& t, const char* role,
                            std::initializer_list<uint32_t> types) const {
        for (uint32_t ok : types)
            if (t.type == ok) return PLINTH_OK;
        char list[64] = "";
        for (uint32_t ok : types) {
            if (list[0]) std::strncat(list, " or ", sizeof(list) - std::strlen(list) - 1);
            std::strncat(list, type_name(ok), sizeof(list) - std::strlen(list) - 1);
        }
        return node_error(err, n, "%s (tensor %u) is %s; %s needs %s", role, t.index, type_name(t.type),
                          plinth_op_name(n.node->op), list);
    }

    // Same row length and number of rows (the split of rows over shape[1..3] may differ).
    plinth_status same_shape(const node_view& n, const tensor_view& a, const char* role_a, const tensor_view& b,
                             const char* role_b) const {
        if (a.ne0 == b.ne0 && a.rows == b.rows) return PLINTH_OK;
        return node_error(err, n, "%s (tensor %u) is [%lld, %lld] but %s (tensor %u) is [%lld, %lld]", role_a, a.index,
                          (long long)a.ne0, (long long)a.rows, role_b, b.index, (long long)b.ne0, (long long)b.rows);
    }

    plinth_status check_shapes(node_view& n) const {
        const plinth_node& node = *n.node;
        const tensor_view& d = n.dst;
        const tensor_view* s = n.src;
        plinth_status st = PLINTH_OK;
#define PLINTH_TRY(expr) \
    if ((st = (expr)) != PLINTH_OK) return st
        switch (node.op) {
        case PLINTH_OP_GET_ROWS:
            if (!is_weight_type(s[0].type))
                return node_error(err, n, "src0 (tensor %u) has type %s, which the CPU backend cannot read", s[0].index,
                                  type_name(s[0].type));
            PLINTH_TRY(need_type(n, s[1], "src1", {PLINTH_TYPE_I32}));
            PLINTH_TRY(need_type(n, d, "dst", {PLINTH_TYPE_F32}));
            if (d.ne0 != s[0].ne0 || d.rows != s[1].elements)
                return node_error(err, n, "dst (tensor %u) is [%lld, %lld]; %lld-element rows of src0 for %lld indices need [%lld, %lld]",
                                  d.index, (long long)d.ne0, (long long)d.rows, (long long)s[0].ne0,
                                  (long long)s[1].elements, (long long)s[0].ne0, (long long)s[1].elements);
            return PLINTH_OK;

        case PLINTH_OP_RMS_NORM:
            PLINTH_TRY(need_type(n, s[0], "src0", {PLINTH_TYPE_F32}));
            PLINTH_TRY(need_type(n, s[1], "src1", {PLINTH_TYPE_F32}));
            PLINTH_TRY(need_type(n, d, "dst", {PLINTH_TYPE_F32}));
            if (s[1].elements != s[0].ne0)
                return node_error(err, n, "src1 (tensor %u) has %lld elements; the rows of src0 have %lld", s[1].index,
                                  (long long)s[1].elements, (long long)s[0].ne0);
            PLINTH_TRY(same_shape(n, d, "dst", s[0], "src0"));
            if (!(node.f[0] >= 0.0f) || !std::isfinite(node.f[0]))
                return node_error(err, n, "eps f[0] = %g is not a finite number >= 0", double(node.f[0]));
            return PLINTH_OK;

        case PLINTH_OP_MATMUL:
            if (!is_weight_type(s[0].type))
                return node_error(err, n, "src0 (tensor %u) has weight type %s, which the CPU backend cannot multiply",
                                  s[0].index, type_name(s[0].type));
            PLINTH_TRY(need_type(n, s[1], "src1", {PLINTH_TYPE_F32}));
            PLINTH_TRY(need_type(n, d, "dst", {PLINTH_TYPE_F32}));
            if (s[1].ne0 != s[0].ne0)
                return node_error(err, n, "src1 (tensor %u) has rows of %lld elements; the weights src0 (tensor %u) have %lld",
                                  s[1].index, (long long)s[1].ne0, s[0].index, (long long)s[0].ne0);
            if (d.ne0 != s[0].rows || d.rows != s[1].rows)
                return node_error(err, n, "dst (tensor %u) is [%lld, %lld]; [%lld, %lld] weights times [%lld, %lld] give [%lld, %lld]",
                                  d.index, (long long)d.ne0, (long long)d.rows, (long long)s[0].ne0,
                                  (long long)s[0].rows, (long long)s[1].ne0, (long long)s[1].rows,
                                  (long long)s[0].rows, (long long)s[1].rows);
            return PLINTH_OK;

        case PLINTH_OP_ADD:
        case PLINTH_OP_SWIGLU:
            PLINTH_TRY(need_type(n, s[0], "src0", {PLINTH_TYPE_F32}));
            PLINTH_TRY(need_type(n, s[1], "src1", {PLINTH_TYPE_F32}));
            PLINTH_TRY(need_type(n, d, "dst", {PLINTH_TYPE_F32}));
            PLINTH_TRY(same_shape(n, s[1], "src1", s[0], "src0"));
            return same_shape(n, d, "dst", s[0], "src0");

        case PLINTH_OP_MUL:
            PLINTH_TRY(need_type(n, s[0], "src0", {PLINTH_TYPE_F32}));
            PLINTH_TRY(need_type(n, s[1], "src1", {PLINTH_TYPE_F32}));
            PLINTH_TRY(need_type(n, d, "dst", {PLINTH_TYPE_F32}));
            if (!(s[1].ne0 == s[0].ne0 && (s[1].rows == 1 || s[1].rows == s[0].rows)))
                return node_error(err, n, "src1 (tensor %u) is [%lld, %lld]: neither src0's shape [%lld, %lld] nor one row of it",
                                  s[1].index, (long long)s[1].ne0, (long long)s[1].rows, (long long)s[0].ne0,
                                  (long long)s[0].rows);
            return same_shape(n, d, "dst", s[0], "src0");

        case PLINTH_OP_ROPE: {
            PLINTH_TRY(need_type(n, s[0], "src0", {PLINTH_TYPE_F32}));
            PLINTH_TRY(need_type(n, s[1], "src1", {PLINTH_TYPE_I32}));
            PLINTH_TRY(need_type(n, d, "dst", {PLINTH_TYPE_F32}));
            PLINTH_TRY(same_shape(n, d, "dst", s[0], "src0"));
            const int64_t tokens = s[1].elements;
            if (s[0].rows % tokens != 0)
                return node_error(err, n, "src0 (tensor %u) has %lld rows, not a whole number of heads for %lld positions",
                                  s[0].index, (long long)s[0].rows, (long long)tokens);
            const int32_t n_rot = node.i[0], mode = node.i[1];
            if (n_rot <= 0 || n_rot % 2 != 0 || n_rot > s[0].ne0)
                return node_error(err, n, "rotated dims i[0] = %d must be even, > 0 and <= head_dim %lld", n_rot,
                                  (long long)s[0].ne0);
            if (mode != 0 && mode != 2) return node_error(err, n, "mode i[1] = %d is neither 0 nor 2 (NeoX)", mode);
            if (!(node.f[0] > 0.0f) || !std::isfinite(node.f[0]))
                return node_error(err, n, "frequency base f[0] = %g is not a finite number > 0", double(node.f[0]));
            if (!(node.f[1] > 0.0f) || !std::isfinite(node.f[1]))
                return node_error(err, n, "frequency scale f[1] = %g is not a finite number > 0 (1 for none)",
                                  double(node.f[1]));
            return PLINTH_OK;
        }

        case PLINTH_OP_KV_STORE:
            PLINTH_TRY(need_type(n, s[0], "src0", {PLINTH_TYPE_F32}));
            PLINTH_TRY(need_type(n, s[1], "src1", {PLINTH_TYPE_F32, PLINTH_TYPE_F16}));
            PLINTH_TRY(need_type(n, s[2], "src2", {PLINTH_TYPE_I32}));
            if (s[1].ne0 != s[0].ne0)
                return node_error(err, n, "the cache src1 (tensor %u) has rows of %lld elements; src0 (tensor %u) has %lld",
                                  s[1].index, (long long)s[1].ne0, s[0].index, (long long)s[0].ne0);
            if (s[2].elements != s[0].rows)
                return node_error(err, n, "src2 (tensor %u) has %lld slots for %lld rows of src0", s[2].index,
                                  (long long)s[2].elements, (long long)s[0].rows);
            if (node.dst != node.src[1]) {
                const plinth_tensor& a = graph.tensors[node.dst];
                const plinth_tensor& b = graph.tensors[node.src[1]];
                if (a.type != b.type || a.buffer != b.buffer || a.offset != b.offset ||
                    std::memcmp(a.shape, b.shape, sizeof(a.shape)) != 0)
                    return node_error(err, n, "dst (tensor %u) must be the cache src1 (tensor %u)", node.dst, node.src[1]);
            }
            return PLINTH_OK;

        case PLINTH_OP_ATTENTION: {
            PLINTH_TRY(need_type(n, s[0], "src0", {PLINTH_TYPE_F32}));
            PLINTH_TRY(need_type(n, s[1], "src1", {PLINTH_TYPE_F32, PLINTH_TYPE_F16}));
            PLINTH_TRY(need_type(n, s[2], "src2", {s[1].type}));
            for (int k = 3; k < 6; ++k) PLINTH_TRY(need_type(n, s[k], kRole[k], {PLINTH_TYPE_I32}));
            PLINTH_TRY(need_type(n, d, "dst", {PLINTH_TYPE_F32}));
            const int32_t heads = node.i[0], kv_heads = node.i[1], head_dim = node.i[2], block = node.i[3];
            if (heads <= 0 || kv_heads <= 0 || head_dim <= 0 || block <= 0)
                return node_error(err, n, "heads i[0] = %d, kv_heads i[1] = %d, head_dim i[2] = %d and block size i[3] = %d must be > 0",
                                  heads, kv_heads, head_dim, block);
            if (heads % kv_heads != 0)
                return node_error(err, n, "heads i[0] = %d is not a multiple of kv_heads i[1] = %d", heads, kv_heads);
            const int64_t tokens = s[3].elements;
            const int64_t q_row = int64_t(head_dim) * heads, kv_row = int64_t(head_dim) * kv_heads;
            if (s[0].elements % tokens != 0 || s[0].elements / tokens != q_row ||
                (s[0].ne0 != head_dim && s[0].ne0 != q_row))
                return node_error(err, n, "q src0 (tensor %u) is [%lld, %lld, %lld], not [head_dim %d, heads %d, T %lld]",
                                  s[0].index, (long long)s[0].ne[0], (long long)s[0].ne[1], (long long)s[0].ne[2],
                                  head_dim, heads, (long long)tokens);
            if (s[1].ne0 != kv_row)
                return node_error(err, n, "the K cache src1 (tensor %u) has rows of %lld elements, not head_dim * kv_heads = %lld",
                                  s[1].index, (long long)s[1].ne0, (long long)kv_row);
            PLINTH_TRY(same_shape(n, s[2], "the V cache src2", s[1], "the K cache src1"));
            if (s[4].elements != tokens)
                return node_error(err, n, "src4 (tensor %u) has %lld sequence rows for %lld positions in src3", s[4].index,
                                  (long long)s[4].elements, (long long)tokens);
            if (d.ne0 != q_row || d.rows != tokens)
                return node_error(err, n, "dst (tensor %u) is [%lld, %lld], not [head_dim * heads = %lld, T = %lld]", d.index,
                                  (long long)d.ne0, (long long)d.rows, (long long)q_row, (long long)tokens);
            if (!std::isfinite(node.f[0])) return node_error(err, n, "scale f[0] is not finite");
            return PLINTH_OK;
        }

        case PLINTH_OP_COPY:
            PLINTH_TRY(need_type(n, s[0], "src0", {PLINTH_TYPE_F32, PLINTH_TYPE_F16}));
            PLINTH_TRY(need_type(n, d, "dst", {PLINTH_TYPE_F32, PLINTH_TYPE_F16}));
            if (d.elements != s[0].elements)
                return node_error(err, n, "dst (tensor %u) has %lld elements, src0 (tensor %u) %lld", d.index,
                                  (long long)d.elements, s[0].index, (long long)s[0].elements);
            return PLINTH_OK;
        }
#undef PLINTH_TRY
        return node_error(err, n, "unknown op %u", node.op);
    }

    static bool overlap(const tensor_view& a, const tensor_view& b) {
        return a.data < b.data + b.bytes && b.data < a.data + a.bytes;
    }

    // What may share memory with what: element-wise ops may write over a source of the same
    // layout (in place); no op may write over memory it reads at other positions.
    plinth_status check_overlaps(const node_view& n) const {
        const uint32_t op = n.node->op;
        const bool elementwise = op == PLINTH_OP_RMS_NORM || op == PLINTH_OP_ADD || op == PLINTH_OP_MUL ||
                                 op == PLINTH_OP_ROPE || op == PLINTH_OP_SWIGLU || op == PLINTH_OP_COPY;
        const tensor_view& d = n.dst;
        for (int k = 0; k < sources_of(op); ++k) {
            const tensor_view& s = n.src[k];
            if (op == PLINTH_OP_KV_STORE && k == 1) continue;  // the cache is the destination
            if (!overlap(d, s)) continue;
            const bool same = d.data == s.data && d.bytes == s.bytes && d.type == s.type && d.ne0 == s.ne0;
            if (!(elementwise && same))
                return node_error(err, n, "dst (tensor %u) overlaps %s (tensor %u)%s", d.index, kRole[k], s.index,
                                  elementwise ? " without being the same tensor" : "");
        }
        return PLINTH_OK;
    }

    plinth_status node(uint32_t index, node_view& n) const {
        n = node_view{};
        n.index = index;
        n.node = &graph.nodes[index];
        const plinth_node& node = *n.node;
        if (node.op < PLINTH_OP_GET_ROWS || node.op > PLINTH_OP_COPY)
            return node_error(err, n, "unknown op %u", node.op);
        plinth_status st = tensor(n, node.dst, "dst", n.dst);
        if (st != PLINTH_OK) return st;
        for (int k = 0; k < sources_of(node.op); ++k)
            if ((st = tensor(n, node.src[k], kRole[k], n.src[k])) != PLINTH_OK) return st;
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
                        "option 'simd' must be auto, avx512, avx2, neon or scalar, and one this CPU runs; not '%s'", value);
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
