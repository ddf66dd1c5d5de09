#version 450
// MATMUL: dst[j, t] = sum_k W[k, j] * X[k, t], weights of type WTYPE, dst F32.
// X (binding 2) is what the weights' dot product takes (plinth/compute.h, precision contract):
// F32 for F32 weights; for the others the output of quantize.comp: F16-rounded values stored as
// F32 (F16 weights), Q8_0 blocks (Q4_0, Q8_0 weights) or Q8_K blocks (K-quants).
//
// Every output is summed in the CPU backend's order, so that both give the same bits (a quantized
// model feeds each result to the next activation quantizer, where a last-bit difference can become
// a whole code step, and the goldens are held to 0.05):
//   Q8_0, Q4_0   8 lanes, lane k the exact integer dot of elements 4k..4k+3 of each block, each lane
//                one chain fma(d_w d_a, isum, lane) over the blocks, the lanes added as
//                ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)); a Q4_0 matrix whose row count
//                is a multiple of 8 (u[4] = 1) one chain fma(isum, d_w d_a, sum) over whole blocks.
//   Q4_K, Q6_K   exact integer super-block sums, then a_d (w_d isum - w_dmin msum) (Q4_K) or
//                (w_d a_d) isum (Q6_K) added in super-block order (block_layouts.hpp, kquant_term).
//   F32          the AVX-512 order: 2 x 16 fma lanes over 32 elements, the tail into the first 16,
//                the lanes reduced as _mm512_reduce_add_ps does (halves, quarters, pairs).
//   F16          the reference's AVX-512 order: 4 x 16 fma lanes over each 64 elements (products
//                exact), (a0 + a2) + (a1 + a3), reduced as above, then the last K % 64 products
//                added one by one in double (F64 = 0: as a double-float, the same but for rare
//                last-bit cases) and rounded once.
// The fused multiply-adds are fma_exact (common.glsl): GLSL's fma() need not round once, and
// lavapipe's does not. Without shaderFloat64 (the _nof64 variants) they are fma_rn, which may
// differ in rare last-bit cases.
//
// One invocation per (weight row, tile of TILE_T columns), WG rows per workgroup: the row's whole
// sum is one invocation's sequence, in order.
//   u[0] = N (weight rows), u[1] = K, u[2] = T, u[3] = weight row bytes, u[4] = Q4_0 whole-block
//   order, u[5] = row tiles, u[6] = word offset of the activation scales from the codes (quantized
//   X); total = row tiles * column tiles.
//
// EXPERTS = 1: MATMUL_EXPERTS, each product exactly as above with the chosen expert's matrix (the
// weights are [K, N, experts]). One invocation per (weight row, token, slot): the slot's expert is
// the token's s-th with a nonzero routing weight (binding 3, [experts, T]), so the columns of one
// tile would need different matrices; a tile is one column here. X holds all of src1's columns
// ([K, T] or [K, k, T]), quantized as for MATMUL (each column on its own, so the same codes).
//   u[2] = tokens, u[7] = first slot, u[8] = slots in this dispatch, u[9] = k, u[10] = experts,
//   u[11] = mode (bit 0: the weighted sum, bit 1: one input column per slot);
//   total = row tiles * tokens * slots. The weighted sum runs one dispatch per slot, in slot order,
//   each adding gate * product to dst (slot 0 onto 0), as the CPU adds them.
#include "common.glsl"

#define TILE_T 8u

#if EXPERTS
layout(std430, set = 0, binding = 0) buffer DstBuffer { uint D[]; };
layout(std430, set = 0, binding = 3) readonly buffer GBuffer { uint G[]; };
#else
layout(std430, set = 0, binding = 0) writeonly buffer DstBuffer { uint D[]; };
#endif
layout(std430, set = 0, binding = 1) readonly buffer WBuffer { uint W[]; };
layout(std430, set = 0, binding = 2) readonly buffer XBuffer { uint X[]; };

DEFINE_READERS(W)
#include "weights.glsl"

// _mm512_reduce_add_ps's order over 16 lanes.
float reduce16(float v[16]) {
    precise float h[8], q[4];
    [[unroll]] for (uint i = 0u; i < 8u; ++i) h[i] = v[i + 8u] + v[i];
    [[unroll]] for (uint i = 0u; i < 4u; ++i) q[i] = h[i + 4u] + h[i];
    precise float p0 = q[0] + q[2];
    precise float p1 = q[1] + q[3];
    precise float r = p0 + p1;
    return r;
}

float x_f32(uint w) { return uintBitsToFloat(X[w]); }

