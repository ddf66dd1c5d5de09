// AVX-512 dot kernels (compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni plus the AVX2
// set; called only when the CPU has them all).
//
// VNNI's dpbusd multiplies unsigned by signed bytes and sums each 4 products into an int32 lane,
// exactly, for any byte values. So weight codes are kept unsigned and a bias (code = value + bias)
// is taken back as bias * sum(a): another dpbusd for the 32-blocks, the Q8_K block sums for the
// K-quants.
//   32-element blocks: four at a time, one block per 128-bit lane (its low-nibble half and its
//     high-nibble half in two registers), so one 4-float vector of scales serves four blocks.
//   K-quants: 64 elements per step; maddubs gives int16 pairs (codes <= 63 cannot saturate), dpwssd
//     multiplies them by their sub-block's scale into int32 lanes.
// Integer parts are exact; the float scaling is per block / super-block, summed in vector lanes.
//
// On these cores 512-bit integer work issues on two ports (256-bit on three), so what pays here is
// fewer instructions per byte: VNNI's fused multiply-adds, mask registers, and building scale
// vectors in registers, never through stores and reloads.
//
// Everything here has internal linkage: no code compiled with these flags may be shared with the
// scalar path (see block_layouts.hpp).

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

#include "block_layouts.hpp"
#include "kernels.hpp"

// Loops over the fixed number of sub-blocks are unrolled, so their shift counts, shuffle masks and
// offsets become constants (GCC does not always do it on its own at -O2).
#define PLINTH_UNROLL _Pragma("GCC unroll 8")

namespace plinth::quant::detail {
namespace {

// ---- helpers ------------------------------------------------------------------------------------

float f16(uint16_t h) { return _cvtsh_ss(h); }

__m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
__m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
__m512i load512(const void* p) { return _mm512_loadu_si512(p); }
__m512i bytes(int v) { return _mm512_set1_epi8(char(v)); }
__m512i join(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }
__m512i words2(int v0, int v1) { return join(_mm256_set1_epi16(short(v0)), _mm256_set1_epi16(short(v1))); }
// v0 in every byte of the low 256 bits, v1 in the high 256 bits.
__m512i bytes2(int v0, int v1) { return join(_mm256_set1_epi8(char(v0)), _mm256_set1_epi8(char(v1))); }
// The same 32 bytes in both halves (a pure load, no shuffle).
__m512i load256_twice(const void* p) { return _mm512_broadcast_i64x4(load256(p)); }

__m512i dot_u8i8(__m512i u, __m512i a) { return _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, a); }

int hsum(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}
float hsum(__m128 v) {
    v = _mm_add_ps(v, _mm_movehl_ps(v, v));
    v = _mm_add_ss(v, _mm_movehdup_ps(v));
    return _mm_cvtss_f32(v);
}

// The f16 at `p` and at the same place in the next 3 blocks (kStride bytes apart), as 4 floats:
// assembled in a general register, converted with one instruction.
template <size_t kStride>
__m128 f16x4(const void* p) {
    const auto* b = static_cast<const uint8_t*>(p);
    uint64_t packed = 0;
    PLINTH_UNROLL
    for (int k = 0; k < 4; ++k) {
        uint16_t h;
        std::memcpy(&h, b + k * kStride, 2);
        packed |= uint64_t(h) << (16 * k);
    }
    return _mm_cvtph_ps(_mm_cvtsi64_si128(int64_t(packed)));
}

// Float k of s on every lane of 128-bit lane k (k = 0..3), or of 256-bit half k - first.
__m512 per_quarter(__m128 s) {
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3), _mm512_castps128_ps512(s));
}
__m512 per_half(__m128 s, int first) {
    const __m512i idx = join(_mm256_set1_epi32(first), _mm256_set1_epi32(first + 1));
    return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(s));
}

// ---- float weights x f32 activations --------------------------------------------------------------

// Load(i, mask): 16 weights from element i as floats, lanes outside mask zero (masked loads do not
// touch memory past the row, so the tail needs no special case).
template <class Load>
float dot_float(int64_t n, const float* a, Load load16) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(load16(i, __mmask16(0xFFFF)), _mm512_loadu_ps(a + i), acc0);
        acc1 = _mm512_fmadd_ps(load16(i + 16, __mmask16(0xFFFF)), _mm512_loadu_ps(a + i + 16), acc1);
    }
    for (; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1u);
        acc0 = _mm512_fmadd_ps(load16(i, m), _mm512_maskz_loadu_ps(m, a + i), acc0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

float dot_f32(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const float*>(wv);
    return dot_float(n, static_cast<const float*>(av),
                     [w](int64_t i, __mmask16 m) { return _mm512_maskz_loadu_ps(m, w + i); });
}
// F16 weights x F16 activations, the reference's order: 4 x 16 lanes of fused multiply-adds over
// each 64 elements (the products are exact), the 4 accumulators added (0 + 2, 1 + 3, then the two),
// the 16 lanes reduced, and the last n % 64 products added one by one in double.
float dot_f16(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const uint16_t*>(wv);
    const auto* a = static_cast<const uint16_t*>(av);
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    const int64_t body = n / 64 * 64;
    for (int64_t i = 0; i < body; i += 64) {
        PLINTH_UNROLL
        for (int j = 0; j < 4; ++j)
            acc[j] = _mm512_fmadd_ps(_mm512_cvtph_ps(load256(w + i + 16 * j)), _mm512_cvtph_ps(load256(a + i + 16 * j)), acc[j]);
    }
    double sum = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[2]), _mm512_add_ps(acc[1], acc[3])));
    for (int64_t i = body; i < n; ++i) sum += double(f16(w[i]) * f16(a[i]));
    return float(sum);
}
float dot_bf16(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const uint16_t*>(wv);
    return dot_float(n, static_cast<const float*>(av), [w](int64_t i, __mmask16 m) {
        const __m512i wide = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, w + i));
        return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));  // bf16 is the top half of an f32
    });
}

// ---- 4- and 5-bit 32-element blocks x Q8_0 / Q8_1 ------------------------------------------------

// Codes of one block, element order (low nibbles = elements 0..15, high = 16..31), 5th bits added.
template <class W>
__m256i block_codes(const W& b) {
    const __m128i x = load128(b.qs);
    __m256i q = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(x, 4), x), _mm256_set1_epi8(0x0F));
    if constexpr (requires { b.qh; }) {
        uint32_t bits;
        std::memcpy(&bits, b.qh, 4);
        q = _mm256_mask_add_epi8(q, __mmask32(bits), q, _mm256_set1_epi8(16));
    }
    return q;
}

