#version 450
// MATMUL: dst[j, t] = sum_k W[k, j] * X[k, t], weights of type WTYPE, dst F32.
// X (binding 2) is what the weights' dot product takes (plinth/compute.h, precision contract):
// F32 for F32 weights; for the others the output of quantize.comp: F16-rounded values stored as
// F32 (F16 weights), Q8_0 blocks (Q4_0, Q8_0 weights: per 32-block an exact integer dot of the
// codes, scaled by d_w * d_a) or Q8_K blocks (K-quants: the integer dot per sub-block times its
// integer scale, the min term from the activation codes' sum, scaled by d_w * d_a).
// One workgroup per (tile of weight rows, tile of TILE_T columns). Each row of the tile is taken by
// `lanes` invocations (a power of two; WG / lanes rows per workgroup, fewer lanes for short rows)
// that share its 32-element chunks: each decodes a chunk once for every column of the tile. The
// partial sums meet in shared memory and one invocation per output adds them up, after a single
// barrier.
//   u[0] = N (weight rows), u[1] = K, u[2] = T, u[3] = weight row bytes, u[4] = lanes,
//   u[5] = row tiles, u[6] = word offset of the activation scales from the codes (quantized X);
//   total = row tiles * column tiles.
#include "common.glsl"

#define TILE_T 8u

layout(std430, set = 0, binding = 0) writeonly buffer DstBuffer { uint D[]; };
layout(std430, set = 0, binding = 1) readonly buffer WBuffer { uint W[]; };
layout(std430, set = 0, binding = 2) readonly buffer XBuffer { uint X[]; };

DEFINE_READERS(W)
#include "weights.glsl"

shared float partial[TILE_T][WG];

void main() {
    uint g = group_index();
    if (g >= pc.total) return;
    uint N = pc.u[0], K = pc.u[1], T = pc.u[2], lanes = pc.u[4];
    uint rows_per_group = WG / lanes;
    uint row_tile = g % pc.u[5];
    uint t0 = (g / pc.u[5]) * TILE_T;
    uint nt = min(TILE_T, T - t0);
    uint tid = gl_LocalInvocationID.x;
    uint lane = tid % lanes;
    uint j = row_tile * rows_per_group + tid / lanes;

    float acc[TILE_T];
    [[unroll]] for (uint t = 0u; t < TILE_T; ++t) acc[t] = 0.0;
    if (j < N) {
        uint row = pc.off[1] + j * pc.u[3];
        uint xw = (pc.off[2] >> 2) + t0 * K;
        uint chunks = (K + 31u) / 32u;
#if WTYPE < 2
        for (uint c = lane; c < chunks; c += lanes) {
            float w[32];
            decode_chunk(row, c, K, w);
            uint x = xw + c * 32u;
            // decode_chunk zeroes the weights past K, so the tail reads no X past the row either.
            uint kn = min(32u, K - c * 32u);
            [[unroll]] for (uint t = 0u; t < TILE_T; ++t) {
                if (t < nt) {
                    float s = 0.0;
                    if (kn == 32u) {
                        [[unroll]] for (uint i = 0u; i < 32u; ++i) s += w[i] * uintBitsToFloat(X[x + i]);
                    } else {
                        [[unroll]] for (uint i = 0u; i < 32u; ++i)
                            if (i < kn) s += w[i] * uintBitsToFloat(X[x + i]);
                    }
                    acc[t] += s;
                    x += K;
                }
            }
        }
#else
        // Quantized activations: codes at word (column * K + k) / 4, scales after them.
        uint xc = (pc.off[2] >> 2) + t0 * (K / 4u);
        uint xs = (pc.off[2] >> 2) + pc.u[6];
#if WTYPE == 12 || WTYPE == 14
        uint scales_per_col = K / 256u;
#else
        uint scales_per_col = K / 32u;
#endif
        for (uint c = lane; c < chunks; c += lanes) {
            int q[32];
            float d, dm;
            int s0, s1;
            decode_chunk_q(row, c, q, d, dm, s0, s1);
            [[unroll]] for (uint t = 0u; t < TILE_T; ++t) {
                if (t < nt) {
                    uint aw = xc + t * (K / 4u) + c * 8u;
#if WTYPE == 12 || WTYPE == 14
                    float ad = uintBitsToFloat(X[xs + (t0 + t) * scales_per_col + (c >> 3)]);
#else
                    float ad = uintBitsToFloat(X[xs + (t0 + t) * scales_per_col + c]);
#endif
                    int lo = 0, hi = 0, asum = 0;
                    [[unroll]] for (uint k = 0u; k < 8u; ++k) {
                        int a4 = int(X[aw + k]);
                        [[unroll]] for (uint e = 0u; e < 4u; ++e) {
                            int a = bitfieldExtract(a4, int(8u * e), 8);
                            if (k < 4u) lo += q[4u * k + e] * a;
                            else hi += q[4u * k + e] * a;
#if WTYPE == 12
                            asum += a;
#endif
                        }
                    }
#if WTYPE == 12
                    acc[t] += ad * (d * float(s0 * (lo + hi)) - dm * float(s1 * asum));
#elif WTYPE == 14
                    acc[t] += (d * ad) * float(s0 * lo + s1 * hi);
#else
                    acc[t] += (d * ad) * float(lo + hi);
#endif
                }
            }
        }
#endif
    }
    [[unroll]] for (uint t = 0u; t < TILE_T; ++t) partial[t][tid] = acc[t];
    barrier();
    // Invocation o < rows_per_group * TILE_T adds up output (row o / TILE_T, column o % TILE_T).
    for (uint o = tid; o < rows_per_group * TILE_T; o += WG) {
        uint r = o / TILE_T, t = o % TILE_T;
        uint jj = row_tile * rows_per_group + r;
        if (jj < N && t < nt) {
            float s = 0.0;
            for (uint l = 0u; l < lanes; ++l) s += partial[t][r * lanes + l];
            D[(pc.off[0] >> 2) + (t0 + t) * N + jj] = floatBitsToUint(s);
        }
    }
}
