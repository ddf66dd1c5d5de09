#include "abi10_node_check.h"

#include "abi10_buffer.h"

#include <plinth/weight_types.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char* const source_role[PLINTH_NODE_MAX_SRC] = {"src0", "src1", "src2", "src3", "src4", "src5"};

/* The highest op number ABI 1.0 defines; a later minor's ops are numbered above it. */
#define ABI10_LAST_1_0_OP PLINTH_OP_COPY

int abi10_op_sources(uint32_t op) {
    switch (op) {
    case PLINTH_OP_RMS_NORM:
    case PLINTH_OP_ADD:
    case PLINTH_OP_MUL:
    case PLINTH_OP_SWIGLU: return 2;
    case PLINTH_OP_KV_STORE: return 3;
    case PLINTH_OP_ATTENTION: return 6;
    default: return 0;
    }
}

/* Ops that read each source element at the position they write, so dst may be a source itself. */
static int op_is_elementwise(uint32_t op) {
    return op == PLINTH_OP_RMS_NORM || op == PLINTH_OP_ADD || op == PLINTH_OP_MUL || op == PLINTH_OP_SWIGLU;
}

/* The alignment a type's data needs: its widest scalar. */
static uint64_t type_alignment(uint32_t type) {
    switch (type) {
    case PLINTH_TYPE_F32:
    case PLINTH_TYPE_I32:
    case PLINTH_TYPE_Q8_K: return 4;
    case PLINTH_TYPE_I8: return 1;
    case PLINTH_TYPE_I64:
    case PLINTH_TYPE_F64: return 8;
    default: return 2;
    }
}

static const char* type_name(uint32_t type) {
    const char* name = plinth_weight_type_info(type).name;
    return name ? name : "an unknown type";
}

/* Failures name the node: "node 3 (ADD): ...". */
typedef struct node_context {
    uint32_t index;
    uint32_t op;
    plinth_message* err;
} node_context;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static plinth_status node_fail(const node_context* c, plinth_status status, const char* format, ...) {
    if (c->err == NULL) return status;
    const int head = snprintf(c->err->text, sizeof(c->err->text), "node %u (%s): ", c->index, plinth_op_name(c->op));
    if (head > 0 && (size_t)head < sizeof(c->err->text)) {
        va_list args;
        va_start(args, format);
        vsnprintf(c->err->text + head, sizeof(c->err->text) - (size_t)head, format, args);
        va_end(args);
    }
    return status;
}

plinth_status abi10_check_graph(const plinth_graph* graph, plinth_message* err) {
    if (graph == NULL) {
        if (err) snprintf(err->text, sizeof(err->text), "no graph");
        return PLINTH_ERR_INVALID_ARGUMENT;
    }
    if (graph->struct_size < sizeof(plinth_graph)) {
        if (err) snprintf(err->text, sizeof(err->text), "graph struct_size %u is below ABI 1.0's %u", graph->struct_size,
                          (unsigned)sizeof(plinth_graph));
        return PLINTH_ERR_INVALID_ARGUMENT;
    }
    if ((graph->n_tensors > 0 && graph->tensors == NULL) || (graph->n_nodes > 0 && graph->nodes == NULL)) {
        if (err) snprintf(err->text, sizeof(err->text), "the graph counts tensors or nodes it does not point to");
        return PLINTH_ERR_INVALID_ARGUMENT;
    }
    return PLINTH_OK;
}

