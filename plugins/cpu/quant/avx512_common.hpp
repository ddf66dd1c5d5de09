#pragma once
// Internal to the AVX-512 translation units (dot_avx512.cpp, gemm_*_avx512.cpp): the helpers they share.
// Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni plus the AVX2 set. Everything here has
// internal linkage: no code compiled with these flags may be shared with the scalar path (see
// block_layouts.hpp).

// GCC 12's AVX-512 headers seed results with a self-initialized "undefined" vector, which -Wall
// reports as uninitialized (GCC bug 105593, fixed in 12.3); silence it for those header lines only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include <plinth/weight_formats/block_layouts.hpp>
#include "kernel_tables.hpp"
#include "x86_common.hpp"
#include "panel_driver.hpp"
#include "row_groups.hpp"

namespace plinth::quant::detail {
namespace {

// ---- helpers ------------------------------------------------------------------------------------

inline float f16(uint16_t h) { return _cvtsh_ss(h); }

inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m512i load512(const void* p) { return _mm512_loadu_si512(p); }
inline __m512i bytes(int v) { return _mm512_set1_epi8(char(v)); }
inline __m512i join(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }
inline __m512i words2(int v0, int v1) { return join(_mm256_set1_epi16(short(v0)), _mm256_set1_epi16(short(v1))); }
// v0 in every byte of the low 256 bits, v1 in the high 256 bits.
inline __m512i bytes2(int v0, int v1) { return join(_mm256_set1_epi8(char(v0)), _mm256_set1_epi8(char(v1))); }
// The same 32 bytes in both halves (a pure load, no shuffle).
inline __m512i load256_twice(const void* p) { return _mm512_broadcast_i64x4(load256(p)); }

inline __m512i dot_u8i8(__m512i u, __m512i a) { return _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, a); }

inline int hsum(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}
inline float hsum(__m128 v) {
    v = _mm_add_ps(v, _mm_movehl_ps(v, v));
    v = _mm_add_ss(v, _mm_movehdup_ps(v));
    return _mm_cvtss_f32(v);
}


// Float k of s on every lane of 128-bit lane k (k = 0..3), or of 256-bit half k - first.
inline __m512 per_quarter(__m128 s) {
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3), _mm512_castps128_ps512(s));
}
inline __m512 per_half(__m128 s, int first) {
    const __m512i idx = join(_mm256_set1_epi32(first), _mm256_set1_epi32(first + 1));
    return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(s));
}

// ---- 32-element blocks ---------------------------------------------------------------------------

// Codes of one block, element order (low nibbles = elements 0..15, high = 16..31), 5th bits added.
template <class W>
inline __m256i block_codes(const W& b) {
    const __m128i x = load128(b.qs);
    __m256i q = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(x, 4), x), _mm256_set1_epi8(0x0F));
    if constexpr (requires { b.qh; }) {
        uint32_t bits;
        std::memcpy(&bits, b.qh, 4);
        q = _mm256_mask_add_epi8(q, __mmask32(bits), q, _mm256_set1_epi8(16));
    }
    return q;
}

// ---- symmetric 32-element blocks x Q8_0, in the reference's order ----------------------------------
// The reference's arithmetic for Q4_0, Q5_0 and Q8_0 weights: per block, 8 int32 lanes (lane k sums
// the products of elements 4k .. 4k + 3, exactly), each lane accumulated over the blocks in order
// with one fused multiply-add by d_w d_a, then the 8 lanes summed as (l4 + l0) + (l6 + l2), (l5 + l1)
// + (l7 + l3). A quantized model turns any float-rounding difference into whole code steps of the
// next activation quantizer, so the order is part of the result.

