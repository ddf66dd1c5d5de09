#pragma once
// For backend authors: the checks every backend runs on a graph's nodes before it computes any
// (docs/backends.md, "Validate before running"), so that a graph one backend accepts the others
// accept too, and a malformed one is refused with the same words everywhere.
//
// Per tensor of a node: its index is in the graph, its type is known, no dimension is 0, it has at
// most 2^48 elements, its rows are whole blocks. Then the op's type and shape rules
// (check_op_rules, op_rules.hpp). In the full mode also: each tensor's bytes lie inside its buffer
// at the alignment its type needs, and no destination overlaps a source (element-wise ops may work
// in place, on the very same tensor). What differs between backends comes from their hooks
// (node_validator_hooks below): where a buffer's memory is, which weight types the backend decodes,
// and its own limits.
//
// Header-only and C++17, like the rest of the SDK.
#include <plinth/compute.h>
#include <plinth/plugin_api.h>
#include <plinth/sdk/op_rules.hpp>
#include <plinth/weight_types.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace plinth::sdk {

// A tensor as the checks found it: dense rows of ne0 elements. A backend adds what its kernels
// need by deriving from it (the CPU its host address, Vulkan its buffer and offset), filled in by
// its place hook.
struct tensor_view {
    uint32_t index = PLINTH_NO_TENSOR;  // in the graph
    uint32_t type = 0;
    int64_t ne[4] = {1, 1, 1, 1};
    int64_t ne0 = 0;       // elements per row
    int64_t rows = 0;      // ne[1] * ne[2] * ne[3]
    int64_t elements = 0;  // ne0 * rows
    uint64_t row_bytes = 0;
    uint64_t bytes = 0;    // row_bytes * rows
};

// A checked node: its tensors' views, dst and the node_sources(*node) first sources.
template <class Tensor>
struct basic_node_view {
    uint32_t index = 0;  // in the graph
    const plinth_node* node = nullptr;
    Tensor dst;
    Tensor src[PLINTH_NODE_MAX_SRC];
};
using node_view = basic_node_view<tensor_view>;

// What a backend's locate hook says about the buffer a tensor is in.
struct buffer_location {
    bool on_this_device = true;  // false: another device's buffer, or a freed one
    bool has_memory = true;      // false: a handle with no memory behind it
    uint64_t size = 0;           // bytes
    // Tensors can overlap only within one space: all of host memory (null, as the CPU answers: two
    // buffers may wrap the same bytes) or one device buffer (the buffer itself). base is the
    // address of the buffer's byte 0 in its space (a host pointer; 0 for a device buffer):
    // alignment and overlaps are counted from base + the tensor's offset.
    const void* space = nullptr;
    uint64_t base = 0;
};

enum class validation_mode {
    shapes,  // indices, types, shapes, parameters and the backend's limits (supports_node: no buffers yet)
    full,    // and buffers, bounds, alignment and overlaps (graph_compute)
};

// Writes "node N (OP): <message>" into err (which may be null) and returns the status given.
class node_failure {
public:
    node_failure(plinth_message* err, uint32_t node_index, uint32_t op) : err_(err), index_(node_index), op_(op) {}

    plinth_status report(plinth_status status, const char* fmt, va_list args) const {
        if (!err_) return status;
        const int used = std::snprintf(err_->text, sizeof(err_->text), "node %u (%s): ", index_, plinth_op_name(op_));
        if (used >= 0 && size_t(used) < sizeof(err_->text))
            std::vsnprintf(err_->text + used, sizeof(err_->text) - size_t(used), fmt, args);
        return status;
    }

    // A malformed node: PLINTH_ERR_INVALID_ARGUMENT.
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    plinth_status invalid(const char* fmt, ...) const {
        va_list args;
        va_start(args, fmt);
        const plinth_status st = report(PLINTH_ERR_INVALID_ARGUMENT, fmt, args);
        va_end(args);
        return st;
    }

    // A well-formed node this backend cannot run: PLINTH_ERR_UNSUPPORTED.
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    plinth_status unsupported(const char* fmt, ...) const {
        va_list args;
        va_start(args, fmt);
        const plinth_status st = report(PLINTH_ERR_UNSUPPORTED, fmt, args);
        va_end(args);
        return st;
    }

private:
    plinth_message* err_;
    uint32_t index_;
    uint32_t op_;
};

// The types GET_ROWS and MATMUL may read as weights: F32, F16, BF16 and the block formats. A backend
// that does not decode one of them refuses it as unsupported; any other type there is malformed.
inline bool is_weight_type(uint32_t type) {
    const plinth_weight_type_traits traits = plinth_weight_type_info(type);
    return traits.name && (traits.block_size > 1 || type == PLINTH_TYPE_F32 || type == PLINTH_TYPE_F16 ||
                           type == PLINTH_TYPE_BF16);
}