// Q4_1, Q5_1 (and any value = code - kBias format): the offset types' m * s is added.
// Q4_1, Q5_1 (kBias 0; the offset types add m * s), or any value = code - kBias format.
template <class W, class A, int kBias>
float dot_nibble_blocks(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const W*>(wv);
    const auto* a = static_cast<const A*>(av);
    const int64_t nb = n / kBlock32;
    // Activation quarters, as 64-bit lane indices into (a01, a23): the first 16 codes of each of the
    // four blocks, then the last 16.
    const __m512i first_halves = _mm512_setr_epi64(0, 1, 4, 5, 8, 9, 12, 13);
    const __m512i second_halves = _mm512_setr_epi64(2, 3, 6, 7, 10, 11, 14, 15);
    __m512 acc = _mm512_setzero_ps();
    __m128 offsets = _mm_setzero_ps();
    int64_t b = 0;
    for (; b + 4 <= nb; b += 4) {
        // Weights: lane k holds block b + k's 16 code bytes; low nibbles are its elements 0..15.
        __m512i q = _mm512_castsi128_si512(load128(w[b].qs));
        q = _mm512_inserti32x4(q, load128(w[b + 1].qs), 1);
        q = _mm512_inserti32x4(q, load128(w[b + 2].qs), 2);
        q = _mm512_inserti32x4(q, load128(w[b + 3].qs), 3);
        __m512i lo = _mm512_and_si512(q, bytes(0x0F));
        __m512i hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), bytes(0x0F));
        if constexpr (requires { w->qh; }) {  // bit i of block k's qh -> element i: 16 bits per lane
            uint64_t first = 0, second = 0;
            PLINTH_UNROLL
            for (int k = 0; k < 4; ++k) {
                uint32_t bits;
                std::memcpy(&bits, w[b + k].qh, 4);
                first |= uint64_t(bits & 0xFFFF) << (16 * k);
                second |= uint64_t(bits >> 16) << (16 * k);
            }
            lo = _mm512_mask_add_epi8(lo, __mmask64(first), lo, bytes(16));
            hi = _mm512_mask_add_epi8(hi, __mmask64(second), hi, bytes(16));
        }
        const __m512i a01 = join(load256(a[b].qs), load256(a[b + 1].qs));
        const __m512i a23 = join(load256(a[b + 2].qs), load256(a[b + 3].qs));
        const __m512i alo = _mm512_permutex2var_epi64(a01, first_halves, a23);
        const __m512i ahi = _mm512_permutex2var_epi64(a01, second_halves, a23);
        __m512i p = _mm512_dpbusd_epi32(dot_u8i8(lo, alo), hi, ahi);
        if constexpr (kBias != 0) p = _mm512_sub_epi32(p, _mm512_dpbusd_epi32(dot_u8i8(bytes(kBias), alo), bytes(kBias), ahi));
        const __m128 scale = _mm_mul_ps(f16x4<sizeof(W)>(&w[b].d), f16x4<sizeof(A)>(&a[b].d));
        acc = _mm512_fmadd_ps(per_quarter(scale), _mm512_cvtepi32_ps(p), acc);
        if constexpr (requires { w->m; }) offsets = _mm_fmadd_ps(f16x4<sizeof(W)>(&w[b].m), f16x4<sizeof(A)>(&a[b].s), offsets);
    }
    float sum = _mm512_reduce_add_ps(acc) + hsum(offsets);
    for (; b < nb; ++b) {  // the last nb % 4 blocks, one at a time
        __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), block_codes(w[b]), load256(a[b].qs));
        if constexpr (kBias != 0)
            p = _mm256_sub_epi32(p, _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(kBias), load256(a[b].qs)));
        sum += f16(w[b].d) * f16(a[b].d) * float(hsum(p));
        if constexpr (requires { w->m; }) sum += f16(w[b].m) * f16(a[b].s);
    }
    return sum;
}

// ---- 8-bit 32-element blocks x Q8_0 -------------------------------------------------------------
// Signed weights become unsigned by flipping the sign bit (w ^ 0x80 = w + 128); 128 sum(a) goes back.

template <class W>
float dot_q8_blocks(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const W*>(wv);
    const auto* a = static_cast<const BlockQ8_0*>(av);
    const int64_t nb = n / kBlock32;
    auto dot_biased = [](__m512i wq, __m512i aq) {
        return _mm512_sub_epi32(dot_u8i8(_mm512_xor_si512(wq, bytes(0x80)), aq), dot_u8i8(bytes(0x80), aq));
    };
    __m512 acc = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 4 <= nb; b += 4) {  // blocks b, b + 1 in one register, b + 2, b + 3 in the next
        const __m512i p01 = dot_biased(join(load256(w[b].qs), load256(w[b + 1].qs)), join(load256(a[b].qs), load256(a[b + 1].qs)));
        const __m512i p23 = dot_biased(join(load256(w[b + 2].qs), load256(w[b + 3].qs)), join(load256(a[b + 2].qs), load256(a[b + 3].qs)));
        const __m128 scale = _mm_mul_ps(f16x4<sizeof(W)>(&w[b].d), f16x4<sizeof(BlockQ8_0)>(&a[b].d));
        acc = _mm512_fmadd_ps(per_half(scale, 0), _mm512_cvtepi32_ps(p01), acc);
        acc = _mm512_fmadd_ps(per_half(scale, 2), _mm512_cvtepi32_ps(p23), acc);
    }
    float sum = _mm512_reduce_add_ps(acc);
    for (; b < nb; ++b) {
        const __m256i aq = load256(a[b].qs);
        const __m256i u = _mm256_xor_si256(load256(w[b].qs), _mm256_set1_epi8(char(0x80)));
        const __m256i p = _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), u, aq),
                                           _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(char(0x80)), aq));
        sum += f16(w[b].d) * f16(a[b].d) * float(hsum(p));
    }
    return sum;
}

// ---- symmetric 32-element blocks x Q8_0, in the reference's order ----------------------------------
// The reference's arithmetic for Q4_0, Q5_0 and Q8_0 weights: per block, 8 int32 lanes (lane k sums
// the products of elements 4k .. 4k + 3, exactly), each lane accumulated over the blocks in order
// with one fused multiply-add by d_w d_a, then the 8 lanes summed as (l4 + l0) + (l6 + l2), (l5 + l1)
// + (l7 + l3). A quantized model turns any float-rounding difference into whole code steps of the
// next activation quantizer, so the order is part of the result.

float hsum_lanes(__m256 v) {
    __m128 r = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

template <class W, int kBias>  // Q4_0 (bias 8), Q5_0 (16): unsigned codes; Q8_0 (128): signed, sign bit flipped
float dot_symmetric_lanes(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const W*>(wv);
    const auto* a = static_cast<const BlockQ8_0*>(av);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / kBlock32; ++b) {
        __m256i codes;
        if constexpr (kBias == 128) codes = _mm256_xor_si256(load256(w[b].qs), _mm256_set1_epi8(char(0x80)));
        else codes = block_codes(w[b]);
        const __m256i aq = load256(a[b].qs);
        const __m256i p = _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), codes, aq),
                                           _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(char(kBias)), aq));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(w[b].d) * f16(a[b].d)), _mm256_cvtepi32_ps(p), acc);
    }
    return hsum_lanes(acc);
}