/* One tensor of the node: index, type, shape, and in full mode its buffer. */
static plinth_status check_tensor(const node_context* c, const plinth_graph* graph, uint32_t index, const char* role,
                                  abi10_check_mode mode, abi10_tensor* out) {
    if (index >= graph->n_tensors)
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "%s is tensor %u, but the graph has %u tensors", role, index,
                         graph->n_tensors);
    const plinth_tensor* t = &graph->tensors[index];
    const plinth_weight_type_traits traits = plinth_weight_type_info(t->type);
    if (traits.name == NULL)
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "%s (tensor %u) has unknown type %u", role, index, t->type);
    const uint64_t max_elements = (uint64_t)1 << 48; /* keeps every byte count far from overflow */
    uint64_t elements = 1;
    for (int d = 0; d < 4; ++d) {
        if (t->shape[d] == 0)
            return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "%s (tensor %u) has shape[%d] = 0", role, index, d);
        if (t->shape[d] > max_elements / elements)
            return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "%s (tensor %u) has too many elements", role, index);
        elements *= t->shape[d];
    }
    if (t->shape[0] % traits.block_size != 0)
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "%s (tensor %u): a %s row of %llu elements is not whole blocks",
                         role, index, traits.name, (unsigned long long)t->shape[0]);
    out->index = index;
    out->type = t->type;
    for (int d = 0; d < 4; ++d) out->shape[d] = t->shape[d];
    out->ne0 = t->shape[0];
    out->rows = t->shape[1] * t->shape[2] * t->shape[3];
    out->elements = elements;
    out->bytes = t->shape[0] / traits.block_size * traits.block_bytes * out->rows;
    out->buffer = NULL;
    out->data = NULL;
    if (mode != ABI10_CHECK_FULL) return PLINTH_OK;

    if (t->buffer == NULL) return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "%s (tensor %u) has no buffer", role, index);
    if (!abi10_buffer_is_live(t->buffer))
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "%s (tensor %u) is not in a live abi10 buffer", role, index);
    const uint64_t size = t->buffer->size;
    if (t->offset > size || out->bytes > size - t->offset)
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT,
                         "%s (tensor %u): %llu bytes at offset %llu run past the end of its %llu-byte buffer", role, index,
                         (unsigned long long)out->bytes, (unsigned long long)t->offset, (unsigned long long)size);
    /* Buffers start aligned to ABI10_BUFFER_ALIGNMENT, so the offset decides. */
    if (t->offset % type_alignment(t->type) != 0)
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "%s (tensor %u): %s data at offset %llu is not %llu-byte aligned",
                         role, index, traits.name, (unsigned long long)t->offset,
                         (unsigned long long)type_alignment(t->type));
    out->buffer = t->buffer;
    out->data = t->buffer->bytes + t->offset;
    return PLINTH_OK;
}

static plinth_status need_type(const node_context* c, const abi10_tensor* t, const char* role, uint32_t type, uint32_t or_type) {
    if (t->type == type || t->type == or_type) return PLINTH_OK;
    if (type == or_type)
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "%s (tensor %u) is %s; %s needs %s", role, t->index,
                         type_name(t->type), plinth_op_name(c->op), type_name(type));
    return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "%s (tensor %u) is %s; %s needs %s or %s", role, t->index,
                     type_name(t->type), plinth_op_name(c->op), type_name(type), type_name(or_type));
}

static plinth_status need_f32(const node_context* c, const abi10_tensor* t, const char* role) {
    return need_type(c, t, role, PLINTH_TYPE_F32, PLINTH_TYPE_F32);
}

/* Same row length and number of rows (how the rows split over shape[1..3] may differ). */
static plinth_status same_shape(const node_context* c, const abi10_tensor* a, const char* role_a, const abi10_tensor* b,
                                const char* role_b) {
    if (a->ne0 == b->ne0 && a->rows == b->rows) return PLINTH_OK;
    return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "%s (tensor %u) is [%llu, %llu] but %s (tensor %u) is [%llu, %llu]",
                     role_a, a->index, (unsigned long long)a->ne0, (unsigned long long)a->rows, role_b, b->index,
                     (unsigned long long)b->ne0, (unsigned long long)b->rows);
}

#define TRY(expr)                                                                                                     \
    do {                                                                                                              \
        const plinth_status try_status_ = (expr);                                                                     \
        if (try_status_ != PLINTH_OK) return try_status_;                                                             \
    } while (0)

static plinth_status rules_rms_norm(const node_context* c, const abi10_node* n) {
    const abi10_tensor* s = n->src;
    TRY(need_f32(c, &s[0], "src0"));
    TRY(need_f32(c, &s[1], "src1"));
    TRY(need_f32(c, &n->dst, "dst"));
    if (s[1].elements != s[0].ne0)
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "src1 (tensor %u) has %llu elements; the rows of src0 have %llu",
                         s[1].index, (unsigned long long)s[1].elements, (unsigned long long)s[0].ne0);
    TRY(same_shape(c, &n->dst, "dst", &s[0], "src0"));
    if (!(n->node->f[0] >= 0.0f) || !isfinite(n->node->f[0]))
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "eps f[0] = %g is not a finite number >= 0", (double)n->node->f[0]);
    return PLINTH_OK;
}

