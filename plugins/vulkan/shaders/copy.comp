#version 450
// COPY: dst = src0 converted to dst's type (F32/F16 each), element by element in order.
// F32 dst: one invocation per element. F16 dst: one invocation per 32-bit word of dst.
//   u[0] = elements, u[1] = src is F16, u[2] = dst is F16, u[3] = first dst word; total = work items.
#include "common.glsl"

layout(std430, set = 0, binding = 0) coherent buffer DstBuffer { uint D[]; };
layout(std430, set = 0, binding = 1) readonly buffer SBuffer { uint S[]; };

DEFINE_READERS(S)
DEFINE_HALF_WRITER(D)

float load(uint e) { return pc.u[1] != 0u ? S_f16(pc.off[1] + 2u * e) : S_f32(pc.off[1] + 4u * e); }
uint load_f16(uint e) { return pc.u[1] != 0u ? S_u16(pc.off[1] + 2u * e) : f32_to_f16(S_f32(pc.off[1] + 4u * e)); }

void main() {
    uint i = invocation_index();
    if (i >= pc.total) return;
    uint n = pc.u[0];
    if (pc.u[2] == 0u) {
        D[(pc.off[0] >> 2) + i] = floatBitsToUint(load(i));
        return;
    }
    uint w = pc.u[3] + i;
    int e_lo = (int(4u * w) - int(pc.off[0])) / 2;
    bool lo_in = e_lo >= 0 && e_lo < int(n);
    bool hi_in = e_lo + 1 >= 0 && e_lo + 1 < int(n);
    uint lo = lo_in ? load_f16(uint(e_lo)) : 0u;
    uint hi = hi_in ? load_f16(uint(e_lo + 1)) : 0u;
    D_write_halves(w, lo, lo_in, hi, hi_in);
}
