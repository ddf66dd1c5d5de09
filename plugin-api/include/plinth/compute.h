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
 * sequences can grow, share prefixes and be freed without moving data.
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

/* Shapes below are written [shape0, shape1, ...]; T = tokens in the batch; "row" = shape0. */
typedef enum plinth_op {
    /* dst[:, t] = src0[:, src1[t]] as F32. src0 [n, rows] any type; src1 I32 [T]; dst F32 [n, T]. */
    PLINTH_OP_GET_ROWS = 1,
    /* dst = src0 / sqrt(mean(src0^2) + eps) * src1, per row. src0 F32 [n, T]; src1 F32 [n];
     * f[0] = eps. */
    PLINTH_OP_RMS_NORM = 2,
    /* dst[j, t] = sum_k src0[k, j] * src1[k, t]. src0 weights [K, N] any type; src1 F32 [K, T];
     * dst F32 [N, T]. */
    PLINTH_OP_MATMUL = 3,
    /* dst = src0 + src1, all F32 of one shape. */
    PLINTH_OP_ADD = 4,
    /* dst = src0 * src1; src1 has src0's shape, or one row ([n]) broadcast over every row. */
    PLINTH_OP_MUL = 5,
    /* Rotary position embedding in place of a copy. src0 F32 [head_dim, heads, T]; src1 I32 [T]
     * positions; i[0] = rotated dims (<= head_dim, even), i[1] = mode (0: adjacent pairs, as
     * Llama GGUF files store q/k; 2: NeoX, halves); f[0] = frequency base, f[1] = frequency
     * scale (positions are multiplied by it). */
    PLINTH_OP_ROPE = 6,
    /* dst = silu(src0) * src1, F32 of one shape. */
    PLINTH_OP_SWIGLU = 7,
    /* Writes src0 F32 [row, T] into cache src1 [row, slots] (F32 or F16) at the slots src2 I32 [T].
     * dst is src1 (updated in place). */
    PLINTH_OP_KV_STORE = 8,
    /* Causal attention with grouped-query heads over the paged KV cache.
     * src0 q F32 [head_dim, heads, T]; src1 K cache, src2 V cache [head_dim * kv_heads, slots];
     * src3 I32 positions [T]; src4 I32 sequence row of each token [T]; src5 I32 block table
     * [max_blocks, sequences]: the slot of position p of sequence s is
     * table[s][p / block] * block + p % block. Token t attends to positions 0..positions[t] of its
     * sequence. dst F32 [head_dim * heads, T].
     * i[0] = heads, i[1] = kv_heads, i[2] = head_dim, i[3] = block size; f[0] = scale. */
    PLINTH_OP_ATTENTION = 9,
    /* dst = src0 converted to dst's type (F32/F16), same number of elements. */
    PLINTH_OP_COPY = 10
} plinth_op;

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

#ifdef __cplusplus
}
#endif

#endif /* PLINTH_COMPUTE_H */
