/* The op graph a backend computes: tensors in backend buffers, and nodes that read and write them.
 *
 * The host builds one graph per forward pass (or one per device segment of it) and hands it to
 * the backend that owns those tensors. The host never does arithmetic; it only describes it.
 *
 * Layout: a tensor is dense. shape[0] is the contiguous dimension (a "row"); rows follow each
 * other with no gaps, `row_bytes(type, shape[0])` apart; unused dimensions are 1. Quantized
 * types are allowed only as weights (the first source of MATMUL and GET_ROWS).
 *
 * Batches: a graph processes T tokens that may belong to several sequences. Per-token positions
 * and sequence slots come in I32 tensors; the KV cache is addressed through a block table, so
 * sequences can grow, share prefixes and be freed without moving data. *
 * ---- Precision contract ----------------------------------------------------------------------
 * Quantized models feed almost every op's output to an activation quantizer, where a difference
 * of one float ulp can become a whole code step; so every backend computes the same numbers as
 * the CPU backend (which follows the reference, llama.cpp), within the tolerances below. Where
 * this says "float" it means IEEE binary32 with round-to-nearest-even; "F16(x)" is x rounded to
 * the nearest F16, ties to even (overflow to inf). A backend may sum in another order than the
 * CPU (float rounding only) unless an order is stated; it must not skip a rounding stated here,
 * nor add one (no F16 or BF16 intermediates elsewhere, no fast-math reassociation across blocks).
 * Division and sqrt must be correctly rounded and fma fused where stated (emulate them where the
 * device's are not: Vulkan promises neither).
 *
 * MATMUL: the activations are first converted, column by column, into the format the weight
 *   type's dot product takes, bit-exactly as the CPU does it:
 *   - F32 (and BF16) weights: F32 activations, as they are.
 *   - F16 weights: every activation F16(x); products of two F16 values are exact in float; the
 *     sum as if in double (float rounding).
 *   - Q4_0, Q5_0, Q8_0 weights: Q8_0 blocks of 32: amax = max|x|; d = amax / 127 stored as
 *     F16(min(d, 65504)); codes q = round-half-even(x * (127 / amax)) against the float 127 / amax
 *     (0 when amax = 0), |q| <= 127. Q4_1, Q5_1: Q8_1, the same codes plus s = F16(d * sum q)
 *     with the float d.
 *   - K-quants (Q2_K .. Q6_K): Q8_K blocks of 256: float d = amax / 127 (not rounded to F16);
 *     q = round-half-away-from-zero(clamp(x / d, -127, 127)).
 *   Then per block (K-quants: per sub-block) the integer dot of weight codes and activation codes
 *   is exact (int32), scaled once in float: d_w * d_a * isum for the symmetric types, with the
 *   sub-block scales and mins as integers first for the K-quants (d_a * (d_w * isum - dmin_w *
 *   msum)). The blocks are summed in float in any order.
 *   Tolerance: |result - CPU| <= 1e-6 * sum_k |w_k x_k| + 1e-7 (float rounding of the sum only).
 * GET_ROWS: dequantization, x = the format's formula in float. Within 1e-5 relative (exact for
 *   F32 / F16).
 * RMS_NORM: each x*x rounded to float; their sum kept as if in double (a double-float is fine)
 *   and the mean (sum / n) rounded to float once; scale = 1 / sqrt(mean + eps) in float with
 *   correctly rounded sqrt and division; dst = (x * scale) * w. Within 5e-7 relative + 1e-7 of
 *   the row's largest |value|.
 * ADD, MUL: exact float operations (bit-exact up to the last ulp). SWIGLU: x / (1 + exp(-x)) * u
 *   in float with exp to ~1 ulp and a correctly rounded division. Within 5e-7 relative + 1e-7 of
 *   the largest |value|.
 * ROPE: the angles in float, the CPU's way, not the exact angle: step = powf(base, -2 / n_rot)
 *   in float; theta_0 = float(position); theta_{i+1} = theta_i * step (rounded each time); the
 *   rotation is by cos and sin (to ~1 ulp, accurate for large arguments) of the float
 *   scale * theta_i; each output one rounding of fma(x0, c, -(x1 * s)) / fma(x0, s, x1 * c).
 *   Within 5e-7 relative + 5e-7 of the largest |value|.
 * KV_STORE, COPY: bit-exact; F32 -> F16 is F16(x).
 * ATTENTION: over an F16 cache q is first rounded to F16 and each score is
 *   scale * float(q . k) with the dot of F16 values summed as if in double (the products are
 *   exact in float). The softmax is online, in position order: with M the running maximum (none
 *   at first), a score s > M gives rescale = exp(M - s) (0 for the first position), M = s,
 *   weight 1; otherwise rescale 1, weight exp(s - M). The accumulator acc of V rows: when
 *   rescale != 1, acc = acc * rescale; then acc = fma(v, weight, acc); over an F16 cache acc is
 *   F16 and both results are rounded to F16 (F16(acc * rescale), F16(fma(v, weight, acc))).
 *   sum = sum * rescale + weight, two float roundings (not one fused multiply-add: the reference
 *   and every backend so far round the product first). dst = acc * (1 / sum). Over an F32 cache
 *   the same in float.
 *   Within 1e-6 relative + 1e-6 of the largest |value|; over an F16 cache plus 2^-11 of max|V|
 *   (a float-rounding difference in a weight may move one F16 rounding of acc by a step).
 * GEGLU: dst = g(x) * u with g(x) = F16(gelu(F16(x))) for -10 < x < 10, x for x >= 10 and 0
 *   for x <= -10, gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) in float (a 64K-entry
 *   table of F16 values is the intended form; the reference's too). SCALE: x * f[0], exact. SOFTCAP: cap * tanh(x / cap), tanhf to ~1 ulp.
 *   Within 1e-6 relative + 1e-7 of the largest |value|.
 * MOE_ROUTE: softmax in float (exp to ~1 ulp, the sum in any order); the k largest probabilities
 *   (ties: the lower expert), renormalised by one division by their float sum. Within 1e-6
 *   relative; which experts are chosen may differ only where two probabilities are that close.
 * MATMUL_EXPERTS: each expert's product exactly as MATMUL (same activation format and tolerance);
 *   the weighted sum (i[0] = 1) adds gate * product over the chosen experts in expert order.
 * A whole Llama layer chained from these ops agrees within 1e-5 relative + 1e-5 of the largest
 *   |value| for every weight type and cache type (docs/backends.md; tests/conformance checks all
 *   of the above against the CPU backend).
 */
