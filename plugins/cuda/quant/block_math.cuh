#pragma once
// The arithmetic of the CUDA weight kernels, one block at a time: decoding an element (GET_ROWS),
// the exact integer dot of a weight block with its activation block and the float scaling of it
// (MATMUL), and the per-element steps of the activation quantizers. Every function here is
// __host__ __device__ and the kernels call exactly these, so tests/cuda compiles this header as
// plain C++17 on the host and holds it to sdk/weight_formats (the reference every backend meets).
//
// Float operations that the precision contract (plinth/compute.h) rounds separately go through
// mul / add / sub / div below: on the device these are the _rn intrinsics, which nvcc never fuses
// into an fma, so the kernels round exactly where the host reference does (which the project
// compiles with -ffp-contract=off).
#include <cstdint>
#include <cstring>

#include <plinth/weight_formats/block_layouts.hpp>
#include <plinth/weight_types.h>

// Functions for both sides: __host__ __device__ under nvcc, plain inline C++ otherwise.
#ifndef PLINTH_HD
#ifdef __CUDACC__
#define PLINTH_HD __host__ __device__ __forceinline__
#else
#define PLINTH_HD inline
#endif
#endif

namespace plinth::cuda::bm {

using weight_formats::BlockQ2_K;
using weight_formats::BlockQ3_K;
using weight_formats::BlockQ4_0;
using weight_formats::BlockQ4_1;
using weight_formats::BlockQ4_K;
using weight_formats::BlockQ5_0;
using weight_formats::BlockQ5_1;
using weight_formats::BlockQ5_K;
using weight_formats::BlockQ6_K;
using weight_formats::BlockQ8_0;
using weight_formats::BlockQ8_1;
using weight_formats::BlockQ8_K;

// ---- float bits, correctly rounded operations ----------------------------------------------------

PLINTH_HD uint32_t bits_of(float f) {
#ifdef __CUDA_ARCH__
    return __float_as_uint(f);
#else
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
#endif
}
PLINTH_HD float from_bits(uint32_t u) {
#ifdef __CUDA_ARCH__
    return __uint_as_float(u);
#else
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
#endif
}

PLINTH_HD float mul(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fmul_rn(a, b);
#else
    return a * b;
#endif
}
PLINTH_HD float add(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fadd_rn(a, b);
#else
    return a + b;
#endif
}
PLINTH_HD float sub(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fsub_rn(a, b);
#else
    return a - b;
#endif
}
PLINTH_HD float div(float a, float b) {
#ifdef __CUDA_ARCH__
    return __fdiv_rn(a, b);
#else
    return a / b;
#endif
}
PLINTH_HD float abs_of(float x) { return from_bits(bits_of(x) & 0x7FFFFFFFu); }
// max for the amax reductions: finite inputs, so the result does not depend on the order.
PLINTH_HD float max_of(float a, float b) { return a < b ? b : a; }

// ---- F16 / BF16 (the same integer formulas as weight_formats/half.hpp) --------------------------

PLINTH_HD float f16_to_f32(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu;
    uint32_t mant = h & 0x3FFu;
    if (exp == 0x1F) return from_bits(sign | 0x7F800000u | (mant << 13));
    if (exp != 0) return from_bits(sign | ((exp + 112) << 23) | (mant << 13));
    if (mant == 0) return from_bits(sign);
    // Subnormal: mant * 2^-24 is exact in float.
    const float v = float(mant) * 5.9604644775390625e-8f;
    return sign ? -v : v;
}

PLINTH_HD uint16_t f32_to_f16(float f) {
    const uint32_t x = bits_of(f);
    const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
    const uint32_t ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u) return uint16_t(sign | 0x7E00u | ((ax >> 13) & 0x3FFu));  // NaN, quiet
    if (ax >= 0x477FF000u) return uint16_t(sign | 0x7C00u);                          // rounds to inf
    if (ax >= 0x38800000u) {  // normal: rebias, round to nearest even on the 13 dropped bits
        const uint32_t rebased = ax - (112u << 23);
        return uint16_t(sign | ((rebased + 0xFFFu + ((rebased >> 13) & 1u)) >> 13));
    }
    if (ax <= 0x33000000u) return sign;  // at most half the smallest subnormal: 0 (ties to even)
    const uint32_t mant = (ax & 0x7FFFFFu) | 0x800000u;
    const uint32_t shift = 126u - (ax >> 23);  // 14..24
    uint32_t q = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1u);
    const uint32_t half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return uint16_t(sign | q);
}

