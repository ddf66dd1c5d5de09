#pragma once
// For backend authors: the type and shape rules of every op in plinth/compute.h, the same whatever
// backend computes the node. node_validator.hpp calls check_op_rules after checking a node's
// tensors (indices, shapes, buffers, alignment) and adds the backend's own limits (which weight
// types it decodes, the sizes its kernels take) around it, so every backend refuses a malformed
// node with the same words.
//
// Header-only and C++17, like plugin_entry.hpp.
#include <plinth/compute.h>
#include <plinth/weight_types.h>

#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>

namespace plinth::sdk {

inline const char* const kSourceRole[] = {"src0", "src1", "src2", "src3", "src4", "src5"};

// How many of a node's sources an op reads (ROPE's optional third is not counted: a backend reads
// it when src[2] is set, see rope_has_factors).
inline int op_sources(uint32_t op) {
    switch (op) {
    case PLINTH_OP_COPY: case PLINTH_OP_SCALE: case PLINTH_OP_SOFTCAP: case PLINTH_OP_MOE_ROUTE: return 1;
    case PLINTH_OP_KV_STORE: case PLINTH_OP_MATMUL_EXPERTS: return 3;
    case PLINTH_OP_ATTENTION: return 6;
    default: return 2;
    }
}

inline bool rope_has_factors(const plinth_node& node) {
    return node.op == PLINTH_OP_ROPE && node.src[2] != PLINTH_NO_TENSOR;
}

// The sources a node reads: its op's, and ROPE's frequency factors where it has them.
inline int node_sources(const plinth_node& node) { return rope_has_factors(node) ? 3 : op_sources(node.op); }

// Ops that read each source element at the position they write (so dst may be a source itself).
inline bool op_is_elementwise(uint32_t op) {
    switch (op) {
    case PLINTH_OP_RMS_NORM: case PLINTH_OP_ADD: case PLINTH_OP_MUL: case PLINTH_OP_ROPE: case PLINTH_OP_SWIGLU:
    case PLINTH_OP_COPY: case PLINTH_OP_GEGLU: case PLINTH_OP_SCALE: case PLINTH_OP_SOFTCAP:
        return true;
    default: return false;
    }
}

// The alignment a type's data needs: its widest scalar (blocks hold f16 scales; Q8_K an f32).
inline uint64_t type_alignment(uint32_t type) {
    switch (type) {
    case PLINTH_TYPE_F32: case PLINTH_TYPE_I32: case PLINTH_TYPE_Q8_K: return 4;
    case PLINTH_TYPE_I8: return 1;
    case PLINTH_TYPE_I64: case PLINTH_TYPE_F64: return 8;
    default: return 2;
    }
}

inline const char* type_name(uint32_t type) {
    const char* name = plinth_weight_type_info(type).name;
    return name ? name : "an unknown type";
}

namespace detail {

// printf-style messages handed to the backend's fail(const char* message).
template <class Fail>
struct formatted_fail {
    Fail& fail;
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    plinth_status operator()(const char* fmt, ...) const {
        char text[PLINTH_MESSAGE_CAPACITY];
        va_list args;
        va_start(args, fmt);
        std::vsnprintf(text, sizeof(text), fmt, args);
        va_end(args);
        return fail(static_cast<const char*>(text));
    }
};

}  // namespace detail

// Checks node's types and shapes. View is the backend's tensor view, with the members index,
// type, ne[4], ne0 (elements per row), rows (ne[1] ne[2] ne[3]) and elements; d is the node's dst,
// s its sources (op_sources(op) of them filled in). fail(const char* message) reports a broken node
// and returns its status; weights(op, view) returns PLINTH_OK when the backend takes that weight
// type for GET_ROWS / MATMUL (and reports, and returns a status, when it does not).
template <class View, class Fail, class Weights>
plinth_status check_op_rules(const plinth_graph& graph, const plinth_node& node, const View& d, const View* s, Fail&& fail_message,
                             Weights&& weights) {
    const detail::formatted_fail<Fail> fail{fail_message};
    auto need_type = [&](const View& t, const char* role, std::initializer_list<uint32_t> types) -> plinth_status {
        for (uint32_t ok : types)
            if (t.type == ok) return PLINTH_OK;
        char list[64] = "";
        for (uint32_t ok : types) {
            if (list[0]) std::strncat(list, " or ", sizeof(list) - std::strlen(list) - 1);
            std::strncat(list, type_name(ok), sizeof(list) - std::strlen(list) - 1);
        }
        return fail("%s (tensor %u) is %s; %s needs %s", role, t.index, type_name(t.type), plinth_op_name(node.op), list);
    };
    // Same row length and number of rows (the split of rows over shape[1..3] may differ).
    auto same_shape = [&](const View& a, const char* role_a, const View& b, const char* role_b) -> plinth_status {
        if (a.ne0 == b.ne0 && a.rows == b.rows) return PLINTH_OK;
        return fail("%s (tensor %u) is [%lld, %lld] but %s (tensor %u) is [%lld, %lld]", role_a, a.index, (long long)a.ne0,
                    (long long)a.rows, role_b, b.index, (long long)b.ne0, (long long)b.rows);
    };
    plinth_status st = PLINTH_OK;
#define PLINTH_TRY(expr) \
    if ((st = (expr)) != PLINTH_OK) return st
    switch (node.op) {
    case PLINTH_OP_GET_ROWS:
        PLINTH_TRY(weights(node.op, s[0]));
        PLINTH_TRY(need_type(s[1], "src1", {PLINTH_TYPE_I32}));
        PLINTH_TRY(need_type(d, "dst", {PLINTH_TYPE_F32}));
        if (d.ne0 != s[0].ne0 || d.rows != s[1].elements)
            return fail("dst (tensor %u) is [%lld, %lld]; %lld-element rows of src0 for %lld indices need [%lld, %lld]",
                        d.index, (long long)d.ne0, (long long)d.rows, (long long)s[0].ne0,
                        (long long)s[1].elements, (long long)s[0].ne0, (long long)s[1].elements);
        return PLINTH_OK;

    case PLINTH_OP_RMS_NORM:
        PLINTH_TRY(need_type(s[0], "src0", {PLINTH_TYPE_F32}));
        PLINTH_TRY(need_type(s[1], "src1", {PLINTH_TYPE_F32}));
        PLINTH_TRY(need_type(d, "dst", {PLINTH_TYPE_F32}));
        if (s[1].elements != s[0].ne0)
            return fail("src1 (tensor %u) has %lld elements; the rows of src0 have %lld", s[1].index,
                        (long long)s[1].elements, (long long)s[0].ne0);
        PLINTH_TRY(same_shape(d, "dst", s[0], "src0"));
        if (!(node.f[0] >= 0.0f) || !std::isfinite(node.f[0]))
            return fail("eps f[0] = %g is not a finite number >= 0", double(node.f[0]));
        return PLINTH_OK;

    case PLINTH_OP_MATMUL:
        PLINTH_TRY(weights(node.op, s[0]));
        PLINTH_TRY(need_type(s[1], "src1", {PLINTH_TYPE_F32}));
        PLINTH_TRY(need_type(d, "dst", {PLINTH_TYPE_F32}));
        if (s[1].ne0 != s[0].ne0)
            return fail("src1 (tensor %u) has rows of %lld elements; the weights src0 (tensor %u) have %lld",
                        s[1].index, (long long)s[1].ne0, s[0].index, (long long)s[0].ne0);
        if (d.ne0 != s[0].rows || d.rows != s[1].rows)
            return fail("dst (tensor %u) is [%lld, %lld]; [%lld, %lld] weights times [%lld, %lld] give [%lld, %lld]",
                        d.index, (long long)d.ne0, (long long)d.rows, (long long)s[0].ne0,
                        (long long)s[0].rows, (long long)s[1].ne0, (long long)s[1].rows,
                        (long long)s[0].rows, (long long)s[1].rows);
        return PLINTH_OK;

    case PLINTH_OP_SWIGLU:
    case PLINTH_OP_GEGLU:
        PLINTH_TRY(need_type(s[0], "src0", {PLINTH_TYPE_F32}));
        PLINTH_TRY(need_type(s[1], "src1", {PLINTH_TYPE_F32}));
        PLINTH_TRY(need_type(d, "dst", {PLINTH_TYPE_F32}));
        PLINTH_TRY(same_shape(s[1], "src1", s[0], "src0"));
        return same_shape(d, "dst", s[0], "src0");

    case PLINTH_OP_ADD:
    case PLINTH_OP_MUL:
        PLINTH_TRY(need_type(s[0], "src0", {PLINTH_TYPE_F32}));
        PLINTH_TRY(need_type(s[1], "src1", {PLINTH_TYPE_F32}));
        PLINTH_TRY(need_type(d, "dst", {PLINTH_TYPE_F32}));
        if (!(s[1].ne0 == s[0].ne0 && (s[1].rows == 1 || s[1].rows == s[0].rows)))
            return fail("src1 (tensor %u) is [%lld, %lld]: neither src0's shape [%lld, %lld] nor one row of it",
                        s[1].index, (long long)s[1].ne0, (long long)s[1].rows, (long long)s[0].ne0,
                        (long long)s[0].rows);
        return same_shape(d, "dst", s[0], "src0");

    case PLINTH_OP_ROPE: {
        PLINTH_TRY(need_type(s[0], "src0", {PLINTH_TYPE_F32}));
        PLINTH_TRY(need_type(s[1], "src1", {PLINTH_TYPE_I32}));
        PLINTH_TRY(need_type(d, "dst", {PLINTH_TYPE_F32}));
        PLINTH_TRY(same_shape(d, "dst", s[0], "src0"));
        const int64_t tokens = s[1].elements;
        if (s[0].rows % tokens != 0)
            return fail("src0 (tensor %u) has %lld rows, not a whole number of heads for %lld positions",
                        s[0].index, (long long)s[0].rows, (long long)tokens);
        const int32_t n_rot = node.i[0], mode = node.i[1];
        if (n_rot <= 0 || n_rot % 2 != 0 || n_rot > s[0].ne0)
            return fail("rotated dims i[0] = %d must be even, > 0 and <= head_dim %lld", n_rot,
                        (long long)s[0].ne0);
        if (mode != 0 && mode != 2) return fail("mode i[1] = %d is neither 0 nor 2 (NeoX)", mode);
        if (!(node.f[0] > 0.0f) || !std::isfinite(node.f[0]))
            return fail("frequency base f[0] = %g is not a finite number > 0", double(node.f[0]));
        if (!(node.f[1] > 0.0f) || !std::isfinite(node.f[1]))
            return fail("frequency scale f[1] = %g is not a finite number > 0 (1 for none)",
                        double(node.f[1]));
        if (rope_has_factors(node)) {  // the factors' view is filled in by the backend as s[2]
            PLINTH_TRY(need_type(s[2], "src2", {PLINTH_TYPE_F32}));
            if (s[2].elements != n_rot / 2)
                return fail("frequency factors src2 (tensor %u) have %lld elements; %d rotated dims need %d",
                            s[2].index, (long long)s[2].elements, n_rot, n_rot / 2);
        }
        return PLINTH_OK;
    }

    case PLINTH_OP_KV_STORE:
        PLINTH_TRY(need_type(s[0], "src0", {PLINTH_TYPE_F32}));
        PLINTH_TRY(need_type(s[1], "src1", {PLINTH_TYPE_F32, PLINTH_TYPE_F16}));
        PLINTH_TRY(need_type(s[2], "src2", {PLINTH_TYPE_I32}));
        if (s[1].ne0 != s[0].ne0)
            return fail("the cache src1 (tensor %u) has rows of %lld elements; src0 (tensor %u) has %lld",
                        s[1].index, (long long)s[1].ne0, s[0].index, (long long)s[0].ne0);
        if (s[2].elements != s[0].rows)
            return fail("src2 (tensor %u) has %lld slots for %lld rows of src0", s[2].index,
                        (long long)s[2].elements, (long long)s[0].rows);
        if (node.dst != node.src[1]) {
            const plinth_tensor& a = graph.tensors[node.dst];
            const plinth_tensor& b = graph.tensors[node.src[1]];
            if (a.type != b.type || a.buffer != b.buffer || a.offset != b.offset ||
                std::memcmp(a.shape, b.shape, sizeof(a.shape)) != 0)
                return fail("dst (tensor %u) must be the cache src1 (tensor %u)", node.dst, node.src[1]);
        }
        return PLINTH_OK;

    case PLINTH_OP_ATTENTION: {
        PLINTH_TRY(need_type(s[0], "src0", {PLINTH_TYPE_F32}));
        PLINTH_TRY(need_type(s[1], "src1", {PLINTH_TYPE_F32, PLINTH_TYPE_F16}));
        PLINTH_TRY(need_type(s[2], "src2", {s[1].type}));
        for (int k = 3; k < 6; ++k) PLINTH_TRY(need_type(s[k], kSourceRole[k], {PLINTH_TYPE_I32}));
        PLINTH_TRY(need_type(d, "dst", {PLINTH_TYPE_F32}));
        const int32_t heads = node.i[0], kv_heads = node.i[1], head_dim = node.i[2], block = node.i[3];
        if (heads <= 0 || kv_heads <= 0 || head_dim <= 0 || block <= 0)
            return fail("heads i[0] = %d, kv_heads i[1] = %d, head_dim i[2] = %d and block size i[3] = %d must be > 0",
                        heads, kv_heads, head_dim, block);
        if (heads % kv_heads != 0)
            return fail("heads i[0] = %d is not a multiple of kv_heads i[1] = %d", heads, kv_heads);
        const int64_t tokens = s[3].elements;
        const int64_t q_row = int64_t(head_dim) * heads, kv_row = int64_t(head_dim) * kv_heads;
        if (s[0].elements % tokens != 0 || s[0].elements / tokens != q_row ||
            (s[0].ne0 != head_dim && s[0].ne0 != q_row))
            return fail("q src0 (tensor %u) is [%lld, %lld, %lld], not [head_dim %d, heads %d, T %lld]",
                        s[0].index, (long long)s[0].ne[0], (long long)s[0].ne[1], (long long)s[0].ne[2],
                        head_dim, heads, (long long)tokens);
        if (s[1].ne0 != kv_row)
            return fail("the K cache src1 (tensor %u) has rows of %lld elements, not head_dim * kv_heads = %lld",
                        s[1].index, (long long)s[1].ne0, (long long)kv_row);
        PLINTH_TRY(same_shape(s[2], "the V cache src2", s[1], "the K cache src1"));
        if (s[4].elements != tokens)
            return fail("src4 (tensor %u) has %lld sequence rows for %lld positions in src3", s[4].index,
                        (long long)s[4].elements, (long long)tokens);
        if (d.ne0 != q_row || d.rows != tokens)
            return fail("dst (tensor %u) is [%lld, %lld], not [head_dim * heads = %lld, T = %lld]", d.index,
                        (long long)d.ne0, (long long)d.rows, (long long)q_row, (long long)tokens);
        if (!std::isfinite(node.f[0])) return fail("scale f[0] is not finite");
        if (node.i[4] < 0) return fail("sliding window i[4] = %d is negative (0 for none)", node.i[4]);
        if (!(node.f[1] >= 0.0f) || !std::isfinite(node.f[1]))
            return fail("soft-cap f[1] = %g is not a finite number >= 0 (0 for none)", double(node.f[1]));
        return PLINTH_OK;
    }

    case PLINTH_OP_SCALE:
    case PLINTH_OP_SOFTCAP:
        PLINTH_TRY(need_type(s[0], "src0", {PLINTH_TYPE_F32}));
        PLINTH_TRY(need_type(d, "dst", {PLINTH_TYPE_F32}));
        PLINTH_TRY(same_shape(d, "dst", s[0], "src0"));
        if (!std::isfinite(node.f[0]) || (node.op == PLINTH_OP_SOFTCAP && !(node.f[0] > 0.0f)))
            return fail("f[0] = %g is not a finite number%s", double(node.f[0]), node.op == PLINTH_OP_SOFTCAP ? " > 0" : "");
        return PLINTH_OK;

    case PLINTH_OP_MOE_ROUTE:
        PLINTH_TRY(need_type(s[0], "src0", {PLINTH_TYPE_F32}));
        PLINTH_TRY(need_type(d, "dst", {PLINTH_TYPE_F32}));
        PLINTH_TRY(same_shape(d, "dst", s[0], "src0"));
        if (node.i[0] < 1 || node.i[0] > s[0].ne0)
            return fail("k i[0] = %d must be from 1 to the %lld experts", node.i[0], (long long)s[0].ne0);
        if (node.i[1] != 0 && node.i[1] != 1) return fail("renormalise i[1] = %d is neither 0 nor 1", node.i[1]);
        return PLINTH_OK;

    case PLINTH_OP_MATMUL_EXPERTS: {
        PLINTH_TRY(weights(PLINTH_OP_MATMUL, s[0]));
        PLINTH_TRY(need_type(s[1], "src1", {PLINTH_TYPE_F32}));
        PLINTH_TRY(need_type(s[2], "src2", {PLINTH_TYPE_F32}));
        PLINTH_TRY(need_type(d, "dst", {PLINTH_TYPE_F32}));
        const int64_t experts = s[2].ne0, tokens = s[2].rows, k = node.i[1];
        const int64_t K = s[0].ne0, N = s[0].ne[1];
        if (s[0].ne[2] != experts || s[0].ne[3] != 1)
            return fail("the weights src0 (tensor %u) are [%lld, %lld, %lld, %lld], not [K, N, %lld experts]", s[0].index,
                        (long long)s[0].ne[0], (long long)s[0].ne[1], (long long)s[0].ne[2], (long long)s[0].ne[3],
                        (long long)experts);
        if (k < 1 || k > experts) return fail("experts per token i[1] = %d must be from 1 to %lld", node.i[1], (long long)experts);
        if (s[1].ne0 != K || (s[1].rows != tokens && s[1].rows != tokens * k))
            return fail("src1 (tensor %u) is [%lld, %lld]; it must be [%lld, T = %lld] or [%lld, k = %lld x T]", s[1].index,
                        (long long)s[1].ne0, (long long)s[1].rows, (long long)K, (long long)tokens, (long long)K, (long long)k);
        if (node.i[0] != 0 && node.i[0] != 1) return fail("i[0] = %d is neither 0 (each product) nor 1 (their weighted sum)", node.i[0]);
        const int64_t want_rows = node.i[0] == 1 ? tokens : tokens * k;
        if (d.ne0 != N || d.rows != want_rows)
            return fail("dst (tensor %u) is [%lld, %lld], not [%lld, %lld]", d.index, (long long)d.ne0, (long long)d.rows,
                        (long long)N, (long long)want_rows);
        return PLINTH_OK;
    }

    case PLINTH_OP_COPY:
        PLINTH_TRY(need_type(s[0], "src0", {PLINTH_TYPE_F32, PLINTH_TYPE_F16}));
        PLINTH_TRY(need_type(d, "dst", {PLINTH_TYPE_F32, PLINTH_TYPE_F16}));
        if (d.elements != s[0].elements)
            return fail("dst (tensor %u) has %lld elements, src0 (tensor %u) %lld", d.index,
                        (long long)d.elements, s[0].index, (long long)s[0].elements);
        return PLINTH_OK;
    }
#undef PLINTH_TRY
    return fail("unknown op %u", node.op);
}

}  // namespace plinth::sdk