#if EXPERTS
float expert_gate = 0.0;  // this invocation's routing weight (set by main)
#endif

// One product into dst: as it is, or (EXPERTS, the weighted sum) dst + gate * product.
void store(uint w, float r) {
#if EXPERTS
    if ((pc.u[11] & 1u) != 0u) {
        precise float before = pc.u[7] == 0u ? 0.0 : uintBitsToFloat(D[w]);
        precise float sum = before + expert_gate * r;
        D[w] = floatBitsToUint(sum);
        return;
    }
#endif
    D[w] = floatBitsToUint(r);
}

#if WTYPE == 0
float dot_row(uint row, uint K, uint x) {
    float acc0[16], acc1[16];
    [[unroll]] for (uint l = 0u; l < 16u; ++l) {
        acc0[l] = 0.0;
        acc1[l] = 0.0;
    }
    uint w = row >> 2;
    uint i = 0u;
    for (; i + 32u <= K; i += 32u)
        [[unroll]] for (uint l = 0u; l < 16u; ++l) {
            acc0[l] = fma_exact(uintBitsToFloat(W[w + i + l]), x_f32(x + i + l), acc0[l]);
            acc1[l] = fma_exact(uintBitsToFloat(W[w + i + 16u + l]), x_f32(x + i + 16u + l), acc1[l]);
        }
    for (; i < K; i += 16u)  // masked as on the CPU: lanes past K add 0 * 0
        [[unroll]] for (uint l = 0u; l < 16u; ++l) {
            bool inside = i + l < K;
            acc0[l] = fma_exact(inside ? uintBitsToFloat(W[w + i + l]) : 0.0, inside ? x_f32(x + i + l) : 0.0, acc0[l]);
        }
    float v[16];
    [[unroll]] for (uint l = 0u; l < 16u; ++l) {
        precise float s = acc0[l] + acc1[l];
        v[l] = s;
    }
    return reduce16(v);
}
#elif WTYPE == 1
float dot_row(uint row, uint K, uint x) {
    float acc[64];
    [[unroll]] for (uint l = 0u; l < 64u; ++l) acc[l] = 0.0;
    uint body = K / 64u * 64u;
    for (uint i = 0u; i < body; i += 64u)
        [[unroll]] for (uint l = 0u; l < 64u; l += 2u) {
            vec2 w2 = unpackHalf2x16(W_u32(row + 2u * (i + l)));
            acc[l] = fma_exact(w2.x, x_f32(x + i + l), acc[l]);
            acc[l + 1u] = fma_exact(w2.y, x_f32(x + i + l + 1u), acc[l + 1u]);
        }
    float v[16];
    [[unroll]] for (uint l = 0u; l < 16u; ++l) {
        precise float s = (acc[l] + acc[32u + l]) + (acc[16u + l] + acc[48u + l]);
        v[l] = s;
    }
    float r = reduce16(v);
#if F64
    precise double sum = double(r);
    for (uint i = body; i < K; ++i) {
        precise float p = W_f16(row + 2u * i) * x_f32(x + i);  // exact
        sum += double(p);
    }
    return float(sum);
#else
    vec2 sum = vec2(r, 0.0);
    for (uint i = body; i < K; ++i) {
        precise float p = W_f16(row + 2u * i) * x_f32(x + i);
        sum = add_df_f(sum, p);
    }
    precise float out_sum = sum.x + sum.y;
    return out_sum;
#endif
}
#endif