PLINTH_HD float bf16_to_f32(uint16_t h) { return from_bits(uint32_t(h) << 16); }

// ---- 4 bytes at a time ---------------------------------------------------------------------------

// Little-endian 32-bit word at p, which is only 2-byte aligned (most blocks are 18, 22, 34, 110
// or 210 bytes long, so their codes are not 4-byte aligned).
PLINTH_HD int load_i32_a2(const void* p) {
    const auto* h = static_cast<const uint16_t*>(p);
    return int(uint32_t(h[0]) | (uint32_t(h[1]) << 16));
}

// acc + the dot of the four signed bytes of a and b: one dp4a on the device.
PLINTH_HD int dot4_i8(int a, int b, int acc) {
#ifdef __CUDA_ARCH__
    return __dp4a(a, b, acc);
#else
    for (int k = 0; k < 4; ++k)
        acc += int(int8_t(uint32_t(a) >> (8 * k))) * int(int8_t(uint32_t(b) >> (8 * k)));
    return acc;
#endif
}
constexpr int kOnes = 0x01010101;  // dot4_i8(kOnes, a, 0): the sum of a's four bytes

// Bits 0..3 of `bits` as bit 4 of four bytes (the fifth code bit of Q5_0 / Q5_1).
PLINTH_HD int spread4_to_bit4(uint32_t bits) {
    return int(((bits & 1u) << 4) | ((bits & 2u) << 11) | ((bits & 4u) << 18) | ((bits & 8u) << 25));
}

// ---- 32-element blocks x Q8_0 / Q8_1: one block's term d_w d_a isum (+ m_w s_a) ------------------
// Codes of element i < 16 sit in the low nibble of qs[i], i >= 16 in the high nibble of qs[i - 16]:
// word k of qs gives elements 4k..4k+3 (low nibbles) and 16+4k..16+4k+3 (high nibbles).

// Integer dot of 4-bit (plus 5th bit) codes with the activation codes, and the activations' sum
// for the bias the symmetric types take off (q - 8, q - 16).
struct BlockSums {
    int dot = 0;   // sum code * a
    int asum = 0;  // sum a
};
PLINTH_HD BlockSums nibble_dot(const uint8_t* qs, const uint8_t* qh, const int8_t* a) {
    BlockSums s;
    const uint32_t high_bits = qh ? uint32_t(load_i32_a2(qh)) : 0u;
    for (int k = 0; k < 4; ++k) {
        const uint32_t v = uint32_t(load_i32_a2(qs + 4 * k));
        int lo = int(v & 0x0F0F0F0Fu), hi = int((v >> 4) & 0x0F0F0F0Fu);
        if (qh) {
            lo |= spread4_to_bit4(high_bits >> (4 * k));
            hi |= spread4_to_bit4(high_bits >> (16 + 4 * k));
        }
        const int a_lo = load_i32_a2(a + 4 * k), a_hi = load_i32_a2(a + 16 + 4 * k);
        s.dot = dot4_i8(hi, a_hi, dot4_i8(lo, a_lo, s.dot));
        s.asum = dot4_i8(kOnes, a_hi, dot4_i8(kOnes, a_lo, s.asum));
    }
    return s;
}

PLINTH_HD float symmetric_term(uint16_t w_d, uint16_t a_d, int isum) {
    return mul(mul(f16_to_f32(w_d), f16_to_f32(a_d)), float(isum));
}
PLINTH_HD float affine_term(uint16_t w_d, uint16_t w_m, const BlockQ8_1& a, int isum) {
    return add(symmetric_term(w_d, a.d, isum), mul(f16_to_f32(w_m), f16_to_f32(a.s)));
}