inline float hsum_lanes(__m256 v) {
    __m128 r = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

// sum_order::blocks: each block's whole integer sum, one fused multiply-add chain by d_w d_a over the
// blocks in order. Eight blocks' lane products are reduced together (block j's sum in lane j); the
// chain itself is scalar, as it must be in order.
inline __m256i block_sums8(const __m256i p[8]) {
    const __m256i u0 = _mm256_hadd_epi32(_mm256_hadd_epi32(p[0], p[1]), _mm256_hadd_epi32(p[2], p[3]));
    const __m256i u1 = _mm256_hadd_epi32(_mm256_hadd_epi32(p[4], p[5]), _mm256_hadd_epi32(p[6], p[7]));
    // u0: blocks 0..3 over elements of the low 128 bits, then over the high; u1 likewise for 4..7
    return _mm256_add_epi32(_mm256_permute2x128_si256(u0, u1, 0x20), _mm256_permute2x128_si256(u0, u1, 0x31));
}

// ---- K-quant super-blocks x Q8_K ----------------------------------------------------------------------

// int16 lane selectors for _mm512_permutexvar_epi16 over a register of 16 (or 8) int16 scales:
// maddubs lane l covers elements 2l, 2l + 1, so sub-blocks of 16 span 8 lanes, of 32 span 16.
inline __m512i select_by16(int first) {  // scales first .. first + 3, 8 lanes each
    return _mm512_add_epi16(_mm512_set_epi64(0x0003000300030003, 0x0003000300030003, 0x0002000200020002,
                                             0x0002000200020002, 0x0001000100010001, 0x0001000100010001, 0, 0),
                            _mm512_set1_epi16(short(first)));
}
inline __m512i select_by32(int first) { return words2(first, first + 1); }  // scales first, first + 1, 16 lanes each

// sum over 64 elements: maddubs(codes, a) int16 pairs times their scales, into int32 lanes.
inline __m512i madd_scaled(__m512i isum, __m512i codes, const int8_t* act, __m512i scales) {
    return _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(codes, load512(act)), scales);
}
inline __m512 to_float(__m256i v) { return _mm512_cvtepi32_ps(_mm512_zextsi256_si512(v)); }


// ---- shared by the multi-column kernels ------------------------------------------------------------

// Asks for the bytes `distance` past block `p` of a weight row (all of the block's lines). The
// row-group kernels pass one group's worth of rows (the same block of the row kRows below, which
// the next group reads): the hardware prefetcher alone leaves the row streams waiting on memory,
// and a fixed 512 bytes ahead left the start of every row unfetched (decode, 2 threads: 512 bytes
// ahead +25-35% over none; one group ahead another +8% on 1.1B Q8_0 and about 2x on the 134M
// model, whose 816-byte rows were mostly row starts). Asking for the group after that into L2 (T1)
// was worth 2-10% while decoding's tiles alternated between the threads; since each thread streams
// its own contiguous share (ops/thread_pool), it only cost: without it, paired one-column calls
// took 0.90-0.94x the time (Q4_K, Q6_K, Q8_0, Q4_0; L3 and memory, one and two threads; the
// panels 0.97-1.00x), and decoding, medians of 6-12 alternating runs: 1.1B Q8_0 1.05x, Q4_0
// 1.02-1.04x, Q4_K_M 0.95-1.01x, 134M Q4_0 1.04x, Q8_0 1.07x.
template <class W>
void prefetch_ahead(const W* p, size_t distance) {
    PLINTH_UNROLL
    for (size_t k = 0; k < sizeof(W); k += 64) {
        prefetch_weights(reinterpret_cast<const char*>(p) + distance + k);
    }
}

// Two rows in one zmm (Sym32PairPanel, KPairPanel): lane 2c holds column c of the pair's first row,
// lane 2c + 1 column c of its second. The panel driver keeps a row's columns in lanes 0 .. 7 of its
// accumulator; a pass of R rows spreads them into pairs at its start and back at its end.
template <int R>
struct RowPairs {
    static constexpr int kPairs = (R + 1) / 2;  // an odd last row pairs with itself
    static constexpr int second(int i) { return 2 * i + 1 < R ? 2 * i + 1 : 2 * i; }
    // (a0, b0, a1, b1, ..., a7, b7) of two vectors a, b
    static __m512i spread() { return _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23); }
    // Asks for block b of pair i's rows `distance` ahead (prefetch_ahead). The caller tests for a
    // distance of 0 (nothing to ask for): with that test in here, GCC 12 removed every prefetch of
    // Sym32PairPanel, and its 8-column decode read memory at 0.74-0.87x the speed.
    template <class W>
    static void prefetch(const W* const* w, int i, int64_t b, size_t distance) {
        prefetch_ahead(w[2 * i] + b, distance);
        if (second(i) != 2 * i) prefetch_ahead(w[second(i)] + b, distance);
    }
    // The pass's sums: zero for its first pass (first), else the rows' accumulators.
    static void load(const __m512* acc, bool first, __m512* s) {
        PLINTH_UNROLL
        for (int i = 0; i < kPairs; ++i) s[i] = first ? _mm512_setzero_ps() : _mm512_permutex2var_ps(acc[2 * i], spread(), acc[second(i)]);
    }
    static void store(const __m512* s, __m512* acc) {
        const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
        PLINTH_UNROLL
        for (int i = 0; i < kPairs; ++i) {
            acc[2 * i] = _mm512_permutexvar_ps(even, s[i]);
            if (2 * i + 1 < R) acc[2 * i + 1] = _mm512_permutexvar_ps(_mm512_add_epi32(even, _mm512_set1_epi32(1)), s[i]);
        }
    }
};