#ifndef PLINTH_COMPUTE_H
#define PLINTH_COMPUTE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct plinth_buffer_s* plinth_buffer;

typedef struct plinth_tensor {
    uint32_t type;     /* plinth_weight_type: F32, F16, I32 for activations/indices; any for weights */
    uint32_t reserved0;
    uint64_t shape[4];
    plinth_buffer buffer;
    uint64_t offset;   /* bytes into the buffer */
} plinth_tensor;

/* Shapes below are written [shape0, shape1, ...]; T = tokens in the batch; "row" = shape0.
 * Every tensor is dense with no strides: shape0 varies fastest, so element (i0, i1, i2, i3) is at
 * ((i3 * shape2 + i2) * shape1 + i1) * shape0 + i0, and a quantized row is shape0 / block-size
 * whole blocks (weight_types.h). A shape written with fewer dimensions has the rest 1. */
typedef enum plinth_op {
    /* dst[:, t] = src0[:, src1[t]] as F32. src0 [n, rows] any type; src1 I32 [T]; dst F32 [n, T]. */
    PLINTH_OP_GET_ROWS = 1,
    /* dst = src0 / sqrt(mean(src0^2) + eps) * src1, per row. src0 F32 [n, T]; src1 F32 [n];
     * f[0] = eps. */
    PLINTH_OP_RMS_NORM = 2,
    /* dst[j, t] = sum_k src0[k, j] * src1[k, t]. src0 weights [K, N] any type; src1 F32 [K, T];
     * dst F32 [N, T]. */
    PLINTH_OP_MATMUL = 3,
    /* dst = src0 + src1, all F32 of one shape. ABI 1.1: src1 may also be one row ([n]) added to
     * every row of src0 (a bias). */
    PLINTH_OP_ADD = 4,
    /* dst = src0 * src1; src1 has src0's shape, or one row ([n]) broadcast over every row. */
    PLINTH_OP_MUL = 5,
    /* Rotary position embedding in place of a copy. src0 F32 [head_dim, heads, T]; src1 I32 [T]
     * positions; i[0] = rotated dims (<= head_dim, even), i[1] = mode (0: adjacent pairs, as
     * Llama GGUF files store q/k; 2: NeoX, halves); f[0] = frequency base, f[1] = frequency
     * scale (positions are multiplied by it).
     * ABI 1.1: optional src2 F32 [i[0] / 2] frequency factors (Llama 3 "rope_freqs"): pair i's
     * angle is divided by src2[i] (PLINTH_NO_TENSOR: none). */
    PLINTH_OP_ROPE = 6,
    /* dst = silu(src0) * src1, F32 of one shape. */
    PLINTH_OP_SWIGLU = 7,
    /* Writes src0 F32 [row, T] into cache src1 [row, slots] (F32 or F16) at the slots src2 I32 [T].
     * dst is src1 (updated in place). */
    PLINTH_OP_KV_STORE = 8,
    /* Causal attention with grouped-query heads over the paged KV cache.
     * src0 q F32 [head_dim, heads, T], or (ABI 1.1) the same elements as [head_dim * heads, T] (one
     * row per token: both layouts are the same bytes); src1 K cache, src2 V cache [head_dim * kv_heads, slots];
     * src3 I32 positions [T]; src4 I32 sequence row of each token [T]; src5 I32 block table
     * [max_blocks, sequences]: the slot of position p of sequence s is
     * table[s][p / block] * block + p % block. Token t attends to positions 0..positions[t] of its
     * sequence. dst F32 [head_dim * heads, T].
     * i[0] = heads, i[1] = kv_heads, i[2] = head_dim, i[3] = block size; f[0] = scale.
     * ABI 1.1: i[4] = sliding window W (0: none): token t sees only positions p with
     * positions[t] - p < W; f[1] = soft-cap c (0: none): each score s (after the scale) becomes
     * c * tanh(s / c) before the softmax. */
    PLINTH_OP_ATTENTION = 9,
    /* dst = src0 converted to dst's type (F32/F16), same number of elements. */
    PLINTH_OP_COPY = 10,
    /* ---- ABI 1.1 (a 1.0 plugin never receives these; they run on a backend that has them) ---- */
    /* dst = gelu_tanh(src0) * src1, F32 of one shape (Gemma's gated FFN). */
    PLINTH_OP_GEGLU = 11,
    /* dst = src0 * f[0], F32 of one shape (Gemma's embedding scale). */
    PLINTH_OP_SCALE = 12,
    /* dst = f[0] * tanh(src0 / f[0]), F32 of one shape, f[0] > 0 (Gemma 2's final logits). */
    PLINTH_OP_SOFTCAP = 13,
    /* Mixture-of-experts routing. src0 F32 [experts, T] router logits; dst F32 [experts, T]: per
     * token p = softmax(logits), the i[0] = k largest p kept (the lower index first on a tie),
     * divided by their sum when i[1] = 1, every other expert 0. */
    PLINTH_OP_MOE_ROUTE = 14,
    /* Products with the chosen experts' weights. src0 weights [K, N, experts] (expert e is the
     * e-th [K, N] matrix); src2 F32 [experts, T] routing weights (MOE_ROUTE's dst): expert e runs
     * for token t iff src2[e, t] != 0, at most i[1] = k experts per token; a token's chosen
     * experts, in expert order, fill its slots 0..k-1. src1 F32 activations: [K, T] (one per
     * token, for every expert) or [K, k, T] (one per token and slot).
     * i[0] = 0: dst F32 [N, k, T], each slot's product (0 in an unused slot);
     * i[0] = 1: dst F32 [N, T] = sum over the slots, in order, of src2[e, t] * product. */
    PLINTH_OP_MATMUL_EXPERTS = 15
} plinth_op;