PLINTH_HD float block_dot(const BlockQ4_0& w, const BlockQ8_0& a) {
    const BlockSums s = nibble_dot(w.qs, nullptr, a.qs);
    return symmetric_term(w.d, a.d, s.dot - 8 * s.asum);
}
PLINTH_HD float block_dot(const BlockQ5_0& w, const BlockQ8_0& a) {
    const BlockSums s = nibble_dot(w.qs, w.qh, a.qs);
    return symmetric_term(w.d, a.d, s.dot - 16 * s.asum);
}
PLINTH_HD float block_dot(const BlockQ4_1& w, const BlockQ8_1& a) {
    return affine_term(w.d, w.m, a, nibble_dot(w.qs, nullptr, a.qs).dot);
}
PLINTH_HD float block_dot(const BlockQ5_1& w, const BlockQ8_1& a) {
    return affine_term(w.d, w.m, a, nibble_dot(w.qs, w.qh, a.qs).dot);
}
PLINTH_HD float block_dot(const BlockQ8_0& w, const BlockQ8_0& a) {
    int isum = 0;
    for (int k = 0; k < 8; ++k) isum = dot4_i8(load_i32_a2(w.qs + 4 * k), load_i32_a2(a.qs + 4 * k), isum);
    return symmetric_term(w.d, a.d, isum);
}

// ---- K-quant super-blocks x Q8_K ---------------------------------------------------------------
// A super-block is worked on as 8 pieces of 32 elements (piece p: elements 32p .. 32p + 31), so
// 8 GPU lanes can share one. A piece's weights unpack once into a KPiece (its codes four to an int,
// the scales and mins of its two 16-element halves) which then meets any number of activation
// columns. Each piece gives exact integers: isum (codes x activation codes x sub-block scales) and
// msum (sub-block mins x activation sums, from Q8_K's bsums); the pieces' integers add exactly, then
// kterm does the super-block's float side once, as weight_formats::kquant_term(_min) does: so a
// super-block's term is bit-identical to the CPU's.

struct KSums {
    int isum = 0;
    int msum = 0;
};
PLINTH_HD KSums operator+(KSums a, KSums b) { return {a.isum + b.isum, a.msum + b.msum}; }

// A piece's scales: those of its two 16-element halves (Q4_K / Q5_K: the same sub-block twice),
// the mins (0 for the symmetric types) and the bias taken off every code.
struct KScales {
    int sc[2];
    int mn[2];
    int bias;  // 4 (Q3_K), 32 (Q6_K), 0 otherwise
};

struct KPiece {
    int codes[8];  // word k: the codes of elements 32p + 4k .. 32p + 4k + 3, one per byte (unsigned)
    KScales s;
};

// The piece's integers against one activation super-block.
PLINTH_HD KSums kpiece_dot(const KPiece& w, const BlockQ8_K& a, int p) {
    const int8_t* aq = a.qs + 32 * p;
    int h0 = 0, h1 = 0;
    for (int k = 0; k < 4; ++k) h0 = dot4_i8(w.codes[k], load_i32_a2(aq + 4 * k), h0);
    for (int k = 4; k < 8; ++k) h1 = dot4_i8(w.codes[k], load_i32_a2(aq + 4 * k), h1);
    const int s0 = a.bsums[2 * p], s1 = a.bsums[2 * p + 1];
    const KScales& ks = w.s;
    return {ks.sc[0] * (h0 - ks.bias * s0) + ks.sc[1] * (h1 - ks.bias * s1), ks.mn[0] * s0 + ks.mn[1] * s1};
}

// Each type gives kcode_word (word k of piece p's codes, k in 0..7) and kscales (piece p's).

// Q2_K: element 128h + 32s + l has bits 2s..2s+1 of qs[32h + l]; sub-block j = i / 16 has
// scale scales[j] & 15 and min scales[j] >> 4.
PLINTH_HD int kcode_word(const BlockQ2_K& w, int p, int k) {
    return int((uint32_t(load_i32_a2(w.qs + 32 * (p / 4) + 4 * k)) >> (2 * (p % 4))) & 0x03030303u);
}
PLINTH_HD KScales kscales(const BlockQ2_K& w, int p) {
    KScales r;
    for (int h = 0; h < 2; ++h) {
        r.sc[h] = w.scales[2 * p + h] & 0x0F;
        r.mn[h] = w.scales[2 * p + h] >> 4;
    }
    r.bias = 0;
    return r;
}

