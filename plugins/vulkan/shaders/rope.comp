#version 450
// ROPE: for pair i < n_rot/2 of every head of token t, theta_i = positions[t] * base^(-2i / n_rot);
// mode 0 rotates (x[2i], x[2i+1]), mode 2 (NeoX) rotates (x[i], x[i + n_rot/2]); dims past n_rot
// are copied.
//
// The angles follow the CPU backend's (and the reference's) float arithmetic, not the exact
// angle: theta_0 = float(position), theta_{i+1} = theta_i * step with the float step =
// powf(base, -2 / n_rot) the host computes as the CPU does, and the rotation is by the C library's
// cos / sin of the float scale * theta_i, which the host puts in a table in the aux buffer
// (plinth/sdk/rope_table.hpp: a GPU cannot reproduce cosf / sinf bit for bit). Positions past the
// table use an accurate evaluation here (double-float reduction modulo pi/2, polynomials on
// [-pi/4, pi/4]), which agrees with the C library for about 99% of angles. Each rotated value is
// x0 c - x1 s as one rounding of fma(x0, c, -(x1 s)), as the CPU.
//
// One invocation per (row, item): items 0 .. n_rot/2 - 1 are pairs, the rest the copied dims.
//   u[0] = head_dim, u[1] = n_rot, u[2] = mode, u[3] = heads (rows per token), u[4] = items per row,
//   u[5] = positions in the table (at word aux_off: cos, sin per position and pair), u[6] = 1 when
//   the angles have frequency factors (ROPE's src2, after the table: pair i's angle divided by
//   factor i, correctly rounded, as the CPU); f[0] = step, f[1] = scale; total = rows * items.
//   dst may be src0 (in place).
#include "common.glsl"

layout(std430, set = 0, binding = 0) buffer DstBuffer { uint D[]; };
layout(std430, set = 0, binding = 1) readonly buffer XBuffer { uint X[]; };
layout(std430, set = 0, binding = 2) readonly buffer PosBuffer { uint P[]; };

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
    float sn, cs;
    if (pos >= 0 && uint(pos) < pc.u[5]) {
        uint at = pc.aux_off + 2u * (uint(pos) * half_rot + e);
        cs = uintBitsToFloat(aux[at]);
        sn = uintBitsToFloat(aux[at + 1u]);
    } else {
        float theta = float(pos);
        for (uint k = 0u; k < e; ++k) {
            precise float next = theta * pc.f[0];
            theta = next;
        }
        precise float angle = pc.f[1] * theta;
        if (pc.u[6] != 0u) angle = div_rn(angle, uintBitsToFloat(aux[pc.aux_off + 2u * pc.u[5] * half_rot + e]));
        sincos_df(vec2(angle, 0.0), sn, cs);
    }
    uint i0 = pc.u[2] == 2u ? e : 2u * e;
    uint i1 = pc.u[2] == 2u ? e + half_rot : 2u * e + 1u;
    float x0 = uintBitsToFloat(X[x + i0]);
    float x1 = uintBitsToFloat(X[x + i1]);
    precise float x1s = x1 * sn;
    precise float x1c = x1 * cs;
    D[d + i0] = floatBitsToUint(fma_exact(x0, cs, -x1s));
    D[d + i1] = floatBitsToUint(fma_exact(x0, sn, x1c));
}