void main() {
    uint g = group_index();
    if (g >= pc.total) return;
    uint N = pc.u[0], K = pc.u[1], T = pc.u[2];
    uint row_tile = g % pc.u[5];
    uint j = row_tile * WG + gl_LocalInvocationID.x;
    if (j >= N) return;
#if EXPERTS
    uint col = g / pc.u[5];
    uint token = col / pc.u[8], slot = pc.u[7] + col % pc.u[8];
    uint k_slots = pc.u[9], E = pc.u[10];
    bool weighted = (pc.u[11] & 1u) != 0u;
    uint gate_w = (pc.off[3] >> 2) + token * E;
    int expert = -1;
    uint used = 0u;
    for (uint e = 0u; e < E; ++e) {
        float v = uintBitsToFloat(G[gate_w + e]);
        if (v != 0.0) {
            if (used == slot) {
                expert = int(e);
                expert_gate = v;
            }
            ++used;
        }
    }
    if (used > k_slots) flag_error();  // more experts than slots: the token is skipped
    uint out_w = (pc.off[0] >> 2) + (weighted ? token : token * k_slots + slot) * N + j;
    if (expert < 0 || used > k_slots) {
        if (!weighted || slot == 0u) D[out_w] = 0u;  // an unused slot is 0; a sum starts at 0
        return;
    }
    uint t0 = (pc.u[11] & 2u) != 0u ? token * k_slots + slot : token;  // the input column
    uint nt = 1u;
    uint row = pc.off[1] + (uint(expert) * N + j) * pc.u[3];
#else
    uint t0 = (g / pc.u[5]) * TILE_T;
    uint nt = min(TILE_T, T - t0);
    uint row = pc.off[1] + j * pc.u[3];
    uint out_w = (pc.off[0] >> 2) + t0 * N + j;
#endif

#if WTYPE < 2
    uint xw = (pc.off[2] >> 2) + t0 * K;
    for (uint t = 0u; t < nt; ++t) store(out_w + t * N, dot_row(row, K, xw + t * K));
#else
    // Quantized activations: codes at word (column * K + k) / 4, scales after them.
    uint chunks = K / 32u;
    uint xc = (pc.off[2] >> 2) + t0 * (K / 4u);
    uint xs = (pc.off[2] >> 2) + pc.u[6];
#if WTYPE == 12 || WTYPE == 14
    uint scales_per_col = K / 256u;
    int isum[TILE_T], msum[TILE_T];
    float sum[TILE_T];
    [[unroll]] for (uint t = 0u; t < TILE_T; ++t) {
        isum[t] = 0;
        msum[t] = 0;
        sum[t] = 0.0;
    }
#else
    uint scales_per_col = K / 32u;
    bool whole_blocks = pc.u[4] != 0u;
    float lane[TILE_T][8];
    [[unroll]] for (uint t = 0u; t < TILE_T; ++t)
        [[unroll]] for (uint k = 0u; k < 8u; ++k) lane[t][k] = 0.0;
#endif
    for (uint c = 0u; c < chunks; ++c) {
        int q[32];
        float d, dm;
        int s0, s1;
        decode_chunk_q(row, c, q, d, dm, s0, s1);
        [[unroll]] for (uint t = 0u; t < TILE_T; ++t) {
            if (t < nt) {
                uint aw = xc + t * (K / 4u) + c * 8u;
                int part[8], asum = 0;
                [[unroll]] for (uint k = 0u; k < 8u; ++k) {
                    int a4 = int(X[aw + k]);
                    part[k] = 0;
                    [[unroll]] for (uint e = 0u; e < 4u; ++e) {
                        int a = bitfieldExtract(a4, int(8u * e), 8);
                        part[k] += q[4u * k + e] * a;
#if WTYPE == 12
                        asum += a;
#endif
                    }
                }
#if WTYPE == 12 || WTYPE == 14
                int lo = part[0] + part[1] + part[2] + part[3];
                int hi = part[4] + part[5] + part[6] + part[7];
#if WTYPE == 12
                isum[t] += s0 * (lo + hi);
                msum[t] += s1 * asum;
#else
                isum[t] += s0 * lo + s1 * hi;
#endif
                if ((c & 7u) == 7u) {  // the super-block's float side
                    float ad = uintBitsToFloat(X[xs + (t0 + t) * scales_per_col + (c >> 3)]);
#if WTYPE == 12
                    precise float term = ad * (d * float(isum[t]) - dm * float(msum[t]));
#else
                    precise float term = d * ad * float(isum[t]);
#endif
                    precise float s = sum[t] + term;
                    sum[t] = s;
                    isum[t] = 0;
                    msum[t] = 0;
                }
#else
                float ad = uintBitsToFloat(X[xs + (t0 + t) * scales_per_col + c]);
                precise float dd = d * ad;
                if (whole_blocks) {
                    int whole = part[0] + part[1] + part[2] + part[3] + part[4] + part[5] + part[6] + part[7];
                    lane[t][0] = fma_exact(float(whole), dd, lane[t][0]);
                } else {
                    [[unroll]] for (uint k = 0u; k < 8u; ++k) lane[t][k] = fma_exact(dd, float(part[k]), lane[t][k]);
                }
#endif
            }
        }
    }
    for (uint t = 0u; t < nt; ++t) {
#if WTYPE == 12 || WTYPE == 14
        float r = sum[t];
#else
        precise float r = ((lane[t][0] + lane[t][4]) + (lane[t][2] + lane[t][6])) +
                          ((lane[t][1] + lane[t][5]) + (lane[t][3] + lane[t][7]));
#endif
        store(out_w + t * N, r);
    }
#endif
}
