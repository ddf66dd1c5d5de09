// NEON dot kernels for Arm (AArch64 with the dot-product extension, ARMv8.2 DotProd: compiled with
// +dotprod, called only when the CPU reports it). vdotq_s32 multiplies signed bytes and sums each 4
// products into an int32 lane, exactly, so weight codes are made signed (code - bias) and need no
// correction term. Every kernel gives the reference's bits: the 32-element blocks in both
// sum_order orders, the K-quants through kquant_term(_min) (block_layouts.hpp).
//
// One 32-element block is two 16-byte halves; vdotq of each half against the activation's gives
// lanes 0..3 and 4..7 of the reference's 8 lanes (lane k: elements 4k .. 4k + 3).
//
// Only the dot products: the activation quantizers, F16/BF16/F32 weights, the offset types (Q4_1,
// Q5_1), Q2_K and Q3_K use the reference code (the `scalar` level) on Arm.
//
// Everything here has internal linkage: no code compiled with these flags may be shared with the
// baseline path (see block_layouts.hpp).
#include <arm_neon.h>

#include <cmath>
#include <cstring>

#include <plinth/weight_formats/block_layouts.hpp>
#include "kernel_tables.hpp"

namespace plinth::quant::detail {
namespace {

float f16(uint16_t h) { return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0); }

// ---- symmetric 32-element blocks x Q8_0 ---------------------------------------------------------

// The block's 32 signed values, element order, as two 16-byte halves.
struct Halves {
    int8x16_t lo, hi;
};

Halves values(const BlockQ8_0& b) { return {vld1q_s8(b.qs), vld1q_s8(b.qs + 16)}; }
Halves values(const BlockQ4_0& b) {
    const uint8x16_t q = vld1q_u8(b.qs);
    const int8x16_t eight = vdupq_n_s8(8);
    return {vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0F))), eight), vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight)};
}
Halves values(const BlockQ5_0& b) {
    const uint8x16_t q = vld1q_u8(b.qs);
    uint32_t bits;
    std::memcpy(&bits, b.qh, 4);
    // Bit i of qh (little-endian) is element i's fifth bit: spread each bit to its byte.
    uint8_t top[32];
    for (int i = 0; i < 32; ++i) top[i] = uint8_t(((bits >> i) & 1u) << 4);
    const int8x16_t sixteen = vdupq_n_s8(16);
    const uint8x16_t lo = vorrq_u8(vandq_u8(q, vdupq_n_u8(0x0F)), vld1q_u8(top));
    const uint8x16_t hi = vorrq_u8(vshrq_n_u8(q, 4), vld1q_u8(top + 16));
    return {vsubq_s8(vreinterpretq_s8_u8(lo), sixteen), vsubq_s8(vreinterpretq_s8_u8(hi), sixteen)};
}

// sum_order::lanes: per lane a fused multiply-add chain by d_w d_a over the blocks, then
// ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
template <class W>
float dot_lanes(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const W*>(wv);
    const auto* a = static_cast<const BlockQ8_0*>(av);
    float32x4_t acc_lo = vdupq_n_f32(0.0f), acc_hi = vdupq_n_f32(0.0f);
    for (int64_t b = 0; b < n / kBlock32; ++b) {
        const Halves v = values(w[b]);
        const int32x4_t p_lo = vdotq_s32(vdupq_n_s32(0), v.lo, vld1q_s8(a[b].qs));
        const int32x4_t p_hi = vdotq_s32(vdupq_n_s32(0), v.hi, vld1q_s8(a[b].qs + 16));
        const float32x4_t d = vdupq_n_f32(f16(w[b].d) * f16(a[b].d));
        acc_lo = vfmaq_f32(acc_lo, d, vcvtq_f32_s32(p_lo));
        acc_hi = vfmaq_f32(acc_hi, d, vcvtq_f32_s32(p_hi));
    }
    const float32x4_t s = vaddq_f32(acc_lo, acc_hi);  // l0 + l4, l1 + l5, l2 + l6, l3 + l7
    return (vgetq_lane_f32(s, 0) + vgetq_lane_f32(s, 2)) + (vgetq_lane_f32(s, 1) + vgetq_lane_f32(s, 3));
}

// sum_order::blocks: each block's whole integer sum, one fused multiply-add chain over the blocks.
template <class W>
float dot_blocks(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const W*>(wv);
    const auto* a = static_cast<const BlockQ8_0*>(av);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / kBlock32; ++b) {
        const Halves v = values(w[b]);
        int32x4_t p = vdotq_s32(vdupq_n_s32(0), v.lo, vld1q_s8(a[b].qs));
        p = vdotq_s32(p, v.hi, vld1q_s8(a[b].qs + 16));
        sum = std::fma(float(vaddvq_s32(p)), f16(w[b].d) * f16(a[b].d), sum);
    }
    return sum;
}

// ---- K-quant super-blocks x Q8_K ----------------------------------------------------------------

// Exact sum over n (a multiple of 16) codes x activation codes, codes as signed bytes.
int32_t dot_bytes(const int8_t* codes, const int8_t* act, int n) {
    int32x4_t p = vdupq_n_s32(0);
    for (int i = 0; i < n; i += 16) p = vdotq_s32(p, vld1q_s8(codes + i), vld1q_s8(act + i));
    return vaddvq_s32(p);
}

