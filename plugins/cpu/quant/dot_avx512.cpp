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
// scalar path (see block_layouts.hpp). The multi-column kernels are in gemm_q32_avx512.cpp and
// gemm_kquant_avx512.cpp, the helpers these files share in avx512_common.hpp.
#include "avx512_common.hpp"

namespace plinth::quant::detail {
namespace {

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


float dot_q2_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ2_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
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
        sum += kquant_term_min(a[b].d, f16(w[b].d), f16(w[b].dmin), _mm512_reduce_add_epi32(isum), hsum(msum));
    }
    return sum;
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
    float sum = 0.0f;
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
        sum += kquant_term(f16(w[b].d), a[b].d, _mm512_reduce_add_epi32(isum));
    }
    return sum;
}


template <class W>
float dot_q45_k(int64_t n, const void* wv, const void* av) {
    constexpr bool kFiveBit = requires(W blk) { blk.qh; };
    const auto* w = static_cast<const W*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
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
        sum += kquant_term_min(a[b].d, f16(w[b].d), f16(w[b].dmin), _mm512_reduce_add_epi32(isum), hsum(msum));
    }
    return sum;
}

float dot_q6_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ6_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
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
        sum += kquant_term(f16(w[b].d), a[b].d, _mm512_reduce_add_epi32(isum));
    }
    return sum;
}

float dot_q8_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ8_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        __m512i isum = _mm512_setzero_si512();
        PLINTH_UNROLL
        for (int i = 0; i < kBlock256; i += 64)  // (w + 128) a; the 128 sum(a) comes off below
            isum = _mm512_dpbusd_epi32(isum, _mm512_xor_si512(load512(w[b].qs + i), bytes(0x80)), load512(a[b].qs + i));
        const __m256i bias = _mm256_madd_epi16(load256(a[b].bsums), _mm256_set1_epi16(128));
        isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(bias));
        sum += kquant_term(w[b].d, a[b].d, _mm512_reduce_add_epi32(isum));
    }
    return sum;
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
    t.gemm[PLINTH_TYPE_Q4_0] = avx512::gemm_q4_0;
    t.gemm[PLINTH_TYPE_Q5_0] = avx512::gemm_q5_0;
    t.gemm[PLINTH_TYPE_Q8_0] = avx512::gemm_q8_0;
    t.gemm_blocks[PLINTH_TYPE_Q4_0] = avx512::gemm_q4_0_blocks;
    t.gemm_blocks[PLINTH_TYPE_Q5_0] = avx512::gemm_q5_0_blocks;
    t.gemm_blocks[PLINTH_TYPE_Q8_0] = avx512::gemm_q8_0_blocks;
    t.interleaved[PLINTH_TYPE_Q4_0] = avx512::gemm_q4_0_interleaved;
    t.interleaved[PLINTH_TYPE_Q8_0] = avx512::gemm_q8_0_interleaved;
    t.interleaved[PLINTH_TYPE_Q4_K] = avx512::gemm_q4_k_interleaved;
    t.interleaved[PLINTH_TYPE_Q5_K] = avx512::gemm_q5_k_interleaved;
    t.interleaved[PLINTH_TYPE_Q6_K] = avx512::gemm_q6_k_interleaved;
    t.gemm[PLINTH_TYPE_Q4_K] = avx512::gemm_q4_k;
    t.gemm[PLINTH_TYPE_Q5_K] = avx512::gemm_q5_k;
    t.gemm[PLINTH_TYPE_Q6_K] = avx512::gemm_q6_k;
    t.quantize[PLINTH_TYPE_Q8_0] = quantize_q8_32<BlockQ8_0>;
    t.quantize[PLINTH_TYPE_Q8_1] = quantize_q8_32<BlockQ8_1>;
    t.quantize[PLINTH_TYPE_Q8_K] = quantize_q8_k;
    return t;
}

}  // namespace

constexpr KernelTable kAvx512Table = make_table();

}  // namespace plinth::quant::detail