// sum_order::blocks: each block's whole integer sum, one fused multiply-add chain by d_w d_a over the
// blocks in order. Eight blocks' lane products are reduced together (block j's sum in lane j); the
// chain itself is scalar, as it must be in order.
__m256i block_sums8(const __m256i p[8]) {
    const __m256i u0 = _mm256_hadd_epi32(_mm256_hadd_epi32(p[0], p[1]), _mm256_hadd_epi32(p[2], p[3]));
    const __m256i u1 = _mm256_hadd_epi32(_mm256_hadd_epi32(p[4], p[5]), _mm256_hadd_epi32(p[6], p[7]));
    // u0: blocks 0..3 over elements of the low 128 bits, then over the high; u1 likewise for 4..7
    return _mm256_add_epi32(_mm256_permute2x128_si256(u0, u1, 0x20), _mm256_permute2x128_si256(u0, u1, 0x31));
}

template <class W, int kBias>  // as dot_symmetric_lanes
float dot_symmetric_chain(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const W*>(wv);
    const auto* a = static_cast<const BlockQ8_0*>(av);
    const int64_t nb = n / kBlock32;
    auto products = [&](int64_t b) {
        __m256i codes;
        if constexpr (kBias == 128) codes = _mm256_xor_si256(load256(w[b].qs), _mm256_set1_epi8(char(0x80)));
        else codes = block_codes(w[b]);
        const __m256i aq = load256(a[b].qs);
        return _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), codes, aq),
                                _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(char(kBias)), aq));
    };
    float sum = 0.0f;
    int64_t b = 0;
    for (; b + 8 <= nb; b += 8) {
        __m256i p[8];
        PLINTH_UNROLL
        for (int j = 0; j < 8; ++j) p[j] = products(b + j);
        alignas(32) float isum[8], scale[8];
        _mm256_store_ps(isum, _mm256_cvtepi32_ps(block_sums8(p)));
        _mm_store_ps(scale, _mm_mul_ps(f16x4<sizeof(W)>(&w[b].d), f16x4<sizeof(BlockQ8_0)>(&a[b].d)));
        _mm_store_ps(scale + 4, _mm_mul_ps(f16x4<sizeof(W)>(&w[b + 4].d), f16x4<sizeof(BlockQ8_0)>(&a[b + 4].d)));
        PLINTH_UNROLL
        for (int j = 0; j < 8; ++j) sum = std::fma(isum[j], scale[j], sum);
    }
    for (; b < nb; ++b) sum = std::fma(float(hsum(products(b))), f16(w[b].d) * f16(a[b].d), sum);
    return sum;
}

// ---- K-quant super-blocks x Q8_K ----------------------------------------------------------------------

// int16 lane selectors for _mm512_permutexvar_epi16 over a register of 16 (or 8) int16 scales:
// maddubs lane l covers elements 2l, 2l + 1, so sub-blocks of 16 span 8 lanes, of 32 span 16.
__m512i select_by16(int first) {  // scales first .. first + 3, 8 lanes each
    return _mm512_add_epi16(_mm512_set_epi64(0x0003000300030003, 0x0003000300030003, 0x0002000200020002,
                                             0x0002000200020002, 0x0001000100010001, 0x0001000100010001, 0, 0),
                            _mm512_set1_epi16(short(first)));
}
__m512i select_by32(int first) { return words2(first, first + 1); }  // scales first, first + 1, 16 lanes each

// sum over 64 elements: maddubs(codes, a) int16 pairs times their scales, into int32 lanes.
__m512i madd_scaled(__m512i isum, __m512i codes, const int8_t* act, __m512i scales) {
    return _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(codes, load512(act)), scales);
}
__m512 to_float(__m256i v) { return _mm512_cvtepi32_ps(_mm512_zextsi256_si512(v)); }

float dot_q2_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ2_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        const __m128i packed = load128(w[b].scales);  // low nibble scale, high nibble min
        const __m512i scales = _mm512_castsi256_si512(_mm256_cvtepu8_epi16(_mm_and_si128(packed, _mm_set1_epi8(0x0F))));
        const __m256i mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F)));
        const __m256i msum = _mm256_madd_epi16(mins, load256(a[b].bsums));  // sum_j mn_j * bsums_j, in 8 lanes
        __m512i isum = _mm512_setzero_si512();
        PLINTH_UNROLL
        for (int h = 0; h < 2; ++h) {  // 128 elements: bit pairs 0..3 of 32 bytes, two per step
            const __m512i q = load256_twice(w[b].qs + 32 * h);
            PLINTH_UNROLL
            for (int p = 0; p < 2; ++p) {
                const __m512i codes = _mm512_and_si512(_mm512_srlv_epi16(q, words2(4 * p, 4 * p + 2)), bytes(3));
                isum = madd_scaled(isum, codes, a[b].qs + 128 * h + 64 * p, _mm512_permutexvar_epi16(select_by16(8 * h + 4 * p), scales));
            }
        }
        acc = _mm512_fmadd_ps(_mm512_set1_ps(a[b].d * f16(w[b].d)), _mm512_cvtepi32_ps(isum), acc);
        acc = _mm512_fnmadd_ps(_mm512_set1_ps(a[b].d * f16(w[b].dmin)), to_float(msum), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

// Q3_K's 16 6-bit scales (see q3k_scale), unpacked in registers, as int16 (-32..31).
__m256i q3k_scales(const uint8_t* s) {
    const __m128i low8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s));  // bytes 0..7
    uint32_t top_bytes;
    std::memcpy(&top_bytes, s + 8, 4);
    const __m128i nib = _mm_set1_epi8(0x0F);
    const __m128i low4 = _mm_unpacklo_epi64(_mm_and_si128(low8, nib), _mm_and_si128(_mm_srli_epi16(low8, 4), nib));
    // Scale j's top 2 bits: bits 2 (j / 4) of byte 8 + j % 4. Broadcast the 4 bytes, shift 32-bit
    // lane j / 4 by 2 (j / 4), keep 2 bits.
    __m128i top = _mm_srlv_epi32(_mm_set1_epi32(int(top_bytes)), _mm_setr_epi32(0, 2, 4, 6));
    top = _mm_slli_epi16(_mm_and_si128(top, _mm_set1_epi8(3)), 4);
    return _mm256_cvtepi8_epi16(_mm_sub_epi8(_mm_or_si128(low4, top), _mm_set1_epi8(32)));
}

