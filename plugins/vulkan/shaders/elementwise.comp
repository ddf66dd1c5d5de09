#version 450
// ADD, MUL and SWIGLU, one invocation per element. SWIGLU is x / (1 + exp(-x)) * u in float with
// exp_float and a correctly rounded division (the CPU's expf and IEEE division).
//   u[0] = op (0 add, 1 mul, 2 swiglu), u[1] = elements, u[2] = src1 elements (a whole row for
//   MUL's broadcast); total = elements. dst may be src0 or src1 (in place).
#include "common.glsl"

layout(std430, set = 0, binding = 0) buffer DstBuffer { uint D[]; };
layout(std430, set = 0, binding = 1) readonly buffer ABuffer { uint A[]; };
layout(std430, set = 0, binding = 2) readonly buffer BBuffer { uint B[]; };

void main() {
    uint i = invocation_index();
    if (i >= pc.total) return;
    float a = uintBitsToFloat(A[(pc.off[1] >> 2) + i]);
    float b = uintBitsToFloat(B[(pc.off[2] >> 2) + i % pc.u[2]]);
    float r;
    if (pc.u[0] == 0u) r = a + b;
    else if (pc.u[0] == 1u) r = a * b;
    else {
        precise float den = 1.0 + exp_float(-a);
        precise float silu = div_rn(a, den);
        r = silu * b;
    }
    D[(pc.off[0] >> 2) + i] = floatBitsToUint(r);
}
