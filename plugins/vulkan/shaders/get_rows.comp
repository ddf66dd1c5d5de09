#version 450
// GET_ROWS: dst[:, t] = src0[:, ids[t]] as F32. One workgroup per token.
//   u[0] = n (row length), u[1] = rows of src0, u[2] = src0 row bytes; total = T.
#include "common.glsl"

layout(std430, set = 0, binding = 0) writeonly buffer DstBuffer { uint D[]; };
layout(std430, set = 0, binding = 1) readonly buffer WBuffer { uint W[]; };
layout(std430, set = 0, binding = 2) readonly buffer IdBuffer { uint I[]; };

DEFINE_READERS(W)
#include "weights.glsl"

void main() {
    uint t = group_index();
    if (t >= pc.total) return;
    uint n = pc.u[0];
    int id = int(I[(pc.off[2] >> 2) + t]);
    if (id < 0 || uint(id) >= pc.u[1]) {
        if (gl_LocalInvocationID.x == 0u) flag_error();
        return;
    }
    uint row = pc.off[1] + uint(id) * pc.u[2];
    uint out_w = (pc.off[0] >> 2) + t * n;
    uint chunks = (n + 31u) / 32u;
    for (uint c = gl_LocalInvocationID.x; c < chunks; c += WG) {
        float w[32];
        decode_chunk(row, c, n, w);
        uint k0 = c * 32u;
        [[unroll]] for (uint i = 0u; i < 32u; ++i)
            if (k0 + i < n) D[out_w + k0 + i] = floatBitsToUint(w[i]);
    }
}
