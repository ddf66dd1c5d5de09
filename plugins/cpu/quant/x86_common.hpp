#pragma once
// Internal to the x86 SIMD files (dot_avx2.cpp and the AVX-512 files, all compiled with at least
// AVX2 + FMA + F16C): small helpers both levels use. Internal linkage only (see block_layouts.hpp).
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include <plinth/weight_formats/block_layouts.hpp>

#include "kernel_tables.hpp"
#include "prefetch_target.hpp"

// Loops over the fixed number of sub-blocks are unrolled, so their shift counts, shuffle masks and
// offsets become constants (GCC does not always do it on its own at -O2).
#define PLINTH_UNROLL _Pragma("GCC unroll 8")

namespace plinth::quant::detail {
namespace {

// Asks for the weight line at `p` into the level prefetch_target.hpp names. In asm: written as two
// _mm_prefetch calls under the branch, GCC 12 merged them into one with a run-time hint and then
// dropped it (the VBMI row kernel lost every prefetch; test_prefetch_kept caught it).
inline void prefetch_weights(const void* p) {
    const char* line = static_cast<const char*>(p);
    if (prefetch_to_l2) asm volatile("prefetcht1 %0" : : "m"(*line));
    else asm volatile("prefetcht0 %0" : : "m"(*line));
}

// The 4 bytes at p as one 32-bit word: what a kernel broadcasts against a register of 4-byte lanes
// (a panel vector, or the codes of an interleaved group).
inline int32_t code_word(const void* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// The f16 at `p` and at the same place in the next 3 blocks (kStride bytes apart), as 4 floats:
// assembled in a general register, converted with one instruction.
template <size_t kStride>
inline __m128 f16x4(const void* p) {
    const auto* b = static_cast<const uint8_t*>(p);
    uint64_t packed = 0;
    for (int k = 0; k < 4; ++k) {
        uint16_t h;
        std::memcpy(&h, b + k * kStride, 2);
        packed |= uint64_t(h) << (16 * k);
    }
    return _mm_cvtph_ps(_mm_cvtsi64_si128(int64_t(packed)));
}

// Q4_K / Q5_K's 8 6-bit scales and 8 6-bit mins (see k4_scale_min), bytewise in two uint64s.
inline void k4_scales_mins(const uint8_t* s, uint64_t* scales, uint64_t* mins) {
    uint32_t s0, s1, s2;
    std::memcpy(&s0, s, 4);
    std::memcpy(&s1, s + 4, 4);
    std::memcpy(&s2, s + 8, 4);
    const uint32_t sc_hi = (s2 & 0x0F0F0F0Fu) | (((s0 >> 6) & 0x03030303u) << 4);
    const uint32_t mn_hi = ((s2 >> 4) & 0x0F0F0F0Fu) | (((s1 >> 6) & 0x03030303u) << 4);
    *scales = (s0 & 0x3F3F3F3Fu) | (uint64_t(sc_hi) << 32);
    *mins = (s1 & 0x3F3F3F3Fu) | (uint64_t(mn_hi) << 32);
}

// The sums of four vectors' 8 lanes, one per lane of the result (integers: exact in any order).
inline __m128i sum_lanes4(const __m256i v[4]) {
    const __m256i s01 = _mm256_add_epi32(_mm256_unpacklo_epi32(v[0], v[1]), _mm256_unpackhi_epi32(v[0], v[1]));
    const __m256i s23 = _mm256_add_epi32(_mm256_unpacklo_epi32(v[2], v[3]), _mm256_unpackhi_epi32(v[2], v[3]));
    const __m256i s = _mm256_add_epi32(_mm256_unpacklo_epi64(s01, s23), _mm256_unpackhi_epi64(s01, s23));
    return _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
}

// The K-quant float side of 4 rows at once, lane r row r's kquant_term / kquant_term_min (the same
// operations in the same order): Q6_K (kMin false) w_d * a_d * float(isum); Q4_K / Q5_K
// a_d * (w_d * float(isum) - w_dmin * float(msum)).
template <bool kMin>
inline __m128 kquant_terms4(__m128i isum, __m128i msum, const float* w_d, const float* w_dmin, float a_d) {
    const __m128 ad = _mm_set1_ps(a_d);
    if constexpr (!kMin) return _mm_mul_ps(_mm_mul_ps(_mm_loadu_ps(w_d), ad), _mm_cvtepi32_ps(isum));
    else
        return _mm_mul_ps(ad, _mm_sub_ps(_mm_mul_ps(_mm_loadu_ps(w_d), _mm_cvtepi32_ps(isum)),
                                         _mm_mul_ps(_mm_loadu_ps(w_dmin), _mm_cvtepi32_ps(msum))));
}

}  // namespace
}  // namespace plinth::quant::detail