float dot_q3_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ3_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        const __m256i sc = q3k_scales(w[b].scales);
        const __m512i scales = _mm512_castsi256_si512(sc);
        const __m512i hmask = load256_twice(w[b].hmask);
        __m512i isum = _mm512_setzero_si512();
        PLINTH_UNROLL
        for (int h = 0; h < 2; ++h) {
            const __m512i q = load256_twice(w[b].qs + 32 * h);
            PLINTH_UNROLL
            for (int p = 0; p < 2; ++p) {
                const __m512i low = _mm512_and_si512(_mm512_srlv_epi16(q, words2(4 * p, 4 * p + 2)), bytes(3));
                const int k = 4 * h + 2 * p;  // hmask bit of these 32 elements (k + 1 for the next 32)
                const __mmask64 top = _mm512_test_epi8_mask(hmask, bytes2(1 << k, 1 << (k + 1)));
                const __m512i codes = _mm512_mask_add_epi8(low, top, low, bytes(4));  // 0..7 = value + 4
                isum = madd_scaled(isum, codes, a[b].qs + 128 * h + 64 * p, _mm512_permutexvar_epi16(select_by16(8 * h + 4 * p), scales));
            }
        }
        // The +4 bias: 4 sum_j sc_j bsums_j.
        const __m256i bias = _mm256_slli_epi32(_mm256_madd_epi16(sc, load256(a[b].bsums)), 2);
        isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(bias));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(f16(w[b].d) * a[b].d), _mm512_cvtepi32_ps(isum), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

// Q4_K / Q5_K's 8 6-bit scales and 8 6-bit mins (see k4_scale_min), bytewise in two uint64s.
void k4_scales_mins(const uint8_t* s, uint64_t* scales, uint64_t* mins) {
    uint32_t s0, s1, s2;
    std::memcpy(&s0, s, 4);
    std::memcpy(&s1, s + 4, 4);
    std::memcpy(&s2, s + 8, 4);
    const uint32_t sc_hi = (s2 & 0x0F0F0F0Fu) | (((s0 >> 6) & 0x03030303u) << 4);
    const uint32_t mn_hi = ((s2 >> 4) & 0x0F0F0F0Fu) | (((s1 >> 6) & 0x03030303u) << 4);
    *scales = (s0 & 0x3F3F3F3Fu) | (uint64_t(sc_hi) << 32);
    *mins = (s1 & 0x3F3F3F3Fu) | (uint64_t(mn_hi) << 32);
}

template <class W>
float dot_q45_k(int64_t n, const void* wv, const void* av) {
    constexpr bool kFiveBit = requires(W blk) { blk.qh; };
    const auto* w = static_cast<const W*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        uint64_t sc8, mn8;
        k4_scales_mins(w[b].scales, &sc8, &mn8);
        const __m512i scales = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(sc8))));
        const __m128i mn = _mm_cvtsi64_si128(int64_t(mn8));
        // sum_j mn_j * (bsums_2j + bsums_2j+1): each min twice, against the 16 sums of 16.
        const __m256i msum = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mn, mn)), load256(a[b].bsums));
        __m512i qh;
        if constexpr (kFiveBit) qh = load256_twice(w[b].qh);
        __m512i isum = _mm512_setzero_si512();
        PLINTH_UNROLL
        for (int c = 0; c < 4; ++c) {  // 64 elements: low nibbles of 32 bytes, then their high nibbles
            __m512i codes = _mm512_and_si512(_mm512_srlv_epi16(load256_twice(w[b].qs + 32 * c), words2(0, 4)), bytes(0x0F));
            if constexpr (kFiveBit) {
                const __mmask64 top = _mm512_test_epi8_mask(qh, bytes2(1 << (2 * c), 1 << (2 * c + 1)));
                codes = _mm512_mask_add_epi8(codes, top, codes, bytes(16));
            }
            isum = madd_scaled(isum, codes, a[b].qs + 64 * c, _mm512_permutexvar_epi16(select_by32(2 * c), scales));
        }
        acc = _mm512_fmadd_ps(_mm512_set1_ps(a[b].d * f16(w[b].d)), _mm512_cvtepi32_ps(isum), acc);
        acc = _mm512_fnmadd_ps(_mm512_set1_ps(a[b].d * f16(w[b].dmin)), to_float(msum), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

float dot_q6_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ6_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        const __m256i sc = _mm256_cvtepi8_epi16(load128(w[b].scales));
        const __m512i scales = _mm512_castsi256_si512(sc);
        __m512i isum = _mm512_setzero_si512();
        PLINTH_UNROLL
        for (int h = 0; h < 2; ++h) {
            // 64 ql bytes: low nibbles are elements 128h + 0..63, high nibbles 128h + 64..127; their
            // top 2 bits are bit pairs 0, 1 (then 2, 3) of the 32 qh bytes, moved to bits 4..5.
            const __m512i ql = load512(w[b].ql + 64 * h);
            const __m512i qh = _mm512_srlv_epi16(load256_twice(w[b].qh + 32 * h), words2(0, 2));
            const __m512i codes0 = _mm512_or_si512(_mm512_and_si512(ql, bytes(0x0F)),
                                                   _mm512_and_si512(_mm512_slli_epi16(qh, 4), bytes(0x30)));
            const __m512i codes1 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), bytes(0x0F)),
                                                   _mm512_and_si512(qh, bytes(0x30)));
            isum = madd_scaled(isum, codes0, a[b].qs + 128 * h, _mm512_permutexvar_epi16(select_by16(8 * h), scales));
            isum = madd_scaled(isum, codes1, a[b].qs + 128 * h + 64, _mm512_permutexvar_epi16(select_by16(8 * h + 4), scales));
        }
        // The +32 bias: 32 sum_j sc_j bsums_j.
        const __m256i bias = _mm256_slli_epi32(_mm256_madd_epi16(sc, load256(a[b].bsums)), 5);
        isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(bias));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(f16(w[b].d) * a[b].d), _mm512_cvtepi32_ps(isum), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

float dot_q8_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ8_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        __m512i isum = _mm512_setzero_si512();
        PLINTH_UNROLL
        for (int i = 0; i < kBlock256; i += 64)  // (w + 128) a; the 128 sum(a) comes off below
            isum = _mm512_dpbusd_epi32(isum, _mm512_xor_si512(load512(w[b].qs + i), bytes(0x80)), load512(a[b].qs + i));
        const __m256i bias = _mm256_madd_epi16(load256(a[b].bsums), _mm256_set1_epi16(128));
        isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(bias));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(w[b].d * a[b].d), _mm512_cvtepi32_ps(isum), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

// ---- activation quantizers ------------------------------------------------------------------------
// The reference's arithmetic lane by lane (quantize_reference.cpp), so the same bytes: Q8_0 / Q8_1
// multiply by 127 / max|x| and round to nearest even; Q8_K divides by the same stored scale and
// rounds ties away from zero after clamping to +-127.

