#pragma once
// 16-bit floats <-> f32, written out in integer arithmetic so the result never depends on the CPU
// (no F16C needed) or on the current rounding mode.
//
//   f16  (IEEE binary16): 1 sign | 5 exponent (bias 15)  | 10 mantissa   max 65504, min subnormal 2^-24
//   bf16 (bfloat16):      1 sign | 8 exponent (bias 127) |  7 mantissa   the top half of an f32
//
// f32 -> 16 bit rounds to nearest, ties to even (the IEEE default, and what F16C's
// _cvtss_sh(x, 0) does); overflow gives inf, NaN stays NaN (made quiet). 16 bit -> f32 is exact.
//
// C++17. Internal linkage (`static`), as block_layouts.hpp explains: the CPU backend compiles this
// into its SIMD translation units too.
#include <cstdint>
#include <cstring>

namespace plinth::weight_formats {

// The bits of a float and back (std::bit_cast before C++20; compilers make it a register move).
static inline float float_from_bits(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}
static inline uint32_t bits_of_float(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return bits;
}

static inline float fp16_to_fp32(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu;
    uint32_t mant = h & 0x3FFu;
    uint32_t bits;
    if (exp == 0x1F) {  // inf / NaN: keep the payload
        bits = sign | 0x7F800000u | (mant << 13);
    } else if (exp != 0) {  // normal: rebias the exponent 15 -> 127
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {  // +-0
        bits = sign;
    } else {  // subnormal mant * 2^-24: shift until the implicit bit appears, one exponent step each
        exp = 1;
        while ((mant & 0x400u) == 0) {
            mant <<= 1;
            --exp;
        }
        bits = sign | ((exp + 112) << 23) | ((mant & 0x3FFu) << 13);
    }
    return float_from_bits(bits);
}

static inline uint16_t fp32_to_fp16(float f) {
    const uint32_t x = bits_of_float(f);
    const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
    const uint32_t ax = x & 0x7FFFFFFFu;

    if (ax > 0x7F800000u) return uint16_t(sign | 0x7E00u | ((ax >> 13) & 0x3FFu));  // NaN, quiet
    // 65520 = 0x477FF000 is the midpoint between 65504 (odd mantissa) and 65536: it and all
    // above round to inf.
    if (ax >= 0x477FF000u) return uint16_t(sign | 0x7C00u);

    if (ax >= 0x38800000u) {  // normal result (|f| >= 2^-14)
        // Rebias 127 -> 15 and drop 13 mantissa bits, adding just under half an ulp (plus one when
        // the kept part is odd) so that ties go to even. A carry ripples into the exponent, which
        // is exactly right (1.111..1 x 2^e rounds to 1.0 x 2^(e+1)).
        const uint32_t rebased = ax - (112u << 23);
        const uint32_t round = 0xFFFu + ((rebased >> 13) & 1u);
        return uint16_t(sign | ((rebased + round) >> 13));
    }

    // Subnormal result: the value in units of 2^-24, rounded to nearest even. 2^-25 (0x33000000)
    // is the tie between 0 and the smallest subnormal, and rounds to 0.
    if (ax <= 0x33000000u) return sign;
    const uint32_t mant = (ax & 0x7FFFFFu) | 0x800000u;  // 24-bit significand
    const uint32_t shift = 126u - (ax >> 23);           // 14..24 here
    uint32_t q = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1u);
    const uint32_t half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u))) ++q;  // q == 0x400 is the smallest normal: still right
    return uint16_t(sign | q);
}

static inline float bf16_to_fp32(uint16_t h) { return float_from_bits(uint32_t(h) << 16); }

static inline uint16_t fp32_to_bf16(float f) {
    const uint32_t x = bits_of_float(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return uint16_t((x >> 16) | 0x0040u);  // NaN: keep it NaN
    // Round to nearest even on the 16 dropped bits; a carry into the exponent (up to inf) is right.
    return uint16_t((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace plinth::weight_formats
