#version 450
// MOE_ROUTE, one invocation per token, the CPU's arithmetic (op_moe.cpp) step for step: p =
// exp_float(l - max) summed in expert order, each divided by the sum (correctly rounded); the k
// largest picked one after another (the lower expert first on a tie), their sum in that order;
// the picked ones divided by it (u[2] = 1) or kept, the others 0. dst holds p in between.
//   u[0] = experts, u[1] = k, u[2] = renormalise; total = tokens.
#include "common.glsl"

layout(std430, set = 0, binding = 0) buffer DstBuffer { uint D[]; };
layout(std430, set = 0, binding = 1) readonly buffer LBuffer { uint L[]; };

void main() {
    uint t = invocation_index();
    if (t >= pc.total) return;
    uint E = pc.u[0], k = pc.u[1];
    uint l = (pc.off[1] >> 2) + t * E, o = (pc.off[0] >> 2) + t * E;
    float mx = uintBitsToFloat(L[l]);
    for (uint e = 1u; e < E; ++e) {
        float v = uintBitsToFloat(L[l + e]);
        mx = mx < v ? v : mx;  // std::max's choice
    }
    precise float sum = 0.0;
    for (uint e = 0u; e < E; ++e) {
        precise float x = uintBitsToFloat(L[l + e]) - mx;
        float p = exp_float(x);
        D[o + e] = floatBitsToUint(p);
        sum = sum + p;
    }
    for (uint e = 0u; e < E; ++e) D[o + e] = floatBitsToUint(div_rn(uintBitsToFloat(D[o + e]), sum));

    // The i-th pick is the first expert, in (p descending, index ascending) order, after the last.
    float last_p = 0.0;
    int last_e = -1;
    precise float kept = 0.0;
    for (uint i = 0u; i < k; ++i) {
        int best = -1;
        float best_p = 0.0;
        for (uint e = 0u; e < E; ++e) {
            float p = uintBitsToFloat(D[o + e]);
            bool after = last_e < 0 || p < last_p || (p == last_p && int(e) > last_e);
            if (after && (best < 0 || p > best_p)) {
                best = int(e);
                best_p = p;
            }
        }
        kept = kept + best_p;
        last_p = best_p;
        last_e = best;
    }
    for (uint e = 0u; e < E; ++e) {
        float p = uintBitsToFloat(D[o + e]);
        bool picked = p > last_p || (p == last_p && int(e) <= last_e);
        float r = !picked ? 0.0 : pc.u[2] == 1u ? div_rn(p, kept) : p;
        D[o + e] = floatBitsToUint(r);
    }
}
