#version 450
// MATMUL: dst[j, t] = sum_k W[k, j] * X[k, t], weights of type WTYPE, X and dst F32.
// One workgroup per (tile of weight rows, tile of TILE_T columns). Each row of the tile is taken by
// `lanes` invocations (a power of two; WG / lanes rows per workgroup, fewer lanes for short rows)
// that share its 32-element chunks: each decodes a chunk once for every column of the tile. The
// partial sums meet in shared memory and one invocation per output adds them up, after a single
// barrier.
//   u[0] = N (weight rows), u[1] = K, u[2] = T, u[3] = weight row bytes, u[4] = lanes,
//   u[5] = row tiles; total = row tiles * column tiles.
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