float to_f16_and_back(float x, uint16_t* bits) {  // clamp into f16 range, round to nearest even
    const float clamped = x < -65504.0f ? -65504.0f : (x > 65504.0f ? 65504.0f : x);
    *bits = uint16_t(_mm_cvtsi128_si32(_mm_cvtps_ph(_mm_set_ss(clamped), 0)));
    return f16(*bits);
}

// round(x / d) for 16 lanes, as int32 in -127..127.
__m512i codes16(__m512 x, __m512 d) {
    const __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_div_ps(x, d), _mm512_set1_ps(-127.0f)), _mm512_set1_ps(127.0f));
    const __m512i t = _mm512_cvttps_epi32(v);  // toward zero
    const __m512 frac = _mm512_sub_ps(v, _mm512_cvtepi32_ps(t));
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i up = _mm512_mask_add_epi32(t, _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f), _CMP_GE_OQ), t, one);
    return _mm512_mask_sub_epi32(up, _mm512_cmp_ps_mask(frac, _mm512_set1_ps(-0.5f), _CMP_LE_OQ), up, one);
}
void store16(int8_t* dst, __m512i codes) { _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm512_cvtepi32_epi8(codes)); }

template <class Block>  // BlockQ8_0 or BlockQ8_1
void quantize_q8_32(const float* x, void* yv, int64_t n) {
    auto* y = static_cast<Block*>(yv);
    for (int64_t b = 0; b < n / kBlock32; ++b, x += kBlock32) {
        const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
        const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
        const float d = amax / 127.0f;
        to_f16_and_back(d, &y[b].d);
        const __m512 id = _mm512_set1_ps(amax > 0.0f ? 127.0f / amax : 0.0f);
        const __m512i q0 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(x0, id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        const __m512i q1 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(x1, id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        store16(y[b].qs, q0);
        store16(y[b].qs + 16, q1);
        if constexpr (requires { y->s; }) {
            uint16_t s;
            to_f16_and_back(d * float(_mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1))), &s);
            y[b].s = s;
        }
    }
}

void quantize_q8_k(const float* x, void* yv, int64_t n) {
    auto* y = static_cast<BlockQ8_K*>(yv);
    for (int64_t b = 0; b < n / kBlock256; ++b, x += kBlock256) {
        __m512 amax = _mm512_setzero_ps();
        PLINTH_UNROLL
        for (int i = 0; i < kBlock256; i += 16) amax = _mm512_max_ps(amax, _mm512_abs_ps(_mm512_loadu_ps(x + i)));
        const float d = _mm512_reduce_max_ps(amax) / 127.0f;
        y[b].d = d;
        PLINTH_UNROLL
        for (int j = 0; j < 16; ++j) {
            const __m512i q = d > 0.0f ? codes16(_mm512_loadu_ps(x + 16 * j), _mm512_set1_ps(d)) : _mm512_setzero_si512();
            store16(y[b].qs + 16 * j, q);
            y[b].bsums[j] = int16_t(_mm512_reduce_add_epi32(q));
        }
    }
}

// ---- many columns at once (prefill) ----------------------------------------------------------------
// Each kernel below is its single-column dot above with the weight side (codes, scales) unpacked
// once per block and met by up to 4 activation columns: per (row, column) the same integer sums
// and the same float operations in the same order, so bit for bit the same results.

// Drives Kernel::template dot<NC>(n, w_row, cols[NC], out[NC]) over columns in groups of 4 (the
// last group smaller), rows inner, so the group's activations stay in L1 while the rows pass.
template <class Kernel, int NC>
void gemm_group(int64_t rows, int64_t n, const uint8_t* w, size_t w_stride, const uint8_t* a, size_t a_stride,
                float* out, int64_t out_stride) {
    const void* cols[NC];
    PLINTH_UNROLL
    for (int c = 0; c < NC; ++c) cols[c] = a + size_t(c) * a_stride;
    for (int64_t r = 0; r < rows; ++r) {
        float res[NC];
        Kernel::template dot<NC>(n, w + size_t(r) * w_stride, cols, res);
        PLINTH_UNROLL
        for (int c = 0; c < NC; ++c) out[c * out_stride + r] = res[c];
    }
}

template <class Kernel, int kGroup = 4>
void gemm_columns(int64_t rows, int64_t n, const void* wv, size_t w_stride, int64_t cols, const void* av,
                  size_t a_stride, float* out, int64_t out_stride) {
    const auto* w = static_cast<const uint8_t*>(wv);
    const auto* a = static_cast<const uint8_t*>(av);
    int64_t c = 0;
    for (; c + kGroup <= cols; c += kGroup)
        gemm_group<Kernel, kGroup>(rows, n, w, w_stride, a + size_t(c) * a_stride, a_stride, out + c * out_stride, out_stride);
    const uint8_t* rest = a + size_t(c) * a_stride;
    float* rest_out = out + c * out_stride;
    const int64_t left = cols - c;
    if (left >= 4) {
        gemm_group<Kernel, 4>(rows, n, w, w_stride, rest, a_stride, rest_out, out_stride);
        rest += 4 * a_stride;
        rest_out += 4 * out_stride;
    }
    switch (left % 4) {
    case 3: gemm_group<Kernel, 3>(rows, n, w, w_stride, rest, a_stride, rest_out, out_stride); break;
    case 2: gemm_group<Kernel, 2>(rows, n, w, w_stride, rest, a_stride, rest_out, out_stride); break;
    case 1: gemm_group<Kernel, 1>(rows, n, w, w_stride, rest, a_stride, rest_out, out_stride); break;
    default: break;
    }
}

template <class W, int kBias>
__m256i symmetric_codes(const W& blk) {
    if constexpr (kBias == 128) return _mm256_xor_si256(load256(blk.qs), _mm256_set1_epi8(char(0x80)));
    else return block_codes(blk);
}
// The integer products of dot_symmetric_lanes / _chain: 8 lanes, lane k elements 4k .. 4k + 3.
template <int kBias>
__m256i symmetric_products(__m256i codes, const BlockQ8_0& a) {
    const __m256i aq = load256(a.qs);
    return _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), codes, aq),
                            _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(char(kBias)), aq));
}

template <class W, int kBias>  // dot_symmetric_lanes
struct SymmetricLanes {
    template <int NC>
    static void dot(int64_t n, const void* wv, const void* const* av, float* out) {
        const auto* w = static_cast<const W*>(wv);
        const BlockQ8_0* a[NC];
        __m256 acc[NC];
        PLINTH_UNROLL
        for (int c = 0; c < NC; ++c) {
            a[c] = static_cast<const BlockQ8_0*>(av[c]);
            acc[c] = _mm256_setzero_ps();
        }
        for (int64_t b = 0; b < n / kBlock32; ++b) {
            const __m256i codes = symmetric_codes<W, kBias>(w[b]);
            const float dw = f16(w[b].d);
            PLINTH_UNROLL
            for (int c = 0; c < NC; ++c)
                acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(dw * f16(a[c][b].d)),
                                         _mm256_cvtepi32_ps(symmetric_products<kBias>(codes, a[c][b])), acc[c]);
        }
        PLINTH_UNROLL
        for (int c = 0; c < NC; ++c) out[c] = hsum_lanes(acc[c]);
    }
};

