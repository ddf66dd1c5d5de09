#version 450
// ADD, MUL, SWIGLU, GEGLU, SCALE and SOFTCAP, one invocation per element, in float as the CPU:
//   SWIGLU   x / (1 + exp(-x)) * u with exp_float and a correctly rounded division (expf, IEEE /).
//   GEGLU    g(x) * u, g(x) = the host-made F16 gelu table's entry for F16(x) (at word aux_off, two
//            entries a word: sdk::fill_gelu_f16_table), x for x >= 10, 0 for x <= -10.
//   SCALE    x * f[0].
//   SOFTCAP  f[0] * tanh(x * f[1]), f[1] = 1 / f[0] rounded once by the host (as op_softcap).
//   u[0] = op (0 add, 1 mul, 2 swiglu, 3 geglu, 4 scale, 5 softcap), u[1] = elements, u[2] = src1
//   elements (a whole row for the broadcast; the one-source ops bind src0 again);
//   total = elements. dst may be src0 or src1 (in place).
#include "common.glsl"

layout(std430, set = 0, binding = 0) buffer DstBuffer { uint D[]; };
layout(std430, set = 0, binding = 1) readonly buffer ABuffer { uint A[]; };
layout(std430, set = 0, binding = 2) readonly buffer BBuffer { uint B[]; };

float gelu_f16(float x) {
    if (x >= 10.0) return x;
    if (x <= -10.0) return 0.0;
    uint h = f32_to_f16(x);
    return f16_to_f32((aux[pc.aux_off + (h >> 1)] >> ((h & 1u) * 16u)) & 0xFFFFu);
}

void main() {
    uint i = invocation_index();
    if (i >= pc.total) return;
    float a = uintBitsToFloat(A[(pc.off[1] >> 2) + i]);
    float b = uintBitsToFloat(B[(pc.off[2] >> 2) + i % pc.u[2]]);
    precise float r;
    uint op = pc.u[0];
    if (op == 0u) r = a + b;
    else if (op == 1u) r = a * b;
    else if (op == 2u) {
        precise float den = 1.0 + exp_float(-a);
        precise float silu = div_rn(a, den);
        r = silu * b;
    } else if (op == 3u) r = gelu_f16(a) * b;
    else if (op == 4u) r = a * pc.f[0];
    else {
        precise float scaled = a * pc.f[1];
        r = pc.f[0] * tanh_float(scaled);
    }
    D[(pc.off[0] >> 2) + i] = floatBitsToUint(r);
}
