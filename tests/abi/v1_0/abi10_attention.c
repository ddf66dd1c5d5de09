#include "abi10_attention.h"

#include "abi10_float.h"
#include "abi10_message.h"

#include <plinth/weight_types.h>

#include <math.h>
#include <stdlib.h>

typedef struct attention_shape {
    int64_t heads, kv_heads, head_dim, block;
    int64_t tokens, max_blocks, sequences, slots;
    int f16; /* the caches hold F16 */
} attention_shape;

/* Every token's sequence row and position, and every block its positions reach, inside the table
 * and the cache. */
static plinth_status check_indices(const abi10_node* n, const attention_shape* a, plinth_message* err) {
    const int32_t* pos = (const int32_t*)n->src[3].data;
    const int32_t* seq = (const int32_t*)n->src[4].data;
    const int32_t* table = (const int32_t*)n->src[5].data;
    for (int64_t t = 0; t < a->tokens; ++t) {
        if (seq[t] < 0 || seq[t] >= a->sequences)
            return abi10_fail(err, PLINTH_ERR_INVALID_ARGUMENT,
                              "node %u (ATTENTION): token %lld is in sequence row %d; the block table src5 has %lld", n->index,
                              (long long)t, seq[t], (long long)a->sequences);
        if (pos[t] < 0 || pos[t] / a->block >= a->max_blocks)
            return abi10_fail(err, PLINTH_ERR_INVALID_ARGUMENT,
                              "node %u (ATTENTION): token %lld has position %d; the block table holds %lld blocks of %lld",
                              n->index, (long long)t, pos[t], (long long)a->max_blocks, (long long)a->block);
        const int64_t last_block = pos[t] / a->block;
        for (int64_t b = 0; b <= last_block; ++b) {
            const int64_t entry = table[seq[t] * a->max_blocks + b];
            const int64_t used = b < last_block ? a->block : pos[t] % a->block + 1;
            if (entry < 0 || entry * a->block + used > a->slots)
                return abi10_fail(err, PLINTH_ERR_INVALID_ARGUMENT,
                                  "node %u (ATTENTION): block %lld of sequence row %d is cache block %lld, outside the %lld slots of the cache",
                                  n->index, (long long)b, seq[t], (long long)entry, (long long)a->slots);
        }
    }
    return PLINTH_OK;
}

/* Element i of a cache row, widened to float. */
static float cache_value(const unsigned char* row, int f16, int64_t i) {
    return f16 ? abi10_f16_to_f32(((const uint16_t*)row)[i]) : ((const float*)row)[i];
}

/* q . k: over an F16 cache q is already rounded to F16, each product is exact in float and the sum is
 * kept in double, rounded once; over an F32 cache, float products summed in float. */
static float dot(const float* q, const unsigned char* k, int f16, int64_t n) {
    if (f16) {
        double sum = 0.0;
        for (int64_t i = 0; i < n; ++i) sum += (double)(q[i] * abi10_f16_to_f32(((const uint16_t*)k)[i]));
        return (float)sum;
    }
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) sum += q[i] * ((const float*)k)[i];
    return sum;
}

/* One query head of one token: the online softmax over positions 0..last of its sequence, in
 * order. `q` is the head's query (F16-rounded over an F16 cache), `acc` scratch of head_dim. */
static void attend(const abi10_node* n, const attention_shape* a, const float* q, int64_t kv_head, int64_t sequence,
                   int64_t last, float* acc, float* out) {
    const unsigned char* k_cache = n->src[1].data;
    const unsigned char* v_cache = n->src[2].data;
    const int32_t* table = (const int32_t*)n->src[5].data;
    const int64_t D = a->head_dim;
    const size_t element = a->f16 ? 2 : 4;
    const size_t row_bytes = (size_t)(a->kv_heads * D) * element, head_offset = (size_t)(kv_head * D) * element;
    const float scale = n->node->f[0];
    float max = 0.0f, sum = 0.0f;
    for (int64_t i = 0; i < D; ++i) acc[i] = 0.0f;
    for (int64_t p = 0; p <= last; ++p) {
        const int64_t slot = (int64_t)table[sequence * a->max_blocks + p / a->block] * a->block + p % a->block;
        const unsigned char* k = k_cache + (size_t)slot * row_bytes + head_offset;
        const unsigned char* v = v_cache + (size_t)slot * row_bytes + head_offset;
        const float score = scale * dot(q, k, a->f16, D);
        float rescale = 1.0f, weight;
        if (p == 0 || score > max) {
            rescale = p == 0 ? 0.0f : abi10_exp(max - score);
            max = score;
            weight = 1.0f;
        } else {
            weight = abi10_exp(score - max);
        }
        /* Over an F16 cache the accumulator is F16: both updates are rounded to it. */
        if (rescale != 1.0f)
            for (int64_t i = 0; i < D; ++i) acc[i] = a->f16 ? abi10_round_f16(acc[i] * rescale) : acc[i] * rescale;
        for (int64_t i = 0; i < D; ++i) {
            const float updated = fmaf(cache_value(v, a->f16, i), weight, acc[i]);
            acc[i] = a->f16 ? abi10_round_f16(updated) : updated;
        }
        /* Two roundings, not a fused multiply-add (the current contract; ABI 1.0's text said fma). */
        const float scaled = sum * rescale;
        sum = scaled + weight;
    }
    const float inverse = 1.0f / sum;
    for (int64_t i = 0; i < D; ++i) out[i] = acc[i] * inverse;
}

plinth_status abi10_attention(const abi10_node* n, plinth_message* err) {
    const plinth_node* node = n->node;
    attention_shape a;
    a.heads = node->i[0];
    a.kv_heads = node->i[1];
    a.head_dim = node->i[2];
    a.block = node->i[3];
    a.tokens = (int64_t)n->src[3].elements;
    a.max_blocks = (int64_t)n->src[5].ne0;
    a.sequences = (int64_t)n->src[5].rows;
    a.slots = (int64_t)n->src[1].rows;
    a.f16 = n->src[1].type == PLINTH_TYPE_F16;
    const plinth_status st = check_indices(n, &a, err);
    if (st != PLINTH_OK) return st;

    float* scratch = malloc(2 * (size_t)a.head_dim * sizeof(float));
    if (scratch == NULL) return abi10_fail(err, PLINTH_ERR_OUT_OF_MEMORY, "node %u (ATTENTION): out of memory", n->index);
    float* q = scratch;
    float* acc = scratch + a.head_dim;
    const float* queries = (const float*)n->src[0].data;
    const int32_t* pos = (const int32_t*)n->src[3].data;
    const int32_t* seq = (const int32_t*)n->src[4].data;
    float* dst = (float*)n->dst.data;
    const int64_t group = a.heads / a.kv_heads; /* query heads per KV head */
    for (int64_t t = 0; t < a.tokens; ++t)
        for (int64_t h = 0; h < a.heads; ++h) {
            const float* qh = queries + (t * a.heads + h) * a.head_dim;
            for (int64_t i = 0; i < a.head_dim; ++i) q[i] = a.f16 ? abi10_round_f16(qh[i]) : qh[i];
            attend(n, &a, q, h / group, seq[t], pos[t], acc, dst + (t * a.heads + h) * a.head_dim);
        }
    free(scratch);
    return PLINTH_OK;
}
