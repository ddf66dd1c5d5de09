// graph_compute, supports_node and set_option of the CPU backend: every node of a graph is checked
// (indices, types, shapes, parameters, buffer bounds, overlaps: the SDK's node_validator.hpp) before
// the first one runs, then the nodes run in order on the thread pool.
#include "compute.hpp"
#include "ops.hpp"

#include "../cpu_buffer.hpp"
#include "../cpu_device.hpp"
#include "../quant/cpu_kernels.hpp"

#include <plinth/sdk/node_validator.hpp>

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
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
    va_list args;
    va_start(args, fmt);
    const plinth_status st =
        sdk::node_failure(err, n.index, n.node ? n.node->op : 0).report(PLINTH_ERR_INVALID_ARGUMENT, fmt, args);
    va_end(args);
    return st;
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

// ---- validation (the SDK's node_validator.hpp, with what is the CPU's own)

struct cpu_validator_hooks : sdk::node_validator_hooks<tensor_view> {
    static const char* backend_name() { return "CPU"; }
    // Every weight type plinth_weight_formats reads, for GET_ROWS and MATMUL alike.
    static bool decodes(uint32_t /*op*/, uint32_t weight_type) { return weight_formats::is_supported(weight_type); }
    // Host memory: one address space (two buffers may wrap the same bytes).
    static sdk::buffer_location locate(const plinth_buffer_s* b) {
        sdk::buffer_location at;
        at.size = b->size;
        at.has_memory = b->data != nullptr;
        at.base = reinterpret_cast<uintptr_t>(b->data);
        return at;
    }
    static void place(tensor_view& view, const plinth_tensor& t, const sdk::buffer_location& /*where*/) {
        view.data = static_cast<char*>(t.buffer->data) + t.offset;
        view.buffer = t.buffer;
    }
};

using validator = sdk::node_validator<cpu_validator_hooks>;

plinth_status check_graph_header(uint32_t device, const plinth_graph* graph, plinth_message* err) {
    if (device != 0) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "no CPU device %u (there is one: 0)", device);
    return sdk::check_graph_header(graph, err);
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
    const uint32_t act = weight_formats::activation_type(first.src[0].type);
    size_t n = 1;
    for (; i + n < views.size() && n < kMaxMatmulGroup; ++n) {
        const node_view& m = views[i + n];
        if (m.node->op != PLINTH_OP_MATMUL || m.src[1].data != x.data || m.src[1].type != x.type || m.src[1].ne0 != x.ne0 ||
            m.src[1].rows != x.rows || weight_formats::activation_type(m.src[0].type) != act)
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
    if (std::strcmp(key, "prefetch") == 0) {  // the level the weight rows' prefetches fill: auto, l1, l2
        if (!value) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "option 'prefetch' needs a value");
        auto& s = state();
        std::lock_guard<std::mutex> lock(s.mutex);
        if (!quant::set_weight_prefetch(value))
            return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "option 'prefetch' must be auto, l1 or l2, not '%s'", value);
        return PLINTH_OK;
    }
    if (std::strcmp(key, "threads") != 0)
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "unknown CPU backend option '%s' (known: threads, simd, prefetch)", key);
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
    const cpu_validator_hooks hooks;
    return validator(*graph, hooks, sdk::validation_mode::shapes, &ignored).node(node, view) == PLINTH_OK ? 1 : 0;
}

plinth_status graph_compute(uint32_t device, const plinth_graph* graph, plinth_message* err) {
    plinth_status st = check_graph_header(device, graph, err);
    if (st != PLINTH_OK) return st;
    auto& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    try {
        s.views.resize(graph->n_nodes);
        const cpu_validator_hooks hooks;
        const validator check(*graph, hooks, sdk::validation_mode::full, err);
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