// Q3_K: the Q2_K low bits plus bit p of hmask[l] as bit 2; q - 4; 6-bit signed sub-block scales.
PLINTH_HD int q3k_scale(const uint8_t* s, int j) {
    const int low = j < 8 ? (s[j] & 0x0F) : (s[j - 8] >> 4);
    const int high = (s[8 + (j & 3)] >> (2 * (j >> 2))) & 3;
    return (low | (high << 4)) - 32;
}
PLINTH_HD int kcode_word(const BlockQ3_K& w, int p, int k) {
    const uint32_t low = (uint32_t(load_i32_a2(w.qs + 32 * (p / 4) + 4 * k)) >> (2 * (p % 4))) & 0x03030303u;
    const uint32_t top = (uint32_t(load_i32_a2(w.hmask + 4 * k)) >> p) & 0x01010101u;
    return int(low | (top << 2));
}
PLINTH_HD KScales kscales(const BlockQ3_K& w, int p) {
    KScales r;
    for (int h = 0; h < 2; ++h) {
        r.sc[h] = q3k_scale(w.scales, 2 * p + h);
        r.mn[h] = 0;
    }
    r.bias = 4;
    return r;
}

// Q4_K / Q5_K: 8 pairs of 6-bit (scale, min), one per 32-element sub-block (= piece).
PLINTH_HD void k4_scale_min(const uint8_t* s, int j, int* sc, int* mn) {
    if (j < 4) {
        *sc = s[j] & 63;
        *mn = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4);
        *mn = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}
// Element 64c + l (l < 32): low nibble of qs[32c + l]; 64c + 32 + l: the high nibble. Q5_K adds
// bit p of qh[l] as bit 4.
PLINTH_HD int k45_code_word(const uint8_t* qs, const uint8_t* qh, int p, int k) {
    uint32_t code = (uint32_t(load_i32_a2(qs + 32 * (p / 2) + 4 * k)) >> (4 * (p % 2))) & 0x0F0F0F0Fu;
    if (qh) code |= ((uint32_t(load_i32_a2(qh + 4 * k)) >> p) & 0x01010101u) << 4;
    return int(code);
}
PLINTH_HD KScales k45_scales(const uint8_t* scales, int p) {
    KScales r;
    k4_scale_min(scales, p, &r.sc[0], &r.mn[0]);
    r.sc[1] = r.sc[0];
    r.mn[1] = r.mn[0];
    r.bias = 0;
    return r;
}
PLINTH_HD int kcode_word(const BlockQ4_K& w, int p, int k) { return k45_code_word(w.qs, nullptr, p, k); }
PLINTH_HD int kcode_word(const BlockQ5_K& w, int p, int k) { return k45_code_word(w.qs, w.qh, p, k); }
PLINTH_HD KScales kscales(const BlockQ4_K& w, int p) { return k45_scales(w.scales, p); }
PLINTH_HD KScales kscales(const BlockQ5_K& w, int p) { return k45_scales(w.scales, p); }

// Q6_K: element 128h + 32s + l: low 4 bits from ql[64h + 32(s & 1) + l] (high nibble for s >= 2),
// top 2 bits from bits 2s..2s+1 of qh[32h + l]; q - 32; int8 scales per 16.
PLINTH_HD int kcode_word(const BlockQ6_K& w, int p, int k) {
    const int h = p / 4, s = p % 4;
    const uint32_t low = (uint32_t(load_i32_a2(w.ql + 64 * h + 32 * (s & 1) + 4 * k)) >> (s < 2 ? 0 : 4)) & 0x0F0F0F0Fu;
    const uint32_t top = (uint32_t(load_i32_a2(w.qh + 32 * h + 4 * k)) >> (2 * s)) & 0x03030303u;
    return int(low | (top << 4));
}
PLINTH_HD KScales kscales(const BlockQ6_K& w, int p) {
    KScales r;
    for (int half = 0; half < 2; ++half) {
        r.sc[half] = w.scales[2 * p + half];
        r.mn[half] = 0;
    }
    r.bias = 32;
    return r;
}