/* The ABI minor that introduced op `op` (0 for the 1.0 ops); PLINTH_OP_LAST is the highest. */
#define PLINTH_OP_LAST PLINTH_OP_MATMUL_EXPERTS
static inline uint32_t plinth_op_abi_minor(uint32_t op) { return op >= PLINTH_OP_GEGLU ? 1u : 0u; }

/* The op's name ("MATMUL"), for messages; "unknown op" for a number that is not an op. */
static inline const char* plinth_op_name(uint32_t op) {
    switch (op) {
    case PLINTH_OP_GET_ROWS: return "GET_ROWS";
    case PLINTH_OP_RMS_NORM: return "RMS_NORM";
    case PLINTH_OP_MATMUL: return "MATMUL";
    case PLINTH_OP_ADD: return "ADD";
    case PLINTH_OP_MUL: return "MUL";
    case PLINTH_OP_ROPE: return "ROPE";
    case PLINTH_OP_SWIGLU: return "SWIGLU";
    case PLINTH_OP_KV_STORE: return "KV_STORE";
    case PLINTH_OP_ATTENTION: return "ATTENTION";
    case PLINTH_OP_COPY: return "COPY";
    case PLINTH_OP_GEGLU: return "GEGLU";
    case PLINTH_OP_SCALE: return "SCALE";
    case PLINTH_OP_SOFTCAP: return "SOFTCAP";
    case PLINTH_OP_MOE_ROUTE: return "MOE_ROUTE";
    case PLINTH_OP_MATMUL_EXPERTS: return "MATMUL_EXPERTS";
    default: return "unknown op";
    }
}