// Q4_K / Q5_K codes (0..15 / 0..31) of one super-block, element order.
template <class W>
void k45_codes(const W& b, int8_t* codes) {
    for (int c = 0; c < 4; ++c) {  // elements 64c .. 64c + 63: low nibbles, then high nibbles
        for (int h = 0; h < 2; ++h) {
            const uint8x16_t q = vld1q_u8(b.qs + 32 * c + 16 * h);
            uint8x16_t lo = vandq_u8(q, vdupq_n_u8(0x0F)), hi = vshrq_n_u8(q, 4);
            if constexpr (requires { b.qh; }) {  // fifth bit: bit 2c (low) / 2c + 1 (high) of qh[l]
                const uint8x16_t qh = vld1q_u8(b.qh + 16 * h);
                lo = vorrq_u8(lo, vshlq_n_u8(vandq_u8(vshlq_u8(qh, vdupq_n_s8(int8_t(-2 * c))), vdupq_n_u8(1)), 4));
                hi = vorrq_u8(hi, vshlq_n_u8(vandq_u8(vshlq_u8(qh, vdupq_n_s8(int8_t(-2 * c - 1))), vdupq_n_u8(1)), 4));
            }
            vst1q_s8(codes + 64 * c + 16 * h, vreinterpretq_s8_u8(lo));
            vst1q_s8(codes + 64 * c + 32 + 16 * h, vreinterpretq_s8_u8(hi));
        }
    }
}

template <class W>
float dot_q45_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const W*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
    alignas(16) int8_t codes[256];
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        k45_codes(w[b], codes);
        int32_t isum = 0, msum = 0;
        for (int j = 0; j < 8; ++j) {
            uint8_t sc, mn;
            k4_scale_min(w[b].scales, j, &sc, &mn);
            isum += int32_t(sc) * dot_bytes(codes + 32 * j, a[b].qs + 32 * j, 32);
            msum += int32_t(mn) * (a[b].bsums[2 * j] + a[b].bsums[2 * j + 1]);
        }
        sum += kquant_term_min(a[b].d, f16(w[b].d), f16(w[b].dmin), isum, msum);
    }
    return sum;
}

float dot_q6_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ6_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
    alignas(16) int8_t codes[256];
    const uint8x16_t low4 = vdupq_n_u8(0x0F), two = vdupq_n_u8(3);
    const int8x16_t bias = vdupq_n_s8(32);
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        // i = 128h + 32s + l: low 4 bits from ql[64h + 32 (s & 1) + l] (low nibble for s < 2), top 2
        // bits from bits 2s .. 2s + 1 of qh[32h + l]; value = code - 32.
        for (int h = 0; h < 2; ++h)
            for (int half = 0; half < 2; ++half) {  // l = 16 half .. 16 half + 15
                const uint8x16_t qh = vld1q_u8(w[b].qh + 32 * h + 16 * half);
                for (int s = 0; s < 4; ++s) {
                    const uint8x16_t ql = vld1q_u8(w[b].ql + 64 * h + 32 * (s & 1) + 16 * half);
                    const uint8x16_t lo = s < 2 ? vandq_u8(ql, low4) : vshrq_n_u8(ql, 4);
                    const uint8x16_t top = vshlq_n_u8(vandq_u8(vshlq_u8(qh, vdupq_n_s8(int8_t(-2 * s))), two), 4);
                    vst1q_s8(codes + 128 * h + 32 * s + 16 * half, vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(lo, top)), bias));
                }
            }
        int32_t isum = 0;
        for (int j = 0; j < 16; ++j) isum += int32_t(w[b].scales[j]) * dot_bytes(codes + 16 * j, a[b].qs + 16 * j, 16);
        sum += kquant_term(f16(w[b].d), a[b].d, isum);
    }
    return sum;
}

float dot_q8_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ8_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / kBlock256; ++b) sum += kquant_term(w[b].d, a[b].d, dot_bytes(w[b].qs, a[b].qs, 256));
    return sum;
}

constexpr KernelTable make_table() {
    KernelTable t{};
    t.name = "neon";
    t.dot[PLINTH_TYPE_Q4_0] = dot_lanes<BlockQ4_0>;
    t.dot[PLINTH_TYPE_Q5_0] = dot_lanes<BlockQ5_0>;
    t.dot[PLINTH_TYPE_Q8_0] = dot_lanes<BlockQ8_0>;
    t.dot_blocks[PLINTH_TYPE_Q4_0] = dot_blocks<BlockQ4_0>;
    t.dot_blocks[PLINTH_TYPE_Q5_0] = dot_blocks<BlockQ5_0>;
    t.dot_blocks[PLINTH_TYPE_Q8_0] = dot_blocks<BlockQ8_0>;
    t.dot[PLINTH_TYPE_Q4_K] = dot_q45_k<BlockQ4_K>;
    t.dot[PLINTH_TYPE_Q5_K] = dot_q45_k<BlockQ5_K>;
    t.dot[PLINTH_TYPE_Q6_K] = dot_q6_k;
    t.dot[PLINTH_TYPE_Q8_K] = dot_q8_k;
    return t;
}

}  // namespace

constexpr KernelTable kNeonTable = make_table();

}  // namespace plinth::quant::detail