// Piece p of a super-block: its eight code words and its scales.
template <class W>
PLINTH_HD KPiece kpiece_weights(const W& w, int p) {
    KPiece r;
    for (int k = 0; k < 8; ++k) r.codes[k] = kcode_word(w, p, k);
    r.s = kscales(w, p);
    return r;
}

// Piece p of a weight super-block against one activation super-block.
template <class W>
PLINTH_HD KSums kpiece(const W& w, const BlockQ8_K& a, int p) {
    return kpiece_dot(kpiece_weights(w, p), a, p);
}

// The super-block's float side: d_a (d isum - dmin msum) for the types with mins, d d_a isum else.
PLINTH_HD float kterm_min(uint16_t w_d, uint16_t w_dmin, float a_d, KSums s) {
    return mul(a_d, sub(mul(f16_to_f32(w_d), float(s.isum)), mul(f16_to_f32(w_dmin), float(s.msum))));
}
PLINTH_HD float kterm(const BlockQ2_K& w, const BlockQ8_K& a, KSums s) { return kterm_min(w.d, w.dmin, a.d, s); }
PLINTH_HD float kterm(const BlockQ4_K& w, const BlockQ8_K& a, KSums s) { return kterm_min(w.d, w.dmin, a.d, s); }
PLINTH_HD float kterm(const BlockQ5_K& w, const BlockQ8_K& a, KSums s) { return kterm_min(w.d, w.dmin, a.d, s); }
PLINTH_HD float kterm(const BlockQ3_K& w, const BlockQ8_K& a, KSums s) { return mul(mul(f16_to_f32(w.d), a.d), float(s.isum)); }
PLINTH_HD float kterm(const BlockQ6_K& w, const BlockQ8_K& a, KSums s) { return mul(mul(f16_to_f32(w.d), a.d), float(s.isum)); }

// One super-block's term on one thread (GET_ROWS-sized work, the tests, the tiled kernel).
template <class W>
PLINTH_HD float block_dot_k(const W& w, const BlockQ8_K& a) {
    KSums s;
    for (int p = 0; p < 8; ++p) s = s + kpiece(w, a, p);
    return kterm(w, a, s);
}
PLINTH_HD float block_dot(const BlockQ2_K& w, const BlockQ8_K& a) { return block_dot_k(w, a); }
PLINTH_HD float block_dot(const BlockQ3_K& w, const BlockQ8_K& a) { return block_dot_k(w, a); }
PLINTH_HD float block_dot(const BlockQ4_K& w, const BlockQ8_K& a) { return block_dot_k(w, a); }
PLINTH_HD float block_dot(const BlockQ5_K& w, const BlockQ8_K& a) { return block_dot_k(w, a); }
PLINTH_HD float block_dot(const BlockQ6_K& w, const BlockQ8_K& a) { return block_dot_k(w, a); }

// ---- decoding one element (GET_ROWS): dequantize.cpp's formulas, rounded the same way ----------

PLINTH_HD int q4_code(const uint8_t* qs, int i) { return i < 16 ? (qs[i] & 0x0F) : (qs[i - 16] >> 4); }
PLINTH_HD int q5_code(const uint8_t* qs, const uint8_t* qh, int i) {
    return q4_code(qs, i) | (((qh[i / 8] >> (i % 8)) & 1) << 4);
}
PLINTH_HD int k2_bits(const uint8_t* qs, int i) { return (qs[32 * (i / 128) + i % 32] >> (2 * ((i / 32) % 4))) & 3; }
PLINTH_HD int k4_bits(const uint8_t* qs, int i) {
    const uint8_t byte = qs[32 * (i / 64) + i % 32];
    return (i % 64) < 32 ? (byte & 0x0F) : (byte >> 4);
}
PLINTH_HD int k_top_bit(const uint8_t* bits, int i) { return (bits[i % 32] >> (i / 32)) & 1; }

