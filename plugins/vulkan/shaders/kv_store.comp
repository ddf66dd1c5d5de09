#version 450
// KV_STORE: row t of src0 (F32) into the cache (binding 0, F32 or F16 by CACHE_F16) at slot
// slots[t]. One workgroup per token. When a slot is named twice, the later token's row is kept
// (a row skips itself if a later token names its slot).
//   u[0] = row length, u[1] = cache slots; total = T.
#include "common.glsl"

layout(std430, set = 0, binding = 0) coherent buffer CacheBuffer { uint C[]; };
layout(std430, set = 0, binding = 1) readonly buffer XBuffer { uint X[]; };
layout(std430, set = 0, binding = 3) readonly buffer SlotBuffer { uint S[]; };

DEFINE_HALF_WRITER(C)

shared bool superseded;

void main() {
    uint t = group_index();
    if (t >= pc.total) return;
    uint n = pc.u[0];
    uint tid = gl_LocalInvocationID.x;
    uint slots_w = pc.off[3] >> 2;
    int slot = int(S[slots_w + t]);
    if (slot < 0 || uint(slot) >= pc.u[1]) {
        if (tid == 0u) flag_error();
        return;
    }
    if (tid == 0u) superseded = false;
    barrier();
    for (uint u = t + 1u + tid; u < pc.total; u += WG)
        if (int(S[slots_w + u]) == slot) superseded = true;
    barrier();
    if (superseded) return;

    uint x = (pc.off[1] >> 2) + t * n;
#if CACHE_F16
    uint base = pc.off[0] + uint(slot) * n * 2u;  // byte address of the row (even)
    uint first = base >> 2, last = (base + 2u * n - 1u) >> 2;
    for (uint w = first + tid; w <= last; w += WG) {
        // element of the low half of word w: (4w - base) / 2, possibly -1 (the previous row's)
        int e_lo = (int(4u * w) - int(base)) / 2;
        bool lo_in = e_lo >= 0 && e_lo < int(n);
        bool hi_in = e_lo + 1 >= 0 && e_lo + 1 < int(n);
        uint lo = lo_in ? f32_to_f16(uintBitsToFloat(X[x + uint(e_lo)])) : 0u;
        uint hi = hi_in ? f32_to_f16(uintBitsToFloat(X[x + uint(e_lo + 1)])) : 0u;
        C_write_halves(w, lo, lo_in, hi, hi_in);
    }
#else
    uint c = (pc.off[0] >> 2) + uint(slot) * n;
    for (uint i = tid; i < n; i += WG) C[c + i] = X[x + i];
#endif
}
