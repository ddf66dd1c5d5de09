#pragma once
// Internal to the AVX2 translation units (dot_avx2.cpp, gemm_q32_avx2.cpp): the helpers they share.
// Compiled with -mavx2 -mfma -mf16c. Everything here has internal linkage: no code compiled with
// these flags may be shared with the scalar path (see block_layouts.hpp).
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <type_traits>

#include <plinth/weight_formats/block_layouts.hpp>
#include "kernel_tables.hpp"
#include "x86_common.hpp"

namespace plinth::quant::detail {
namespace {

// ---- helpers ------------------------------------------------------------------------------------

inline float f16(uint16_t h) { return _cvtsh_ss(h); }

inline float hsum(__m128 v) {
    v = _mm_add_ps(v, _mm_movehl_ps(v, v));
    v = _mm_add_ss(v, _mm_movehdup_ps(v));
    return _mm_cvtss_f32(v);
}
inline float hsum(__m256 v) { return hsum(_mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1))); }
inline int hsum(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
inline __m256i load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m256i bytes(int v) { return _mm256_set1_epi8(char(v)); }

// Pairwise int16 sums -> int32 (8 lanes, each the sum of 4 products).
inline __m256i widen(__m256i p16) { return _mm256_madd_epi16(p16, _mm256_set1_epi16(1)); }
// Signed codes (-128..127) x activations (-127..127), 8 int32 lanes.
inline __m256i dot_signed(__m256i w, __m256i a) {
    return widen(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w)));
}

// Float k of s on all 8 lanes.
inline __m256 lane(__m128 s, int k) { return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(s), _mm256_set1_epi32(k)); }

// 32 4-bit codes in element order: the 16 low nibbles, then the 16 high nibbles.
inline __m256i nibbles(const uint8_t* qs) {
    const __m128i x = load128(qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(x, 4), x), bytes(0x0F));
}

// 0x10 in byte i where bit i of the 32-bit qh is set (the 5th bit of Q5 codes).
inline __m256i fifth_bits(const uint8_t* qh) {
    uint32_t bits;
    std::memcpy(&bits, qh, 4);
    // Byte i takes the qh byte holding bit i (every lane sees all 4 bytes), then tests bit i % 8.
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(int(bits)),
        _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303));
    const __m256i bit = _mm256_set1_epi64x(0x8040201008040201);
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), bytes(0x10));
}

// Byte value `v` where bit k of each byte of `mask_bytes` is set, else 0.
inline __m256i bit_as(__m256i mask_bytes, int k, int v) {
    const __m256i bit = bytes(1 << k);
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(mask_bytes, bit), bit), bytes(v));
}

// sum_order::blocks for Q4_0, Q5_0, Q8_0: each block's whole integer sum, one fused multiply-add
// chain by d_w d_a over the blocks in order. Eight blocks' lane products are reduced together (block
// j's sum in lane j); the chain itself is scalar, as it must be in order.
inline __m256i block_sums8(const __m256i p[8]) {
    const __m256i u0 = _mm256_hadd_epi32(_mm256_hadd_epi32(p[0], p[1]), _mm256_hadd_epi32(p[2], p[3]));
    const __m256i u1 = _mm256_hadd_epi32(_mm256_hadd_epi32(p[4], p[5]), _mm256_hadd_epi32(p[6], p[7]));
    // u0: blocks 0..3 over elements of the low 128 bits, then over the high; u1 likewise for 4..7
    return _mm256_add_epi32(_mm256_permute2x128_si256(u0, u1, 0x20), _mm256_permute2x128_si256(u0, u1, 0x31));
}

inline int block_sum(__m256i p) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm_cvtsi128_si32(_mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1))));
}

// Asks for the line of block `p` one row group (4 rows) below (the next group reads it) into
// prefetch_target.hpp's level, and the one two groups below into L2. The AVX-512 kernels no
// longer ask for the second (prefetch_ahead in avx512_common.hpp); here dropping it measured 0.98x
// (1.1B Q4_0) and 1.03x (Q8_0), medians of 8 alternating decode runs at `cpu.simd=avx2`, so it stays.
template <class W>
inline void prefetch_row(const W* p, size_t distance) {
    prefetch_weights(reinterpret_cast<const char*>(p) + distance);
    _mm_prefetch(reinterpret_cast<const char*>(p) + 2 * distance, _MM_HINT_T1);
}

// The shape every AVX2 column-panel kernel gives panel_driver.hpp's driver: 8 columns in the 32-bit
// lanes of a ymm register; a panel pays from 3 columns.
struct Avx2PanelShape {
    using Vec = __m256i;
    using Acc = __m256;
    static constexpr int kCols = 8;
    static constexpr int kMinCols = 3;
    static void store(float* lanes, __m256 v) { _mm256_store_ps(lanes, v); }
};

}  // namespace
}  // namespace plinth::quant::detail
