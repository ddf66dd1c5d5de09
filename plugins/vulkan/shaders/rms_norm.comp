#version 450
// RMS_NORM: dst = x * (1 / sqrt(mean(x^2) + eps)) * w, one workgroup per row.
//
// The precision contract (plinth/compute.h): each square x*x is rounded to float, the squares are
// summed as if in double and the mean rounded to float once; then the float arithmetic of the
// formula, left to right, with a correctly rounded sqrt and division. The sum is kept as a
// double-float (hi + lo, error-free transformations), which is as exact as the CPU's double sum
// for any row length plinth meets and needs no shaderFloat64.
//   u[0] = n; f[0] = eps; total = rows. dst may be src0 (in place).
#include "common.glsl"

layout(std430, set = 0, binding = 0) buffer DstBuffer { uint D[]; };
layout(std430, set = 0, binding = 1) readonly buffer XBuffer { uint X[]; };
layout(std430, set = 0, binding = 2) readonly buffer WBuffer { uint W[]; };

shared vec2 partial[WG];

void main() {
    uint r = group_index();
    if (r >= pc.total) return;
    uint n = pc.u[0];
    uint tid = gl_LocalInvocationID.x;
    uint x = (pc.off[1] >> 2) + r * n;
    vec2 s = vec2(0.0);
    for (uint i = tid; i < n; i += WG) {
        float v = uintBitsToFloat(X[x + i]);
        precise float sq = v * v;
        s = add_df_f(s, sq);
    }
    partial[tid] = s;
    barrier();
    for (uint h = WG / 2u; h > 0u; h >>= 1) {
        if (tid < h) partial[tid] = add_df_df(partial[tid], partial[tid + h]);
        barrier();
    }
    float mean = div_df(partial[0], float(n));
    precise float denom = mean + pc.f[0];
    float scale = div_rn(1.0, sqrt_rn(denom));
    uint d = (pc.off[0] >> 2) + r * n;
    uint w = pc.off[2] >> 2;
    for (uint i = tid; i < n; i += WG) {
        precise float v = uintBitsToFloat(X[x + i]) * scale;
        precise float o = v * uintBitsToFloat(W[w + i]);
        D[d + i] = floatBitsToUint(o);
    }
}
