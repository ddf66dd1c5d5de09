#version 450
// ATTENTION: causal, grouped-query, over the paged KV cache (F32 or F16 by CACHE_F16).
// One workgroup per (token t, query head h); kv head g = h / (heads / kv_heads).
//
// The arithmetic is the precision contract's (plinth/compute.h), the CPU backend's:
//   - over an F16 cache q is rounded to F16, and each score q . k (products of F16 values, exact in
//     float) is summed in 4 double lanes, then times scale; over an F32 cache in 16 float lanes;
//   - the softmax is the online one, position by position in order: a score above the running
//     maximum M rescales the accumulator and the running sum by exp(M - s) and becomes M (its
//     weight 1); any other adds with weight exp(s - M) (exp_float); sum = sum * rescale + weight,
//     two roundings;
//   - over an F16 cache the accumulator of the V rows is F16: after a rescale each value is
//     rounded to F16, and each step is acc = f16(fma(v, weight, acc)) (fma_exact); over an F32
//     cache acc * rescale and acc + weight * v, in F32;
//   - at the end acc * (1 / sum).
// The positions are taken WG at a time: each invocation scores one (in parallel); then every
// invocation walks the chunk's scores in order (the same scalar sequence in each) and updates the
// dims it owns (head_dim / WG of them).
//   u[0] = heads, u[1] = kv_heads, u[2] = head_dim, u[3] = block, u[4] = max_blocks (table row),
//   u[5] = sequences (table rows), u[6] = cache slots, u[7] = sliding window (0: none);
//   f[0] = scale, f[1] = soft-cap (0: none; scores become cap * tanh(s * (1 / cap))); total = T * heads.
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
shared float score_sh[WG];
shared uint slot_sh[WG];
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
    for (uint d = tid; d < head_dim; d += WG) {
#if CACHE_F16
        q_sh[d] = f16_round(uintBitsToFloat(Q[q + d]));
#else
        q_sh[d] = uintBitsToFloat(Q[q + d]);
#endif
    }
    barrier();

    float scale = pc.f[0];
    float run_max = 0.0, run_sum = 0.0;
    float o[DIMS_PER_INV];
    for (uint r = 0u; r < DIMS_PER_INV; ++r) o[r] = 0.0;
    // A sliding window of W positions starts at pos - W + 1; n_pos positions from `first`.
    uint window = pc.u[7];
    uint first = window > 0u && uint(pos) + 1u > window ? uint(pos) + 1u - window : 0u;
    uint n_pos = uint(pos) + 1u - first;
    float cap = pc.f[1];
    for (uint base = 0u; base < n_pos; base += WG) {
        uint j = first + base + tid;
        if (base + tid < n_pos) {
            uint slot = B[table + j / block] * block + j % block;
            slot_sh[tid] = slot;
#if CACHE_F16
            // Products of F16 values, exact in float; 4 double lanes (the tail into the first),
            // added as (l0 + l1) + (l2 + l3) and rounded once (F64 = 0: one double-float sum).
#if F64
            double lane4[4] = double[4](0.0LF, 0.0LF, 0.0LF, 0.0LF);
            for (uint d = 0u; d < head_dim; ++d) {
                precise float p = q_sh[d] * k_at(slot, kv_row, g * head_dim + d);
                precise double l = lane4[d + 4u <= head_dim ? d & 3u : 0u] + double(p);
                lane4[d + 4u <= head_dim ? d & 3u : 0u] = l;
            }
            precise double dot_d = (lane4[0] + lane4[1]) + (lane4[2] + lane4[3]);
            float dot_f = float(dot_d);
#else
            vec2 dot_qk = vec2(0.0);
            for (uint d = 0u; d < head_dim; ++d) {
                precise float p = q_sh[d] * k_at(slot, kv_row, g * head_dim + d);  // exact
                dot_qk = add_df_f(dot_qk, p);
            }
            precise float dot_f = dot_qk.x + dot_qk.y;
#endif
            precise float s = scale * dot_f;
            if (cap > 0.0) s = cap * tanh_float(s * div_rn(1.0, cap));
#else
            // 16 float lanes (the tail into the first ones), folded 16 -> 8 -> 4, then
            // (l0 + l2) + (l1 + l3): the CPU's vec_dot.
            float acc[16];
            [[unroll]] for (uint l = 0u; l < 16u; ++l) acc[l] = 0.0;
            uint body = head_dim / 16u * 16u;
            for (uint d = 0u; d < head_dim; ++d) {
                precise float p = q_sh[d] * k_at(slot, kv_row, g * head_dim + d);
                uint l = d < body ? d & 15u : d - body;
                precise float a = acc[l] + p;
                acc[l] = a;
            }
            [[unroll]] for (uint l = 0u; l < 8u; ++l) {
                precise float a = acc[l] + acc[l + 8u];
                acc[l] = a;
            }
            [[unroll]] for (uint l = 0u; l < 4u; ++l) {
                precise float a = acc[l] + acc[l + 4u];
                acc[l] = a;
            }
            precise float dot_f = (acc[0] + acc[2]) + (acc[1] + acc[3]);
            precise float s = scale * dot_f;
            if (cap > 0.0) s = cap * tanh_float(s * div_rn(1.0, cap));
#endif
            score_sh[tid] = s;
        }
        barrier();
        uint count = min(WG, n_pos - base);
        for (uint jj = 0u; jj < count; ++jj) {
            float s = score_sh[jj];
            float rescale = 1.0, weight = 1.0;
            if (base + jj == 0u) {
                rescale = 0.0;
                run_max = s;
            } else if (s > run_max) {
                rescale = exp_float(run_max - s);
                run_max = s;
            } else {
                weight = exp_float(s - run_max);
            }
            uint slot = slot_sh[jj];
            for (uint r = 0u; r < DIMS_PER_INV; ++r) {
                uint d = tid + r * WG;
                if (d < head_dim) {
                    float v = v_at(slot, kv_row, g * head_dim + d);
#if CACHE_F16
                    if (rescale != 1.0) o[r] = f16_round(o[r] * rescale);
                    o[r] = f16_round(fma_exact(v, weight, o[r]));
#else
                    if (rescale != 1.0) o[r] = o[r] * rescale;
                    precise float y = o[r] + weight * v;
                    o[r] = y;
#endif
                }
            }
            precise float next_sum = run_sum * rescale + weight;  // two roundings, as the CPU
            run_sum = next_sum;
        }
        barrier();  // score_sh and slot_sh are rewritten by the next chunk
    }
    float inv = div_rn(1.0, run_sum);
    for (uint r = 0u; r < DIMS_PER_INV; ++r) {
        uint d = tid + r * WG;
        if (d < head_dim) {
            precise float res = o[r] * inv;
            D[out_w + d] = floatBitsToUint(res);
        }
    }
}