PLINTH_HD float decode(const BlockQ4_0& b, int i) { return mul(f16_to_f32(b.d), float(q4_code(b.qs, i) - 8)); }
PLINTH_HD float decode(const BlockQ4_1& b, int i) {
    return add(mul(f16_to_f32(b.d), float(q4_code(b.qs, i))), f16_to_f32(b.m));
}
PLINTH_HD float decode(const BlockQ5_0& b, int i) { return mul(f16_to_f32(b.d), float(q5_code(b.qs, b.qh, i) - 16)); }
PLINTH_HD float decode(const BlockQ5_1& b, int i) {
    return add(mul(f16_to_f32(b.d), float(q5_code(b.qs, b.qh, i))), f16_to_f32(b.m));
}
PLINTH_HD float decode(const BlockQ8_0& b, int i) { return mul(f16_to_f32(b.d), float(b.qs[i])); }
// d * sc * q - dmin * mn, multiplied left to right as dequantize.cpp writes it.
PLINTH_HD float affine_k(uint16_t d, uint16_t dmin, int sc, int mn, int q) {
    return sub(mul(mul(f16_to_f32(d), float(sc)), float(q)), mul(f16_to_f32(dmin), float(mn)));
}
PLINTH_HD float decode(const BlockQ2_K& b, int i) {
    const uint8_t s = b.scales[i / 16];
    return affine_k(b.d, b.dmin, s & 0x0F, s >> 4, k2_bits(b.qs, i));
}
PLINTH_HD float decode(const BlockQ3_K& b, int i) {
    const int q = k2_bits(b.qs, i) | (k_top_bit(b.hmask, i) << 2);
    return mul(mul(f16_to_f32(b.d), float(q3k_scale(b.scales, i / 16))), float(q - 4));
}
PLINTH_HD float decode(const BlockQ4_K& b, int i) {
    int sc, mn;
    k4_scale_min(b.scales, i / 32, &sc, &mn);
    return affine_k(b.d, b.dmin, sc, mn, k4_bits(b.qs, i));
}
PLINTH_HD float decode(const BlockQ5_K& b, int i) {
    int sc, mn;
    k4_scale_min(b.scales, i / 32, &sc, &mn);
    return affine_k(b.d, b.dmin, sc, mn, k4_bits(b.qs, i) | (k_top_bit(b.qh, i) << 4));
}
PLINTH_HD float decode(const BlockQ6_K& b, int i) {
    const int h = i / 128, s = (i / 32) % 4, l = i % 32;
    const uint8_t lo = b.ql[64 * h + 32 * (s & 1) + l];
    const int q = (s < 2 ? (lo & 0x0F) : (lo >> 4)) | (((b.qh[32 * h + l] >> (2 * s)) & 3) << 4);
    return mul(mul(f16_to_f32(b.d), float(b.scales[i / 16])), float(q - 32));
}

// ---- activation quantizers (quantize_reference.cpp's rules, step by step) ---------------------
// The device reduces amax and the code sums across a warp (or 8 warps for Q8_K); these are the
// steps before and after that reduction, so the host tests check the formula the kernels run.

constexpr float kF16Max = 65504.0f;

// Q8_0 / Q8_1: d = amax / 127 stored as F16(min(d, 65504)); codes against the float 127 / amax.
struct Q8Scale {
    float d;      // amax / 127, float (Q8_1's s is d * sum q)
    float id;     // 127 / amax (0 when amax = 0)
    uint16_t d16; // what the block stores
};
PLINTH_HD Q8Scale q8_scale(float amax) {
    const float d = div(amax, 127.0f);
    return {d, amax > 0.0f ? div(127.0f, amax) : 0.0f, f32_to_f16(d < kF16Max ? d : kF16Max)};
}
// round-half-even(x * id); |x * id| <= 127.
PLINTH_HD int8_t q8_code(float x, float id) {
    const float v = mul(x, id);
    int t = int(v);  // toward zero
    const float frac = sub(v, float(t));
    if (frac > 0.5f || (frac == 0.5f && (t & 1))) ++t;
    else if (frac < -0.5f || (frac == -0.5f && (t & 1))) --t;
    return int8_t(t);
}
// Q8_1's s: F16(d * sum q), clamped into F16 range like d.
PLINTH_HD uint16_t q8_1_sum(float d, int qsum) {
    const float s = mul(d, float(qsum));
    return f32_to_f16(s < -kF16Max ? -kF16Max : (s > kF16Max ? kF16Max : s));
}

