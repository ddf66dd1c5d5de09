#pragma once
// Internal interface of the CPU backend's compute: the checked view of a node that every op
// receives, the scratch memory reused across calls, and one entry point per op.
//
// cpu_graph.cpp validates a node (indices, types, shapes, parameters, buffer bounds; the SDK's
// node_validator.hpp) before any op runs, so an op may rely on everything its section of
// compute.h states. What cannot be checked ahead (the values of index tensors) the op checks
// itself before it writes anything.
#include <plinth/plugin_api.h>
#include <plinth/sdk/node_validator.hpp>
#include <plinth/weight_types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "thread_pool.hpp"

namespace plinth::cpu {

// A tensor as the kernels see it: dense rows of ne0 elements (sdk::tensor_view), at a host address.
struct tensor_view : sdk::tensor_view {
    char* data = nullptr;  // null in a shape-only check (supports_node)
    const plinth_buffer_s* buffer = nullptr;  // the buffer it is in (cpu_buffer.hpp)

    template <class T>
    T* as() const { return reinterpret_cast<T*>(data); }
    char* row(int64_t r) const { return data + uint64_t(r) * row_bytes; }
};

using node_view = sdk::basic_node_view<tensor_view>;

// Memory that grows to the largest size asked for and is then reused (64-byte aligned).
class scratch_buffer {
public:
    void* get(size_t bytes);  // contents are not preserved across a growth

private:
    struct free_aligned { void operator()(void* p) const; };
    std::unique_ptr<void, free_aligned> data_;
    size_t size_ = 0;
};

struct compute_context {
    thread_pool* pool = nullptr;
    scratch_buffer shared;                 // one node's data for all threads (quantized activations)
    scratch_buffer experts;                // MATMUL_EXPERTS: gathered columns and products (op_matmul uses `shared`)
    std::vector<scratch_buffer> per_thread;  // pool->size() entries
};

// Writes "node N (OP): <message>" into err and returns PLINTH_ERR_INVALID_ARGUMENT.
plinth_status node_error(plinth_message* err, const node_view& n, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

plinth_status op_get_rows(compute_context& ctx, const node_view& n, plinth_message* err);
plinth_status op_rms_norm(compute_context& ctx, const node_view& n, plinth_message* err);
plinth_status op_matmul(compute_context& ctx, const node_view& n, plinth_message* err);
// Several MATMULs of one activation (e.g. a layer's q, k and v), as one job: the activation is
// converted once and all their tiles go to the threads together (one hand-off instead of several).
// The caller checks they may run together: matmul_siblings in cpu_graph.cpp.
constexpr size_t kMaxMatmulGroup = 4;
plinth_status op_matmul_group(compute_context& ctx, const node_view* nodes, size_t count, plinth_message* err);
plinth_status op_add(compute_context& ctx, const node_view& n, plinth_message* err);
plinth_status op_mul(compute_context& ctx, const node_view& n, plinth_message* err);
plinth_status op_rope(compute_context& ctx, const node_view& n, plinth_message* err);
plinth_status op_swiglu(compute_context& ctx, const node_view& n, plinth_message* err);
plinth_status op_kv_store(compute_context& ctx, const node_view& n, plinth_message* err);
plinth_status op_attention(compute_context& ctx, const node_view& n, plinth_message* err);
plinth_status op_copy(compute_context& ctx, const node_view& n, plinth_message* err);
plinth_status op_geglu(compute_context& ctx, const node_view& n, plinth_message* err);
plinth_status op_scale(compute_context& ctx, const node_view& n, plinth_message* err);
plinth_status op_softcap(compute_context& ctx, const node_view& n, plinth_message* err);
plinth_status op_moe_route(compute_context& ctx, const node_view& n, plinth_message* err);
plinth_status op_matmul_experts(compute_context& ctx, const node_view& n, plinth_message* err);

// Rows per chunk so that a chunk holds about `elements` elements (at least one row).
inline int64_t rows_per_chunk(int64_t row_elements, int64_t elements = 16384) {
    return row_elements >= elements ? 1 : elements / (row_elements > 0 ? row_elements : 1);
}

}  // namespace plinth::cpu