template <class W, int kBias>  // dot_symmetric_chain
struct SymmetricChain {
    template <int NC>
    static void dot(int64_t n, const void* wv, const void* const* av, float* out) {
        const auto* w = static_cast<const W*>(wv);
        const BlockQ8_0* a[NC];
        float sum[NC];
        PLINTH_UNROLL
        for (int c = 0; c < NC; ++c) {
            a[c] = static_cast<const BlockQ8_0*>(av[c]);
            sum[c] = 0.0f;
        }
        const int64_t nb = n / kBlock32;
        int64_t b = 0;
        for (; b + 8 <= nb; b += 8) {
            __m256i codes[8];
            PLINTH_UNROLL
            for (int j = 0; j < 8; ++j) codes[j] = symmetric_codes<W, kBias>(w[b + j]);
            const __m128 dw0 = f16x4<sizeof(W)>(&w[b].d), dw1 = f16x4<sizeof(W)>(&w[b + 4].d);
            alignas(32) float isum[NC][8], scale[NC][8];
            PLINTH_UNROLL
            for (int c = 0; c < NC; ++c) {
                __m256i p[8];
                PLINTH_UNROLL
                for (int j = 0; j < 8; ++j) p[j] = symmetric_products<kBias>(codes[j], a[c][b + j]);
                _mm256_store_ps(isum[c], _mm256_cvtepi32_ps(block_sums8(p)));
                _mm_store_ps(scale[c], _mm_mul_ps(dw0, f16x4<sizeof(BlockQ8_0)>(&a[c][b].d)));
                _mm_store_ps(scale[c] + 4, _mm_mul_ps(dw1, f16x4<sizeof(BlockQ8_0)>(&a[c][b + 4].d)));
            }
            PLINTH_UNROLL
            for (int j = 0; j < 8; ++j) {
                PLINTH_UNROLL
                for (int c = 0; c < NC; ++c) sum[c] = std::fma(isum[c][j], scale[c][j], sum[c]);
            }
        }
        for (; b < nb; ++b) {
            const __m256i codes = symmetric_codes<W, kBias>(w[b]);
            const float dw = f16(w[b].d);
            PLINTH_UNROLL
            for (int c = 0; c < NC; ++c)
                sum[c] = std::fma(float(hsum(symmetric_products<kBias>(codes, a[c][b]))), dw * f16(a[c][b].d), sum[c]);
        }
        PLINTH_UNROLL
        for (int c = 0; c < NC; ++c) out[c] = sum[c];
    }
};

template <class W>  // dot_q45_k
struct Q45K {
    template <int NC>
    static void dot(int64_t n, const void* wv, const void* const* av, float* out) {
        constexpr bool kFiveBit = requires(W blk) { blk.qh; };
        const auto* w = static_cast<const W*>(wv);
        const BlockQ8_K* a[NC];
        __m512 acc[NC];
        PLINTH_UNROLL
        for (int c = 0; c < NC; ++c) {
            a[c] = static_cast<const BlockQ8_K*>(av[c]);
            acc[c] = _mm512_setzero_ps();
        }
        for (int64_t b = 0; b < n / kBlock256; ++b) {
            uint64_t sc8, mn8;
            k4_scales_mins(w[b].scales, &sc8, &mn8);
            const __m512i scales = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(sc8))));
            const __m128i mn = _mm_cvtsi64_si128(int64_t(mn8));
            const __m256i mins = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mn, mn));
            __m512i qh;
            if constexpr (kFiveBit) qh = load256_twice(w[b].qh);
            __m512i codes[4], sel[4];
            PLINTH_UNROLL
            for (int k = 0; k < 4; ++k) {
                codes[k] = _mm512_and_si512(_mm512_srlv_epi16(load256_twice(w[b].qs + 32 * k), words2(0, 4)), bytes(0x0F));
                if constexpr (kFiveBit) {
                    const __mmask64 top = _mm512_test_epi8_mask(qh, bytes2(1 << (2 * k), 1 << (2 * k + 1)));
                    codes[k] = _mm512_mask_add_epi8(codes[k], top, codes[k], bytes(16));
                }
                sel[k] = _mm512_permutexvar_epi16(select_by32(2 * k), scales);
            }
            const float dw = f16(w[b].d), dmin = f16(w[b].dmin);
            PLINTH_UNROLL
            for (int c = 0; c < NC; ++c) {
                const __m256i msum = _mm256_madd_epi16(mins, load256(a[c][b].bsums));
                __m512i isum = _mm512_setzero_si512();
                PLINTH_UNROLL
                for (int k = 0; k < 4; ++k) isum = madd_scaled(isum, codes[k], a[c][b].qs + 64 * k, sel[k]);
                acc[c] = _mm512_fmadd_ps(_mm512_set1_ps(a[c][b].d * dw), _mm512_cvtepi32_ps(isum), acc[c]);
                acc[c] = _mm512_fnmadd_ps(_mm512_set1_ps(a[c][b].d * dmin), to_float(msum), acc[c]);
            }
        }
        PLINTH_UNROLL
        for (int c = 0; c < NC; ++c) out[c] = _mm512_reduce_add_ps(acc[c]);
    }
};

struct Q6K {  // dot_q6_k
    template <int NC>
    static void dot(int64_t n, const void* wv, const void* const* av, float* out) {
        const auto* w = static_cast<const BlockQ6_K*>(wv);
        const BlockQ8_K* a[NC];
        __m512 acc[NC];
        PLINTH_UNROLL
        for (int c = 0; c < NC; ++c) {
            a[c] = static_cast<const BlockQ8_K*>(av[c]);
            acc[c] = _mm512_setzero_ps();
        }
        for (int64_t b = 0; b < n / kBlock256; ++b) {
            const __m256i sc = _mm256_cvtepi8_epi16(load128(w[b].scales));
            const __m512i scales = _mm512_castsi256_si512(sc);
            __m512i codes[4], sel[4];
            PLINTH_UNROLL
            for (int h = 0; h < 2; ++h) {
                const __m512i ql = load512(w[b].ql + 64 * h);
                const __m512i qh = _mm512_srlv_epi16(load256_twice(w[b].qh + 32 * h), words2(0, 2));
                codes[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, bytes(0x0F)),
                                               _mm512_and_si512(_mm512_slli_epi16(qh, 4), bytes(0x30)));
                codes[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), bytes(0x0F)),
                                                   _mm512_and_si512(qh, bytes(0x30)));
                sel[2 * h] = _mm512_permutexvar_epi16(select_by16(8 * h), scales);
                sel[2 * h + 1] = _mm512_permutexvar_epi16(select_by16(8 * h + 4), scales);
            }
            const float dw = f16(w[b].d);
            PLINTH_UNROLL
            for (int c = 0; c < NC; ++c) {
                __m512i isum = _mm512_setzero_si512();
                PLINTH_UNROLL
                for (int k = 0; k < 4; ++k) isum = madd_scaled(isum, codes[k], a[c][b].qs + 64 * k, sel[k]);
                const __m256i bias = _mm256_slli_epi32(_mm256_madd_epi16(sc, load256(a[c][b].bsums)), 5);
                isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(bias));
                acc[c] = _mm512_fmadd_ps(_mm512_set1_ps(dw * a[c][b].d), _mm512_cvtepi32_ps(isum), acc[c]);
            }
        }
        PLINTH_UNROLL
        for (int c = 0; c < NC; ++c) out[c] = _mm512_reduce_add_ps(acc[c]);
    }
};