// Q8_K: float d = amax / 127 (not rounded to F16); q = round-half-away(clamp(x / d, -127, 127)).
PLINTH_HD float q8k_scale(float amax) { return div(amax, 127.0f); }
PLINTH_HD int8_t q8k_code(float x, float d) {
    if (!(d > 0.0f)) return 0;
    float v = div(x, d);
    v = v < -127.0f ? -127.0f : (v > 127.0f ? 127.0f : v);
    const int t = int(v);
    const float frac = sub(v, float(t));
    return int8_t(t + int(frac >= 0.5f) - int(frac <= -0.5f));
}

// Whole blocks on one thread: what one warp computes together (the tests' form).
PLINTH_HD void quantize_q8_0(const float* x, BlockQ8_0& b) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = max_of(amax, abs_of(x[i]));
    const Q8Scale s = q8_scale(amax);
    b.d = s.d16;
    for (int i = 0; i < 32; ++i) b.qs[i] = q8_code(x[i], s.id);
}
PLINTH_HD void quantize_q8_1(const float* x, BlockQ8_1& b) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = max_of(amax, abs_of(x[i]));
    const Q8Scale s = q8_scale(amax);
    b.d = s.d16;
    int sum = 0;
    for (int i = 0; i < 32; ++i) sum += (b.qs[i] = q8_code(x[i], s.id));
    b.s = q8_1_sum(s.d, sum);
}
PLINTH_HD void quantize_q8_k(const float* x, BlockQ8_K& b) {
    float amax = 0.0f;
    for (int i = 0; i < 256; ++i) amax = max_of(amax, abs_of(x[i]));
    b.d = q8k_scale(amax);
    for (int j = 0; j < 16; ++j) {
        int sum = 0;
        for (int i = 16 * j; i < 16 * (j + 1); ++i) sum += (b.qs[i] = q8k_code(x[i], b.d));
        b.bsums[j] = int16_t(sum);
    }
}

// ---- per weight type: block, activation block, elements per block --------------------------------

template <uint32_t Type> struct weight;
#define PLINTH_CUDA_WEIGHT_(type, W, A, n)              \
    template <> struct weight<type> {                   \
        using block = W;                                \
        using act_block = A;                            \
        static constexpr int elems = n;                 \
        static constexpr bool k_quant = n == 256;       \
    }
PLINTH_CUDA_WEIGHT_(PLINTH_TYPE_Q4_0, BlockQ4_0, BlockQ8_0, 32);
PLINTH_CUDA_WEIGHT_(PLINTH_TYPE_Q4_1, BlockQ4_1, BlockQ8_1, 32);
PLINTH_CUDA_WEIGHT_(PLINTH_TYPE_Q5_0, BlockQ5_0, BlockQ8_0, 32);
PLINTH_CUDA_WEIGHT_(PLINTH_TYPE_Q5_1, BlockQ5_1, BlockQ8_1, 32);
PLINTH_CUDA_WEIGHT_(PLINTH_TYPE_Q8_0, BlockQ8_0, BlockQ8_0, 32);
PLINTH_CUDA_WEIGHT_(PLINTH_TYPE_Q2_K, BlockQ2_K, BlockQ8_K, 256);
PLINTH_CUDA_WEIGHT_(PLINTH_TYPE_Q3_K, BlockQ3_K, BlockQ8_K, 256);
PLINTH_CUDA_WEIGHT_(PLINTH_TYPE_Q4_K, BlockQ4_K, BlockQ8_K, 256);
PLINTH_CUDA_WEIGHT_(PLINTH_TYPE_Q5_K, BlockQ5_K, BlockQ8_K, 256);
PLINTH_CUDA_WEIGHT_(PLINTH_TYPE_Q6_K, BlockQ6_K, BlockQ8_K, 256);
#undef PLINTH_CUDA_WEIGHT_

}  // namespace plinth::cuda::bm
