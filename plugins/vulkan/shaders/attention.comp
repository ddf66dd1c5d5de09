#version 450
// ATTENTION: causal, grouped-query, over the paged KV cache (F32 or F16 by CACHE_F16).
// One workgroup per (token t, query head h); kv head g = h / (heads / kv_heads). The positions
// 0..positions[t] are taken WG at a time: each invocation scores one position (q . K[slot] * scale),
// the chunk's maximum meets in shared memory, and the running sum and output (each invocation
// owns head_dim / WG dims of it) are rescaled to the new maximum before the chunk's weights
// exp(score - max) are added in (the softmax with the maximum subtracted, in one pass over K
// and V).
//   u[0] = heads, u[1] = kv_heads, u[2] = head_dim, u[3] = block, u[4] = max_blocks (table row),
//   u[5] = sequences (table rows), u[6] = cache slots; f[0] = scale; total = T * heads.
#include "common.glsl"

#define MAX_HEAD_DIM 256u
#define DIMS_PER_INV (MAX_HEAD_DIM / WG)

layout(std430, set = 0, binding = 0) writeonly buffer DstBuffer { uint D[]; };
layout(std430, set = 0, binding = 1) readonly buffer QBuffer { uint Q[]; };
layout(std430, set = 0, binding = 2) readonly buffer KBuffer { uint K[]; };
layout(std430, set = 0, binding = 3) readonly buffer VBuffer { uint V[]; };
layout(std430, set = 0, binding = 4) readonly buffer PosBuffer { uint P[]; };
layout(std430, set = 0, binding = 5) readonly buffer SeqBuffer { uint S[]; };
layout(std430, set = 0, binding = 6) readonly buffer TableBuffer { uint B[]; };

DEFINE_READERS(K)
DEFINE_READERS(V)

shared float q_sh[MAX_HEAD_DIM];
shared float weight_sh[WG];
shared uint slot_sh[WG];
shared float red_sh[WG];
shared bool bad_sh;

// Element d of cache row `slot` (kv row of kv_row elements) in binding K / V.
float k_at(uint slot, uint kv_row, uint d) {
#if CACHE_F16
    return K_f16(pc.off[2] + 2u * (slot * kv_row + d));
#else
    return K_f32(pc.off[2] + 4u * (slot * kv_row + d));
#endif
}
float v_at(uint slot, uint kv_row, uint d) {
#if CACHE_F16
    return V_f16(pc.off[3] + 2u * (slot * kv_row + d));
#else
    return V_f32(pc.off[3] + 4u * (slot * kv_row + d));
#endif
}

void main() {
    uint g_id = group_index();
    if (g_id >= pc.total) return;
    uint heads = pc.u[0], kv_heads = pc.u[1], head_dim = pc.u[2], block = pc.u[3];
    uint max_blocks = pc.u[4];
    uint t = g_id / heads, h = g_id % heads;
    uint g = h / (heads / kv_heads);
    uint kv_row = head_dim * kv_heads;
    uint tid = gl_LocalInvocationID.x;

    int pos = int(P[(pc.off[4] >> 2) + t]);
    int seq = int(S[(pc.off[5] >> 2) + t]);
    uint out_w = (pc.off[0] >> 2) + (t * heads + h) * head_dim;
    // Every block the token reads must be in the table and the cache.
    bool bad = pos < 0 || seq < 0 || uint(seq) >= pc.u[5] || uint(pos) / block >= max_blocks;
    if (tid == 0u) bad_sh = bad;
    barrier();
    uint table = (pc.off[6] >> 2) + uint(seq) * max_blocks;
    if (!bad) {
        uint n_blocks = uint(pos) / block + 1u;
        for (uint b = tid; b < n_blocks; b += WG) {
            int entry = int(B[table + b]);
            if (entry < 0 || uint(entry) >= pc.u[6] / block || (uint(entry) + 1u) * block > pc.u[6]) bad_sh = true;
        }
    }
    barrier();
    if (bad_sh) {
        if (tid == 0u) flag_error();
        return;
    }

    uint q = (pc.off[1] >> 2) + (t * heads + h) * head_dim;
    for (uint d = tid; d < head_dim; d += WG) q_sh[d] = uintBitsToFloat(Q[q + d]);
    barrier();

    float scale = pc.f[0];
    float run_max = 0.0, run_sum = 0.0;
    float o[DIMS_PER_INV];
    for (uint r = 0u; r < DIMS_PER_INV; ++r) o[r] = 0.0;
    uint n_pos = uint(pos) + 1u;
    for (uint base = 0u; base < n_pos; base += WG) {
        uint j = base + tid;
        float s = -3.402823466e38;
        if (j < n_pos) {
            uint slot = B[table + j / block] * block + j % block;
            slot_sh[tid] = slot;
            float dot_qk = 0.0;
            for (uint d = 0u; d < head_dim; ++d) dot_qk += q_sh[d] * k_at(slot, kv_row, g * head_dim + d);
            s = dot_qk * scale;
        }
        red_sh[tid] = s;
        barrier();
        for (uint half_n = WG / 2u; half_n > 0u; half_n >>= 1) {
            if (tid < half_n) red_sh[tid] = max(red_sh[tid], red_sh[tid + half_n]);
            barrier();
        }
        float new_max = base == 0u ? red_sh[0] : max(run_max, red_sh[0]);
        float alpha = base == 0u ? 0.0 : exp(run_max - new_max);
        weight_sh[tid] = j < n_pos ? exp(s - new_max) : 0.0;
        barrier();
        uint count = min(WG, n_pos - base);
        float chunk_sum = 0.0;
        for (uint jj = 0u; jj < count; ++jj) chunk_sum += weight_sh[jj];
        run_sum = run_sum * alpha + chunk_sum;
        for (uint r = 0u; r < DIMS_PER_INV; ++r) {
            uint d = tid + r * WG;
            if (d < head_dim) {
                float acc = 0.0;
                for (uint jj = 0u; jj < count; ++jj) acc += weight_sh[jj] * v_at(slot_sh[jj], kv_row, g * head_dim + d);
                o[r] = o[r] * alpha + acc;
            }
        }
        run_max = new_max;
        barrier();  // weight_sh, slot_sh and red_sh are rewritten by the next chunk
    }
    float inv = 1.0 / run_sum;
    for (uint r = 0u; r < DIMS_PER_INV; ++r) {
        uint d = tid + r * WG;
        if (d < head_dim) D[out_w + d] = floatBitsToUint(o[r] * inv);
    }
}
