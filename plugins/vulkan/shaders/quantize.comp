#version 450
// The activation pass before a MATMUL (plinth/compute.h, "precision contract"): the F32 input
// columns X[K, T] converted into the format the weights' dot product takes, into the scratch
// buffer (binding 0), exactly as the CPU backend converts them (same bits):
//   QMODE 1  F16 weights: every value rounded to F16 (nearest even), stored as F32 [T * K].
//   QMODE 2  Q4_0 / Q8_0 weights: Q8_0 blocks of 32. amax = max |x|, the scale d = amax / 127
//            stored as its F16 value, codes round-half-even(x * (127 / amax)) against the F32
//            127 / amax. Layout: the codes, 8 words (int8 x 4) per block, for all T * K / 32
//            blocks, then the scales as floats, one per block.
//   QMODE 3  K-quant weights: Q8_K blocks of 256. d = amax / 127 kept as F32, codes
//            round-half-away(clamp(x / d, -127, 127)). Layout: the codes as above, then one F32
//            scale per 256 elements.
// Divisions are correctly rounded (div_rn), as on the CPU.
// One invocation per element (QMODE 1) or per 32 elements (2, 3; the 8 invocations of a Q8_K
// block share its maximum through shared memory).
//   u[0] = K, u[1] = T, u[2] = word offset of the scales from the codes; total = invocations.
#include "common.glsl"

layout(std430, set = 0, binding = 0) writeonly buffer DstBuffer { uint D[]; };
layout(std430, set = 0, binding = 1) readonly buffer XBuffer { uint X[]; };

#if QMODE == 3
shared float amax_sh[WG];
#endif

void main() {
    uint idx = invocation_index();
    uint dw = pc.off[0] >> 2;
    uint xw = pc.off[1] >> 2;
#if QMODE == 1
    if (idx >= pc.total) return;
    D[dw + idx] = floatBitsToUint(f16_round(uintBitsToFloat(X[xw + idx])));
#else
    bool live = idx < pc.total;
    float x[32];
    float amax = 0.0;
    if (live) {
        [[unroll]] for (uint i = 0u; i < 32u; ++i) {
            x[i] = uintBitsToFloat(X[xw + idx * 32u + i]);
            amax = max(amax, abs(x[i]));
        }
    }
#if QMODE == 2
    if (!live) return;
    float d = div_rn(amax, 127.0);
    float id = amax > 0.0 ? div_rn(127.0, amax) : 0.0;
    [[unroll]] for (uint w = 0u; w < 8u; ++w) {
        uint word = 0u;
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            precise float v = x[4u * w + j] * id;
            word |= (uint(int(roundEven(v))) & 0xFFu) << (8u * j);
        }
        D[dw + idx * 8u + w] = word;
    }
    D[dw + pc.u[2] + idx] = floatBitsToUint(f16_round(min(d, 65504.0)));
#else
    uint tid = gl_LocalInvocationID.x;
    amax_sh[tid] = amax;
    barrier();
    uint first = tid & ~7u;
    [[unroll]] for (uint k = 0u; k < 8u; ++k) amax = max(amax, amax_sh[first + k]);
    if (!live) return;
    float d = div_rn(amax, 127.0);
    [[unroll]] for (uint w = 0u; w < 8u; ++w) {
        uint word = 0u;
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            int q = 0;
            if (d > 0.0) {
                float v = clamp(div_rn(x[4u * w + j], d), -127.0, 127.0);
                float t = trunc(v);
                precise float frac = v - t;
                q = int(t) + (frac >= 0.5 ? 1 : 0) - (frac <= -0.5 ? 1 : 0);
            }
            word |= (uint(q) & 0xFFu) << (8u * j);
        }
        D[dw + idx * 8u + w] = word;
    }
    if ((idx & 7u) == 0u) D[dw + pc.u[2] + idx / 8u] = floatBitsToUint(d);
#endif
#endif
}