#define PLINTH_NODE_MAX_SRC 6
#define PLINTH_NO_TENSOR 0xFFFFFFFFu

typedef struct plinth_node {
    uint32_t op;                        /* plinth_op */
    uint32_t dst;                       /* index into the graph's tensors */
    uint32_t src[PLINTH_NODE_MAX_SRC];  /* indices, PLINTH_NO_TENSOR when unused */
    int32_t i[8];                       /* integer parameters, per op */
    float f[4];                         /* float parameters, per op */
} plinth_node;

typedef struct plinth_graph {
    uint32_t struct_size;
    uint32_t n_tensors;
    const plinth_tensor* tensors;
    uint32_t n_nodes;
    uint32_t reserved0;
    const plinth_node* nodes; /* in execution order */
} plinth_graph;

/* The ABI minor a node needs: its op's, or 1 where a 1.0 op uses a 1.1 extension (a broadcast
 * ADD, ROPE frequency factors, a sliding window, soft-cap or one-row-per-token q in ATTENTION). The host sends a node
 * only to a plugin that negotiated at least this minor. */
static inline uint32_t plinth_node_abi_minor(const plinth_graph* graph, uint32_t index) {
    const plinth_node* n = &graph->nodes[index];
    if (plinth_op_abi_minor(n->op) > 0) return plinth_op_abi_minor(n->op);
    switch (n->op) {
    case PLINTH_OP_ADD: {
        if (n->src[0] >= graph->n_tensors || n->src[1] >= graph->n_tensors) return 0;
        const plinth_tensor* a = &graph->tensors[n->src[0]];
        const plinth_tensor* b = &graph->tensors[n->src[1]];
        return a->shape[1] * a->shape[2] * a->shape[3] != b->shape[1] * b->shape[2] * b->shape[3] ? 1u : 0u;
    }
    case PLINTH_OP_ROPE: return n->src[2] != PLINTH_NO_TENSOR ? 1u : 0u;
    case PLINTH_OP_ATTENTION: {
        if (n->i[4] != 0 || n->f[1] != 0.0f) return 1u;
        if (n->src[0] >= graph->n_tensors) return 0;
        /* q as one row per token, [head_dim * heads, T], came with 1.1 too. */
        const plinth_tensor* q = &graph->tensors[n->src[0]];
        return q->shape[0] != (uint64_t)(int64_t)n->i[2] || q->shape[1] != (uint64_t)(int64_t)n->i[0] ? 1u : 0u;
    }
    default: return 0;
    }
}

#ifdef __cplusplus
}
#endif

#endif /* PLINTH_COMPUTE_H */
