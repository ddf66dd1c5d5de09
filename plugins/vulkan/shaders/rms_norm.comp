#version 450
// RMS_NORM: dst = x / sqrt(mean(x^2) + eps) * w, one workgroup per row.
//   u[0] = n; f[0] = eps; total = rows. dst may be src0 (in place).
#include "common.glsl"

layout(std430, set = 0, binding = 0) buffer DstBuffer { uint D[]; };
layout(std430, set = 0, binding = 1) readonly buffer XBuffer { uint X[]; };
layout(std430, set = 0, binding = 2) readonly buffer WBuffer { uint W[]; };

shared float partial[WG];

void main() {
    uint r = group_index();
    if (r >= pc.total) return;
    uint n = pc.u[0];
    uint tid = gl_LocalInvocationID.x;
    uint x = (pc.off[1] >> 2) + r * n;
    float s = 0.0;
    for (uint i = tid; i < n; i += WG) {
        float v = uintBitsToFloat(X[x + i]);
        s += v * v;
    }
    partial[tid] = s;
    barrier();
    for (uint h = WG / 2u; h > 0u; h >>= 1) {
        if (tid < h) partial[tid] += partial[tid + h];
        barrier();
    }
    float scale = 1.0 / sqrt(partial[0] / float(n) + pc.f[0]);
    uint d = (pc.off[0] >> 2) + r * n;
    uint w = pc.off[2] >> 2;
    for (uint i = tid; i < n; i += WG)
        D[d + i] = floatBitsToUint(uintBitsToFloat(X[x + i]) * scale * uintBitsToFloat(W[w + i]));
}