// Q4_0 / Q5_0 / Q8_0 x Q8_0, 16 columns at once: lanes are columns. The tile's activation columns
// are first laid out as a panel (per block: 8 vectors, vector k holding bytes 4k .. 4k + 3 of each
// column's block, plus the bias terms and the columns' scales), so that one dpbusd of a weight row's
// 4 codes (broadcast) against vector k gives, in lane c, exactly the group-k integer sum of
// dot_symmetric_lanes for column c; eight of them (from the block's bias term) the whole-block sum
// of dot_symmetric_chain. The float side is then the single-column kernel's, lane by lane: the
// same fused multiply-adds by d_w d_a in block order, and for the lanes order the same final sum
// ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
template <class W, int kBias, bool kChain>
struct Sym32Panel {
    static constexpr int kInit = kChain ? 1 : 8;    // bias vectors per block
    static constexpr int kPer = 8 + kInit + 1;      // vectors per block: codes, bias, scales
    static constexpr int kAcc = kChain ? 1 : 8;     // accumulators per row
    static constexpr int kRows = kChain ? 4 : 2;    // rows per pass: they share the panel's loads
    static constexpr int kMinPanelColumns = 4;      // fewer go column by column
    static constexpr int64_t kChunk = kChain ? 32 : 16;  // blocks per pass over the rows (panel in L1)

    // Panel of columns c0 .. c0 + nc - 1 (nc <= 16; missing lanes are zero).
    static void build(__m512i* panel, int64_t nb, const uint8_t* a, size_t a_stride, int nc) {
        const __mmask16 m = __mmask16((1u << nc) - 1u);
        const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                               _mm512_set1_epi32(int(a_stride)));
        const auto* blocks = reinterpret_cast<const BlockQ8_0*>(a);
        for (int64_t b = 0; b < nb; ++b) {
            __m512i* p = panel + b * kPer;
            __m512i total = _mm512_setzero_si512();
            PLINTH_UNROLL
            for (int k = 0; k < 8; ++k) {
                const __m512i q = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, idx, blocks[b].qs + 4 * k, 1);
                p[k] = q;
                // kBias times the group's activation sum (kBias as an unsigned byte: 8, 16 or 128)
                const __m512i bias = dot_u8i8(bytes(kBias), q);
                if constexpr (kChain) total = _mm512_add_epi32(total, bias);
                else p[8 + k] = _mm512_sub_epi32(_mm512_setzero_si512(), bias);
            }
            if constexpr (kChain) p[8] = _mm512_sub_epi32(_mm512_setzero_si512(), total);
            const __m512i d = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, idx, &blocks[b].d, 1);
            p[8 + kInit] = _mm512_castps_si512(_mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_and_si512(d, _mm512_set1_epi32(0xFFFF)))));
        }
    }

    static int32_t word(const uint8_t* p) {
        int32_t v;
        std::memcpy(&v, p, 4);
        return v;
    }

    // R rows (1 or 2) over blocks b0 .. b1 - 1, accumulators in acc[r * kAcc ..].
    template <int R>
    static void rows_pass(const W* const* w, const __m512i* panel, int64_t b0, int64_t b1, __m512* acc) {
        __m512 s[R][kAcc];
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r)
            PLINTH_UNROLL
            for (int k = 0; k < kAcc; ++k) s[r][k] = acc[r * kAcc + k];
        for (int64_t b = b0; b < b1; ++b) {
            const __m512i* p = panel + b * kPer;
            alignas(32) uint8_t codes[R][32];
            __m512 scale[R];
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) {
                _mm256_store_si256(reinterpret_cast<__m256i*>(codes[r]), symmetric_codes<W, kBias>(w[r][b]));
                scale[r] = _mm512_mul_ps(_mm512_set1_ps(f16(w[r][b].d)), _mm512_castsi512_ps(p[8 + kInit]));
            }
            // Read the codes back from memory: a broadcast from memory is a load, where GCC would
            // otherwise extract them in registers with two shuffles each (the port dpbusd needs).
            asm volatile("" : "+m"(codes));
            if constexpr (kChain) {
                __m512i isum[R];
                PLINTH_UNROLL
                for (int r = 0; r < R; ++r) isum[r] = p[8];
                PLINTH_UNROLL
                for (int k = 0; k < 8; ++k) {
                    const __m512i q = p[k];
                    PLINTH_UNROLL
                    for (int r = 0; r < R; ++r) isum[r] = _mm512_dpbusd_epi32(isum[r], _mm512_set1_epi32(word(codes[r] + 4 * k)), q);
                }
                PLINTH_UNROLL
                for (int r = 0; r < R; ++r) s[r][0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[r]), scale[r], s[r][0]);
            } else {
                PLINTH_UNROLL
                for (int k = 0; k < 8; ++k) {
                    const __m512i q = p[k];
                    PLINTH_UNROLL
                    for (int r = 0; r < R; ++r) {
                        const __m512i lane = _mm512_dpbusd_epi32(p[8 + k], _mm512_set1_epi32(word(codes[r] + 4 * k)), q);
                        s[r][k] = _mm512_fmadd_ps(scale[r], _mm512_cvtepi32_ps(lane), s[r][k]);
                    }
                }
            }
        }
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r)
            PLINTH_UNROLL
            for (int k = 0; k < kAcc; ++k) acc[r * kAcc + k] = s[r][k];
    }

    static void gemm(int64_t rows, int64_t n, const void* wv, size_t w_stride, int64_t cols, const void* av,
                     size_t a_stride, float* out, int64_t out_stride) {
        // A group of fewer than 4 columns (decoding: 1) would leave most lanes idle: those go
        // through the per-column kernels. So do columns too far apart for the panel's gathers
        // (32-bit byte offsets of up to 15 column strides).
        using Plain = std::conditional_t<kChain, SymmetricChain<W, kBias>, SymmetricLanes<W, kBias>>;
        if (rows <= 0 || n == 0) return gemm_columns<Plain>(rows, n, wv, w_stride, cols, av, a_stride, out, out_stride);
        const int64_t paneled = cols / 16 * 16 + (cols % 16 >= kMinPanelColumns ? cols % 16 : 0);
        if (paneled < cols)
            gemm_columns<Plain>(rows, n, wv, w_stride, cols - paneled, static_cast<const uint8_t*>(av) + size_t(paneled) * a_stride,
                                a_stride, out + paneled * out_stride, out_stride);
        if (paneled == 0) return;
        cols = paneled;
        if (a_stride > size_t(INT32_MAX) / 16) return gemm_columns<Plain>(rows, n, wv, w_stride, cols, av, a_stride, out, out_stride);
        const int64_t nb = n / kBlock32;
        const auto* wbase = static_cast<const uint8_t*>(wv);
        const auto* abase = static_cast<const uint8_t*>(av);
        // (vectors wrapped in a struct: a std::vector of a bare vector type drops its attributes)
        struct alignas(64) I512 { __m512i v; };
        struct alignas(64) F512 { __m512 v; };
        thread_local std::vector<I512> panel_store;
        thread_local std::vector<F512> acc_store;
        if (panel_store.size() < size_t(nb * kPer)) panel_store.resize(size_t(nb * kPer));
        if (acc_store.size() < size_t(rows * kAcc)) acc_store.resize(size_t(rows * kAcc));
        __m512i* const panel = &panel_store[0].v;
        __m512* const acc = &acc_store[0].v;
        for (int64_t c0 = 0; c0 < cols; c0 += 16) {
            const int nc = int(std::min<int64_t>(16, cols - c0));
            build(panel, nb, abase + size_t(c0) * a_stride, a_stride, nc);
            std::fill(acc, acc + rows * kAcc, _mm512_setzero_ps());
            for (int64_t b0 = 0; b0 < nb; b0 += kChunk) {
                const int64_t b1 = std::min(nb, b0 + kChunk);
                int64_t r = 0;
                auto pass = [&]<int R>() {
                    const W* w[R];
                    PLINTH_UNROLL
                    for (int i = 0; i < R; ++i) w[i] = reinterpret_cast<const W*>(wbase + size_t(r + i) * w_stride);
                    rows_pass<R>(w, panel, b0, b1, acc + r * kAcc);
                    r += R;
                };
                while (r + kRows <= rows) pass.template operator()<kRows>();
                while (r + 2 <= rows) pass.template operator()<2>();
                if (r < rows) pass.template operator()<1>();
            }
            for (int64_t r = 0; r < rows; ++r) {
                const __m512* s = acc + r * kAcc;
                __m512 res = s[0];
                if constexpr (!kChain)
                    res = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s[0], s[4]), _mm512_add_ps(s[2], s[6])),
                                        _mm512_add_ps(_mm512_add_ps(s[1], s[5]), _mm512_add_ps(s[3], s[7])));
                alignas(64) float lanes[16];
                _mm512_store_ps(lanes, res);
                for (int c = 0; c < nc; ++c) out[(c0 + c) * out_stride + r] = lanes[c];
            }
        }
    }
};