/* ADD, MUL and SWIGLU. */
static plinth_status rules_elementwise(const node_context* c, const abi10_node* n) {
    const abi10_tensor* s = n->src;
    TRY(need_f32(c, &s[0], "src0"));
    TRY(need_f32(c, &s[1], "src1"));
    TRY(need_f32(c, &n->dst, "dst"));
    if (c->op == PLINTH_OP_SWIGLU) {
        TRY(same_shape(c, &s[1], "src1", &s[0], "src0"));
        return same_shape(c, &n->dst, "dst", &s[0], "src0");
    }
    if (s[1].ne0 != s[0].ne0 || (s[1].rows != 1 && s[1].rows != s[0].rows))
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "src1 (tensor %u) is [%llu, %llu]: neither src0's shape [%llu, %llu] nor one row of it",
                         s[1].index, (unsigned long long)s[1].ne0, (unsigned long long)s[1].rows,
                         (unsigned long long)s[0].ne0, (unsigned long long)s[0].rows);
    /* A one-row src1 for ADD (a bias) came with ABI 1.1: valid today, but not this plugin's. */
    if (c->op == PLINTH_OP_ADD && s[1].rows != s[0].rows)
        return node_fail(c, PLINTH_ERR_UNSUPPORTED, "src1 (tensor %u) is one row added to every row (ABI 1.1); abi10 speaks ABI 1.0",
                         s[1].index);
    return same_shape(c, &n->dst, "dst", &s[0], "src0");
}

static plinth_status rules_kv_store(const node_context* c, const plinth_graph* graph, const abi10_node* n) {
    const abi10_tensor* s = n->src;
    TRY(need_f32(c, &s[0], "src0"));
    TRY(need_type(c, &s[1], "src1", PLINTH_TYPE_F32, PLINTH_TYPE_F16));
    TRY(need_type(c, &s[2], "src2", PLINTH_TYPE_I32, PLINTH_TYPE_I32));
    if (s[1].ne0 != s[0].ne0)
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "the cache src1 (tensor %u) has rows of %llu elements; src0 (tensor %u) has %llu",
                         s[1].index, (unsigned long long)s[1].ne0, s[0].index, (unsigned long long)s[0].ne0);
    if (s[2].elements != s[0].rows)
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "src2 (tensor %u) has %llu slots for %llu rows of src0", s[2].index,
                         (unsigned long long)s[2].elements, (unsigned long long)s[0].rows);
    /* dst is the cache: the same tensor, or one described the same way. */
    const plinth_tensor* a = &graph->tensors[n->node->dst];
    const plinth_tensor* b = &graph->tensors[n->node->src[1]];
    if (a != b && (a->type != b->type || a->buffer != b->buffer || a->offset != b->offset ||
                   memcmp(a->shape, b->shape, sizeof(a->shape)) != 0))
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "dst (tensor %u) must be the cache src1 (tensor %u)", n->node->dst,
                         n->node->src[1]);
    return PLINTH_OK;
}

/* ABI 1.0's ATTENTION: q [head_dim, heads, T] (the one-row-per-token form of q came later), and
 * i[4] / f[1] unused (the sliding window and soft-cap of ABI 1.1 never reach this plugin). */
static plinth_status rules_attention(const node_context* c, const abi10_node* n) {
    const abi10_tensor* s = n->src;
    const plinth_node* node = n->node;
    TRY(need_f32(c, &s[0], "src0"));
    TRY(need_type(c, &s[1], "src1", PLINTH_TYPE_F32, PLINTH_TYPE_F16));
    TRY(need_type(c, &s[2], "src2", s[1].type, s[1].type));
    TRY(need_type(c, &s[3], "src3", PLINTH_TYPE_I32, PLINTH_TYPE_I32));
    TRY(need_type(c, &s[4], "src4", PLINTH_TYPE_I32, PLINTH_TYPE_I32));
    TRY(need_type(c, &s[5], "src5", PLINTH_TYPE_I32, PLINTH_TYPE_I32));
    TRY(need_f32(c, &n->dst, "dst"));
    const int32_t heads = node->i[0], kv_heads = node->i[1], head_dim = node->i[2], block = node->i[3];
    if (heads <= 0 || kv_heads <= 0 || head_dim <= 0 || block <= 0)
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT,
                         "heads i[0] = %d, kv_heads i[1] = %d, head_dim i[2] = %d and block size i[3] = %d must be > 0", heads,
                         kv_heads, head_dim, block);
    if (heads % kv_heads != 0)
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "heads i[0] = %d is not a multiple of kv_heads i[1] = %d", heads,
                         kv_heads);
    const uint64_t tokens = s[3].elements;
    const uint64_t q_row = (uint64_t)head_dim * (uint64_t)heads, kv_row = (uint64_t)head_dim * (uint64_t)kv_heads;
    /* (rows / heads == tokens rather than rows == heads * tokens, which could wrap around) */
    if (s[0].ne0 != (uint64_t)head_dim || s[0].shape[1] != (uint64_t)heads || s[0].rows % (uint64_t)heads != 0 ||
        s[0].rows / (uint64_t)heads != tokens)
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "q src0 (tensor %u) is [%llu, %llu, %llu], not [head_dim %d, heads %d, T %llu]",
                         s[0].index, (unsigned long long)s[0].shape[0], (unsigned long long)s[0].shape[1],
                         (unsigned long long)s[0].shape[2], head_dim, heads, (unsigned long long)tokens);
    if (s[1].ne0 != kv_row)
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "the K cache src1 (tensor %u) has rows of %llu elements, not head_dim * kv_heads = %llu",
                         s[1].index, (unsigned long long)s[1].ne0, (unsigned long long)kv_row);
    TRY(same_shape(c, &s[2], "the V cache src2", &s[1], "the K cache src1"));
    if (s[4].elements != tokens)
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "src4 (tensor %u) has %llu sequence rows for %llu positions in src3",
                         s[4].index, (unsigned long long)s[4].elements, (unsigned long long)tokens);
    if (n->dst.ne0 != q_row || n->dst.rows != tokens)
        return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "dst (tensor %u) is [%llu, %llu], not [head_dim * heads = %llu, T = %llu]",
                         n->dst.index, (unsigned long long)n->dst.ne0, (unsigned long long)n->dst.rows,
                         (unsigned long long)q_row, (unsigned long long)tokens);
    if (!isfinite(node->f[0])) return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "scale f[0] is not finite");
    return PLINTH_OK;
}

