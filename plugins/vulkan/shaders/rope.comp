#version 450
// ROPE: for pair i < n_rot/2 of every head of token t, theta = positions[t] * c_i with
// c_i = scale * base^(-2i / n_rot); mode 0 rotates (x[2i], x[2i+1]), mode 2 (NeoX) rotates
// (x[i], x[i + n_rot/2]); dims past n_rot are copied.
//
// The host computes each c_i in double precision and passes it as a pair of floats (hi + lo) in
// the aux buffer. theta is formed and reduced modulo 2 pi in that double-float arithmetic, and
// sin/cos are evaluated by polynomials on [-pi/4, pi/4], so a large position loses no accuracy
// and the result does not depend on the precision of the GPU's sin and cos.
//
// One invocation per (row, item): items 0 .. n_rot/2 - 1 are pairs, the rest the copied dims.
//   u[0] = head_dim, u[1] = n_rot, u[2] = mode, u[3] = heads (rows per token), u[4] = items per row;
//   total = rows * items. dst may be src0 (in place).
#include "common.glsl"

layout(std430, set = 0, binding = 0) buffer DstBuffer { uint D[]; };
layout(std430, set = 0, binding = 1) readonly buffer XBuffer { uint X[]; };
layout(std430, set = 0, binding = 2) readonly buffer PosBuffer { uint P[]; };

// Exact products without fma (Vulkan does not promise a fused fma): Veltkamp's split and
// Dekker's product. Each operation is `precise` (no contraction), and Vulkan's float add,
// subtract and multiply are correctly rounded, which is all these need.
vec2 split(float a) {
    precise float c = 4097.0 * a;
    precise float hi = c - (c - a);
    precise float lo = a - hi;
    return vec2(hi, lo);
}

// a * b as p + e exactly.
vec2 two_prod(float a, float b) {
    precise float p = a * b;
    vec2 as = split(a), bs = split(b);
    precise float e = ((as.x * bs.x - p) + as.x * bs.y + as.y * bs.x) + as.y * bs.y;
    return vec2(p, e);
}

vec2 add_df(vec2 a, vec2 b) {
    precise float s = a.x + b.x;
    precise float v = s - a.x;
    precise float e = (a.x - (s - v)) + (b.x - v);
    precise float lo = e + a.y + b.y;
    precise float hi = s + lo;
    precise float r = lo - (hi - s);
    return vec2(hi, r);
}

// a * (b.x + b.y) for a float a, as an unevaluated sum hi + lo.
vec2 mul_df(float a, vec2 b) {
    vec2 p = two_prod(a, b.x);
    precise float lo = p.y + a * b.y;
    return add_df(vec2(p.x, 0.0), vec2(lo, 0.0));
}

// sin and cos of theta (double-float), reduced to r = theta - k * pi/2 in [-pi/4, pi/4].
void sincos_df(vec2 theta, out float sn, out float cs) {
    const float two_over_pi = 0.636619772367581343;
    // pi/2 as the unevaluated sum of three floats (about 72 bits).
    const float C1 = 1.5707963705062866;       // float(pi/2)
    const float C2 = -4.371138828673793e-08;  // float(pi/2 - C1)
    const float C3 = -1.7151245100058819e-15;  // float(pi/2 - C1 - C2)
    float k = round(theta.x * two_over_pi);
    vec2 kc1 = two_prod(k, C1);          // exact
    precise float r = theta.x - kc1.x;   // exact: the two are within a factor 2 (or k = 0)
    r = r - kc1.y;
    r = r + theta.y;
    r = r - k * C2;
    r = r - k * C3;
    // The reduction may leave |r| slightly above pi/4; the polynomials stay accurate there.
    float r2 = r * r;
    float s = r + r * r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0 + r2 * (-1.0 / 39916800.0)))));
    float c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0 + r2 * (1.0 / 479001600.0))))));
    int q = int(k) & 3;
    if (q == 0) { sn = s; cs = c; }
    else if (q == 1) { sn = c; cs = -s; }
    else if (q == 2) { sn = -s; cs = -c; }
    else { sn = -c; cs = s; }
}

void main() {
    uint idx = invocation_index();
    if (idx >= pc.total) return;
    uint head_dim = pc.u[0], n_rot = pc.u[1], half_rot = n_rot / 2u;
    uint items = pc.u[4];
    uint r = idx / items, e = idx % items;
    uint x = (pc.off[1] >> 2) + r * head_dim;
    uint d = (pc.off[0] >> 2) + r * head_dim;
    if (e >= half_rot) {  // a dim past n_rot: copied
        uint i = n_rot + (e - half_rot);
        D[d + i] = X[x + i];
        return;
    }
    int pos = int(P[(pc.off[2] >> 2) + r / pc.u[3]]);
    uint c = pc.aux_off + 2u * e;
    vec2 freq = vec2(uintBitsToFloat(aux[c]), uintBitsToFloat(aux[c + 1u]));
    // positions * c_e, the position split into two parts each exact in a float.
    float p_hi = float(pos & ~0xFFF);
    float p_lo = float(pos & 0xFFF);
    vec2 theta = add_df(mul_df(p_hi, freq), mul_df(p_lo, freq));
    float sn, cs;
    sincos_df(theta, sn, cs);
    uint i0 = pc.u[2] == 2u ? e : 2u * e;
    uint i1 = pc.u[2] == 2u ? e + half_rot : 2u * e + 1u;
    float x0 = uintBitsToFloat(X[x + i0]);
    float x1 = uintBitsToFloat(X[x + i1]);
    D[d + i0] = floatBitsToUint(x0 * cs - x1 * sn);
    D[d + i1] = floatBitsToUint(x0 * sn + x1 * cs);
}
