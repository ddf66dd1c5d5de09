#include "abi10_ops.h"

#include "abi10_attention.h"
#include "abi10_float.h"
#include "abi10_message.h"

#include <plinth/weight_types.h>

#include <math.h>
#include <string.h>

/* Every source element is read before the element at the same position of dst is written, so a
 * node whose dst is one of its sources (in place) computes what it would out of place. */

static plinth_status op_add(const abi10_node* n) {
    const float* a = (const float*)n->src[0].data;
    const float* b = (const float*)n->src[1].data;
    float* d = (float*)n->dst.data;
    for (uint64_t i = 0; i < n->dst.elements; ++i) d[i] = a[i] + b[i];
    return PLINTH_OK;
}

/* src1 is src0's shape, or one row used for every row. */
static plinth_status op_mul(const abi10_node* n) {
    const uint64_t ne0 = n->dst.ne0;
    const int one_row = n->src[1].rows != n->src[0].rows;
    const float* a = (const float*)n->src[0].data;
    const float* b = (const float*)n->src[1].data;
    float* d = (float*)n->dst.data;
    for (uint64_t r = 0; r < n->dst.rows; ++r) {
        const float* br = one_row ? b : b + r * ne0;
        for (uint64_t i = 0; i < ne0; ++i) d[r * ne0 + i] = a[r * ne0 + i] * br[i];
    }
    return PLINTH_OK;
}

static plinth_status op_swiglu(const abi10_node* n) {
    const float* g = (const float*)n->src[0].data;
    const float* u = (const float*)n->src[1].data;
    float* d = (float*)n->dst.data;
    for (uint64_t i = 0; i < n->dst.elements; ++i) {
        const float x = g[i];
        d[i] = x / (1.0f + abi10_exp(-x)) * u[i];
    }
    return PLINTH_OK;
}

/* Per row: the squares rounded to float and summed in double, the mean rounded to float once,
 * scale = 1 / sqrtf(mean + eps) (both correctly rounded), dst = (x * scale) * w. */
static plinth_status op_rms_norm(const abi10_node* n) {
    const uint64_t ne0 = n->dst.ne0;
    const float eps = n->node->f[0];
    const float* x = (const float*)n->src[0].data;
    const float* w = (const float*)n->src[1].data;
    float* d = (float*)n->dst.data;
    for (uint64_t r = 0; r < n->dst.rows; ++r) {
        const float* xr = x + r * ne0;
        float* dr = d + r * ne0;
        double sum = 0.0;
        for (uint64_t i = 0; i < ne0; ++i) {
            const float square = xr[i] * xr[i];
            sum += (double)square;
        }
        const float mean = (float)(sum / (double)ne0);
        const float scale = 1.0f / sqrtf(mean + eps);
        for (uint64_t i = 0; i < ne0; ++i) dr[i] = (xr[i] * scale) * w[i];
    }
    return PLINTH_OK;
}

/* Row t of src0 into cache row slots[t], in token order (a slot named twice keeps the later row);
 * every slot is checked before the cache is written. */
static plinth_status op_kv_store(const abi10_node* n, plinth_message* err) {
    const uint64_t ne0 = n->src[0].ne0, tokens = n->src[0].rows, slots = n->src[1].rows;
    const int32_t* slot = (const int32_t*)n->src[2].data;
    for (uint64_t t = 0; t < tokens; ++t)
        if (slot[t] < 0 || (uint64_t)slot[t] >= slots)
            return abi10_fail(err, PLINTH_ERR_INVALID_ARGUMENT, "node %u (KV_STORE): slot %d (token %llu) is outside the cache's %llu slots",
                              n->index, slot[t], (unsigned long long)t, (unsigned long long)slots);
    const float* x = (const float*)n->src[0].data;
    for (uint64_t t = 0; t < tokens; ++t) {
        const float* row = x + t * ne0;
        if (n->src[1].type == PLINTH_TYPE_F16) {
            uint16_t* cache = (uint16_t*)n->src[1].data + (uint64_t)slot[t] * ne0;
            for (uint64_t i = 0; i < ne0; ++i) cache[i] = abi10_f32_to_f16(row[i]);
        } else {
            memcpy((float*)n->src[1].data + (uint64_t)slot[t] * ne0, row, ne0 * sizeof(float));
        }
    }
    return PLINTH_OK;
}

plinth_status abi10_run_node(const abi10_node* n, plinth_message* err) {
    switch (n->node->op) {
    case PLINTH_OP_ADD: return op_add(n);
    case PLINTH_OP_MUL: return op_mul(n);
    case PLINTH_OP_SWIGLU: return op_swiglu(n);
    case PLINTH_OP_RMS_NORM: return op_rms_norm(n);
    case PLINTH_OP_KV_STORE: return op_kv_store(n, err);
    case PLINTH_OP_ATTENTION: return abi10_attention(n, err);
    default:
        return abi10_fail(err, PLINTH_ERR_INTERNAL, "node %u (%s): checked, but abi10 has no kernel for it", n->index,
                          plinth_op_name(n->node->op));
    }
}