/* The types and shapes compute.h (ABI 1.0) gives each op abi10 computes. */
static plinth_status check_op_rules(const node_context* c, const plinth_graph* graph, const abi10_node* n) {
    switch (c->op) {
    case PLINTH_OP_RMS_NORM: return rules_rms_norm(c, n);
    case PLINTH_OP_ADD:
    case PLINTH_OP_MUL:
    case PLINTH_OP_SWIGLU: return rules_elementwise(c, n);
    case PLINTH_OP_KV_STORE: return rules_kv_store(c, graph, n);
    case PLINTH_OP_ATTENTION: return rules_attention(c, n);
    default: return node_fail(c, PLINTH_ERR_INTERNAL, "no rules for this op");
    }
}

/* Full mode: dst may share bytes with a source only by being that very tensor, for an element-wise op. */
static plinth_status check_overlaps(const node_context* c, const abi10_node* n, int sources) {
    const abi10_tensor* d = &n->dst;
    const unsigned char* d_end = d->data + d->bytes;
    for (int k = 0; k < sources; ++k) {
        if (c->op == PLINTH_OP_KV_STORE && k == 1) continue; /* the cache is the destination */
        const abi10_tensor* s = &n->src[k];
        if (s->buffer != d->buffer) continue; /* separate allocations never share bytes */
        const unsigned char* s_end = s->data + s->bytes;
        if (!(d->data < s_end && s->data < d_end)) continue;
        const int same = d->data == s->data && d->bytes == s->bytes && d->type == s->type && d->ne0 == s->ne0;
        if (!(op_is_elementwise(c->op) && same))
            return node_fail(c, PLINTH_ERR_INVALID_ARGUMENT, "dst (tensor %u) overlaps %s (tensor %u) without being the same tensor",
                             d->index, source_role[k], s->index);
    }
    return PLINTH_OK;
}

plinth_status abi10_check_node(const plinth_graph* graph, uint32_t index, abi10_check_mode mode, abi10_node* out,
                               plinth_message* err) {
    const plinth_node* node = &graph->nodes[index];
    const node_context c = {index, node->op, err};
    out->index = index;
    out->node = node;
    const int sources = abi10_op_sources(node->op);
    if (sources == 0) {
        if (node->op == 0) return node_fail(&c, PLINTH_ERR_INVALID_ARGUMENT, "op 0 is no op");
        /* Numbers past ABI 1.0's ops may be a later minor's: not malformed, just not this plugin's. */
        if (node->op > ABI10_LAST_1_0_OP)
            return node_fail(&c, PLINTH_ERR_UNSUPPORTED, "op %u is not an ABI 1.0 op; abi10 speaks ABI 1.0", node->op);
        return node_fail(&c, PLINTH_ERR_UNSUPPORTED, "abi10 does not compute %s", plinth_op_name(node->op));
    }
    TRY(check_tensor(&c, graph, node->dst, "dst", mode, &out->dst));
    for (int k = 0; k < sources; ++k) TRY(check_tensor(&c, graph, node->src[k], source_role[k], mode, &out->src[k]));
    TRY(check_op_rules(&c, graph, out));
    return mode == ABI10_CHECK_FULL ? check_overlaps(&c, out, sources) : PLINTH_OK;
}