namespace detail {

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
inline plinth_status invalid_graph(plinth_message* err, const char* fmt, ...) {
    if (err) {
        va_list args;
        va_start(args, fmt);
        std::vsnprintf(err->text, sizeof(err->text), fmt, args);
        va_end(args);
    }
    return PLINTH_ERR_INVALID_ARGUMENT;
}

}  // namespace detail

// The graph itself, before its nodes: PLINTH_OK, or PLINTH_ERR_INVALID_ARGUMENT with a message.
inline plinth_status check_graph_header(const plinth_graph* graph, plinth_message* err) {
    if (!graph) return detail::invalid_graph(err, "graph is NULL");
    if (graph->struct_size < sizeof(plinth_graph))
        return detail::invalid_graph(err, "graph struct_size %u is smaller than plinth_graph (%zu)", graph->struct_size,
                                     sizeof(plinth_graph));
    if (graph->n_tensors != 0 && !graph->tensors)
        return detail::invalid_graph(err, "graph has %u tensors but no tensor array", graph->n_tensors);
    if (graph->n_nodes != 0 && !graph->nodes)
        return detail::invalid_graph(err, "graph has %u nodes but no node array", graph->n_nodes);
    return PLINTH_OK;
}

// The hooks through which a backend tells the validator what differs. A backend derives its hooks
// from node_validator_hooks<its tensor view> and defines
//   const char* backend_name() const;                            // "CPU", in refusals
//   bool decodes(uint32_t op, uint32_t weight_type) const;       // GET_ROWS / MATMUL weights it reads
//   buffer_location locate(const plinth_buffer_s* buffer) const; // full mode only; buffer not null
// and may redefine the members below, whose defaults add nothing.
template <class Tensor = tensor_view>
struct node_validator_hooks {
    using tensor = Tensor;

    // Full mode, once bounds and alignment hold: the backend's own members of the view.
    void place(Tensor& /*view*/, const plinth_tensor& /*tensor*/, const buffer_location& /*where*/) const {}

    // Both modes, for every tensor of a node once its shape is known (a size the backend cannot bind).
    plinth_status tensor_limits(const Tensor& /*view*/, const char* /*role*/, const node_failure& /*fail*/) const {
        return PLINTH_OK;
    }

    // Both modes, for a node that meets its op's rules (a parameter the backend's kernels do not take).
    plinth_status node_limits(const plinth_graph& /*graph*/, const basic_node_view<Tensor>& /*node*/,
                              const node_failure& /*fail*/) const {
        return PLINTH_OK;
    }
};

// Checks nodes of one graph (after check_graph_header) in the given mode:
//   sdk::node_validator<my_hooks> check(graph, hooks, sdk::validation_mode::full, err);
//   for (uint32_t i = 0; i < graph.n_nodes; ++i) if ((st = check.node(i, views[i])) != PLINTH_OK) return st;
template <class Hooks>
class node_validator {
public:
    using tensor = typename Hooks::tensor;
    using view = basic_node_view<tensor>;

    node_validator(const plinth_graph& graph, const Hooks& hooks, validation_mode mode, plinth_message* err)
        : graph_(graph), hooks_(hooks), mode_(mode), err_(err) {}

    // Node `index` (< graph.n_nodes): fills `out` and returns PLINTH_OK, or reports the first problem.
    plinth_status node(uint32_t index, view& out) const {
        out = view{};
        out.index = index;
        out.node = &graph_.nodes[index];
        const plinth_node& node = *out.node;
        const node_failure fail(err_, index, node.op);
        if (node.op < PLINTH_OP_GET_ROWS || node.op > PLINTH_OP_LAST) return fail.invalid("unknown op %u", node.op);
        span spans[1 + PLINTH_NODE_MAX_SRC];
        plinth_status st = tensor_at(fail, node.dst, "dst", out.dst, spans[0]);
        if (st != PLINTH_OK) return st;
        const int sources = node_sources(node);
        for (int k = 0; k < sources; ++k)
            if ((st = tensor_at(fail, node.src[k], kSourceRole[k], out.src[k], spans[1 + k])) != PLINTH_OK) return st;
        st = check_op_rules(
            graph_, node, out.dst, out.src, [&](const char* message) { return fail.invalid("%s", message); },
            [&](uint32_t op, const tensor& w) { return weights(fail, op, w); });
        if (st != PLINTH_OK) return st;
        if ((st = hooks_.node_limits(graph_, out, fail)) != PLINTH_OK) return st;
        return mode_ == validation_mode::full ? overlaps(fail, out, spans) : PLINTH_OK;
    }

private:
    // Where a tensor's bytes are (full mode).
    struct span {
        const void* space = nullptr;
        uint64_t begin = 0;
    };