// The two register widths a column panel's lanes can live in: 16 columns in zmm registers, or 8 in
// ymm registers. A batch of up to 8 columns (a server decoding 8 sequences) fills every ymm lane,
// and with no 512-bit instruction in flight the core runs vector work on three ports instead of
// two; dpbusd's integer sums are exact, so either width gives the same bits.
struct ZmmLanes {
    using I = __m512i;
    using F = __m512;
    static constexpr int kCols = 16;
    static I zero() { return _mm512_setzero_si512(); }
    static I set1(int32_t v) { return _mm512_set1_epi32(v); }
    static I dpbusd(I acc, I u, I s) { return _mm512_dpbusd_epi32(acc, u, s); }
    static I add(I x, I y) { return _mm512_add_epi32(x, y); }
    static I sub(I x, I y) { return _mm512_sub_epi32(x, y); }
    static I srai4(I x) { return _mm512_srai_epi32(x, 4); }
    static F cvt(I x) { return _mm512_cvtepi32_ps(x); }
    static F as_float(I x) { return _mm512_castsi512_ps(x); }
    static I as_int(F x) { return _mm512_castps_si512(x); }
    static F set1f(float v) { return _mm512_set1_ps(v); }
    static F zerof() { return _mm512_setzero_ps(); }
    static F addf(F x, F y) { return _mm512_add_ps(x, y); }
    static F mulf(F x, F y) { return _mm512_mul_ps(x, y); }
    static F fmadd(F x, F y, F z) { return _mm512_fmadd_ps(x, y, z); }
    // The 32-bit words at base + lane * stride (byte offsets), lanes below nc; zeros above.
    static I gather(const void* base, int stride, int nc) {
        const I idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), set1(stride));
        return _mm512_mask_i32gather_epi32(zero(), __mmask16((1u << nc) - 1u), idx, base, 1);
    }
    // The f16 in each word's low half, as floats.
    static F f16_low(I words) { return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(words)); }
    static void store(float* lanes, F v) { _mm512_store_ps(lanes, v); }
};
struct YmmLanes {
    using I = __m256i;
    using F = __m256;
    static constexpr int kCols = 8;
    static I zero() { return _mm256_setzero_si256(); }
    static I set1(int32_t v) { return _mm256_set1_epi32(v); }
    static I dpbusd(I acc, I u, I s) { return _mm256_dpbusd_epi32(acc, u, s); }
    static I add(I x, I y) { return _mm256_add_epi32(x, y); }
    static I sub(I x, I y) { return _mm256_sub_epi32(x, y); }
    static I srai4(I x) { return _mm256_srai_epi32(x, 4); }
    static F cvt(I x) { return _mm256_cvtepi32_ps(x); }
    static F as_float(I x) { return _mm256_castsi256_ps(x); }
    static I as_int(F x) { return _mm256_castps_si256(x); }
    static F set1f(float v) { return _mm256_set1_ps(v); }
    static F zerof() { return _mm256_setzero_ps(); }
    static F addf(F x, F y) { return _mm256_add_ps(x, y); }
    static F mulf(F x, F y) { return _mm256_mul_ps(x, y); }
    static F fmadd(F x, F y, F z) { return _mm256_fmadd_ps(x, y, z); }
    static I gather(const void* base, int stride, int nc) {
        const I idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), set1(stride));
        return _mm256_mmask_i32gather_epi32(zero(), __mmask8((1u << nc) - 1u), idx, base, 1);
    }
    static F f16_low(I words) { return _mm256_cvtph_ps(_mm256_cvtepi32_epi16(words)); }
    static void store(float* lanes, F v) { _mm256_store_ps(lanes, v); }
};

// The shape both AVX-512 column-panel kernels (Sym32Panel, KPanel) give panel_driver.hpp's driver:
// 16 columns in the 32-bit lanes of a zmm register; a panel pays from 4 columns.
struct Avx512PanelShape {
    using Vec = __m512i;
    using Acc = __m512;
    static constexpr int kCols = 16;
    static constexpr int kMinCols = 4;
    static void store(float* lanes, __m512 v) { _mm512_store_ps(lanes, v); }
};

}  // namespace
}  // namespace plinth::quant::detail