constexpr KernelTable make_table() {
    KernelTable t{};
    t.name = "avx512";
    t.dot[PLINTH_TYPE_F32] = dot_f32;
    t.dot[PLINTH_TYPE_F16] = dot_f16;
    t.dot[PLINTH_TYPE_BF16] = dot_bf16;
    t.dot[PLINTH_TYPE_Q4_0] = dot_symmetric_lanes<BlockQ4_0, 8>;
    t.dot[PLINTH_TYPE_Q4_1] = dot_nibble_blocks<BlockQ4_1, BlockQ8_1, 0>;
    t.dot[PLINTH_TYPE_Q5_0] = dot_symmetric_lanes<BlockQ5_0, 16>;
    t.dot[PLINTH_TYPE_Q5_1] = dot_nibble_blocks<BlockQ5_1, BlockQ8_1, 0>;
    t.dot[PLINTH_TYPE_Q8_0] = dot_symmetric_lanes<BlockQ8_0, 128>;
    t.dot[PLINTH_TYPE_Q8_1] = dot_q8_blocks<BlockQ8_1>;
    t.dot[PLINTH_TYPE_Q2_K] = dot_q2_k;
    t.dot[PLINTH_TYPE_Q3_K] = dot_q3_k;
    t.dot[PLINTH_TYPE_Q4_K] = dot_q45_k<BlockQ4_K>;
    t.dot[PLINTH_TYPE_Q5_K] = dot_q45_k<BlockQ5_K>;
    t.dot[PLINTH_TYPE_Q6_K] = dot_q6_k;
    t.dot[PLINTH_TYPE_Q8_K] = dot_q8_k;
    t.dot_blocks[PLINTH_TYPE_Q4_0] = dot_symmetric_chain<BlockQ4_0, 8>;
    t.dot_blocks[PLINTH_TYPE_Q5_0] = dot_symmetric_chain<BlockQ5_0, 16>;
    t.dot_blocks[PLINTH_TYPE_Q8_0] = dot_symmetric_chain<BlockQ8_0, 128>;
    t.gemm[PLINTH_TYPE_Q4_0] = Sym32Panel<BlockQ4_0, 8, false>::gemm;
    t.gemm[PLINTH_TYPE_Q5_0] = Sym32Panel<BlockQ5_0, 16, false>::gemm;
    t.gemm[PLINTH_TYPE_Q8_0] = Sym32Panel<BlockQ8_0, 128, false>::gemm;
    t.gemm_blocks[PLINTH_TYPE_Q4_0] = Sym32Panel<BlockQ4_0, 8, true>::gemm;
    t.gemm_blocks[PLINTH_TYPE_Q5_0] = Sym32Panel<BlockQ5_0, 16, true>::gemm;
    t.gemm_blocks[PLINTH_TYPE_Q8_0] = Sym32Panel<BlockQ8_0, 128, true>::gemm;
    t.gemm[PLINTH_TYPE_Q4_K] = gemm_columns<Q45K<BlockQ4_K>, 8>;
    t.gemm[PLINTH_TYPE_Q5_K] = gemm_columns<Q45K<BlockQ5_K>, 8>;
    t.gemm[PLINTH_TYPE_Q6_K] = gemm_columns<Q6K, 8>;
    t.quantize[PLINTH_TYPE_Q8_0] = quantize_q8_32<BlockQ8_0>;
    t.quantize[PLINTH_TYPE_Q8_1] = quantize_q8_32<BlockQ8_1>;
    t.quantize[PLINTH_TYPE_Q8_K] = quantize_q8_k;
    return t;
}

}  // namespace

constexpr KernelTable kAvx512Table = make_table();

}  // namespace plinth::quant::detail