    plinth_status tensor_at(const node_failure& fail, uint32_t index, const char* role, tensor& out, span& where) const {
        if (index >= graph_.n_tensors)
            return fail.invalid("%s is tensor %u, but the graph has %u tensors", role, index, graph_.n_tensors);
        const plinth_tensor& t = graph_.tensors[index];
        out.index = index;
        out.type = t.type;
        const plinth_weight_type_traits traits = plinth_weight_type_info(t.type);
        if (!traits.name) return fail.invalid("%s (tensor %u) has unknown type %u", role, index, t.type);
        constexpr uint64_t max_elements = uint64_t(1) << 48;
        uint64_t elements = 1;
        for (int d = 0; d < 4; ++d) {
            if (t.shape[d] == 0) return fail.invalid("%s (tensor %u) has shape[%d] = 0", role, index, d);
            if (t.shape[d] > max_elements / elements) return fail.invalid("%s (tensor %u) has too many elements", role, index);
            elements *= t.shape[d];
            out.ne[d] = int64_t(t.shape[d]);
        }
        if (t.shape[0] % traits.block_size != 0)
            return fail.invalid("%s (tensor %u): a %s row of %llu elements is not a whole number of %u-element blocks", role,
                                index, traits.name, (unsigned long long)t.shape[0], traits.block_size);
        out.ne0 = out.ne[0];
        out.rows = out.ne[1] * out.ne[2] * out.ne[3];
        out.elements = int64_t(elements);
        out.row_bytes = t.shape[0] / traits.block_size * traits.block_bytes;
        out.bytes = out.row_bytes * uint64_t(out.rows);
        plinth_status st = hooks_.tensor_limits(out, role, fail);
        if (st != PLINTH_OK || mode_ != validation_mode::full) return st;

        if (!t.buffer) return fail.invalid("%s (tensor %u) has no buffer", role, index);
        const buffer_location at = hooks_.locate(t.buffer);
        if (!at.on_this_device)
            return fail.invalid("%s (tensor %u) is in a buffer of another device (or a freed one)", role, index);
        if (t.offset > at.size || out.bytes > at.size - t.offset)
            return fail.invalid("%s (tensor %u): %llu bytes at offset %llu run past the end of its %llu-byte buffer", role,
                                index, (unsigned long long)out.bytes, (unsigned long long)t.offset,
                                (unsigned long long)at.size);
        if (!at.has_memory) return fail.invalid("%s (tensor %u) is in a buffer with no memory", role, index);
        where.space = at.space;
        where.begin = at.base + t.offset;
        if (where.begin % type_alignment(t.type) != 0)
            return fail.invalid("%s (tensor %u): %s data at offset %llu is not %llu-byte aligned", role, index, traits.name,
                                (unsigned long long)t.offset, (unsigned long long)type_alignment(t.type));
        hooks_.place(out, t, at);
        return PLINTH_OK;
    }

    // check_op_rules' question for GET_ROWS and MATMUL: does this backend read these weights?
    plinth_status weights(const node_failure& fail, uint32_t op, const tensor& w) const {
        if (!is_weight_type(w.type))
            return fail.invalid("src0 (tensor %u) is %s, which is not a weight type", w.index, type_name(w.type));
        if (hooks_.decodes(op, w.type)) return PLINTH_OK;
        char decoded[160] = "";  // the types it does read, for the message
        for (uint32_t type = 0; type < PLINTH_TYPE_COUNT_; ++type) {
            if (!is_weight_type(type) || !hooks_.decodes(op, type)) continue;
            if (decoded[0]) std::strncat(decoded, ", ", sizeof(decoded) - std::strlen(decoded) - 1);
            std::strncat(decoded, type_name(type), sizeof(decoded) - std::strlen(decoded) - 1);
        }
        return fail.unsupported("src0 (tensor %u) has weight type %s, which the %s backend does not decode (%s)", w.index,
                                type_name(w.type), hooks_.backend_name(), decoded);
    }

    // Element-wise ops may write over a source of the same layout (in place); no op may write over
    // memory it reads at other positions.
    plinth_status overlaps(const node_failure& fail, const view& n, const span* spans) const {
        const uint32_t op = n.node->op;
        const bool elementwise = op_is_elementwise(op);
        const tensor& d = n.dst;
        const span& dw = spans[0];
        for (int k = 0; k < node_sources(*n.node); ++k) {
            if (op == PLINTH_OP_KV_STORE && k == 1) continue;  // the cache is the destination
            const tensor& s = n.src[k];
            const span& sw = spans[1 + k];
            const bool overlap = dw.space == sw.space && dw.begin < sw.begin + s.bytes && sw.begin < dw.begin + d.bytes;
            if (!overlap) continue;
            const bool same = dw.begin == sw.begin && d.bytes == s.bytes && d.type == s.type && d.ne0 == s.ne0;
            if (!(elementwise && same))
                return fail.invalid("dst (tensor %u) overlaps %s (tensor %u)%s", d.index, kSourceRole[k], s.index,
                                    elementwise ? " without being the same tensor" : "");
        }
        return PLINTH_OK;
    }

    const plinth_graph& graph_;
    const Hooks& hooks_;
    validation_mode mode_;
    plinth_message* err_;
};

}  // namespace plinth::sdk
