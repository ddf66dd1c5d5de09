// AVX2 dot kernels (compiled with -mavx2 -mfma -mf16c; called only when the CPU has them).
//
// Integer products use the maddubs idiom: _mm256_maddubs_epi16 multiplies unsigned by signed bytes,
// so a signed weight w meets a as |w| * (a * sign(w)). That is exact as long as a != -128, which our
// activation quantizers guarantee (codes in -127..127). Unsigned codes (at most 63) meet a directly.
//   32-element blocks: one block per register; scales are converted four blocks at a time.
//   K-quants: 32 elements per step; sub-block scales are picked from a register of 16 int16 scales
//     by byte shuffles, and biases / mins meet the Q8_K block sums with one madd.
// Integer parts are exact; the float scaling is per block / super-block, summed in vector lanes.
//
// Everything here has internal linkage: no code compiled with these flags may be shared with the
// scalar path (see block_layouts.hpp).
#include "avx2_common.hpp"
#include "row_groups.hpp"

namespace plinth::quant::detail {
namespace {

// ---- float weights x f32 activations --------------------------------------------------------------

template <class Load>  // Load(i): 8 weights from element i as floats; Load.tail(i, count): the last few
float dot_float(int64_t n, const float* a, Load load8) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(load8(i), _mm256_loadu_ps(a + i), acc0);
        acc1 = _mm256_fmadd_ps(load8(i + 8), _mm256_loadu_ps(a + i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(load8(i), _mm256_loadu_ps(a + i), acc0);
    float sum = hsum(_mm256_add_ps(acc0, acc1));
    if (i < n) {  // the last n % 8: pad both sides with zeros
        float wt[8] = {}, at[8] = {};
        for (int64_t k = i; k < n; ++k) at[k - i] = a[k];
        _mm256_storeu_ps(wt, load8.tail(i, int(n - i)));
        for (int k = 0; k < 8; ++k) sum += wt[k] * at[k];
    }
    return sum;
}

float dot_f32(int64_t n, const void* wv, const void* av) {
    struct {
        const float* w;
        __m256 operator()(int64_t i) const { return _mm256_loadu_ps(w + i); }
        __m256 tail(int64_t i, int count) const {
            float t[8] = {};
            std::memcpy(t, w + i, size_t(count) * sizeof(float));
            return _mm256_loadu_ps(t);
        }
    } load{static_cast<const float*>(wv)};
    return dot_float(n, static_cast<const float*>(av), load);
}

// F16 weights x F16 activations, the reference's order at this level: 4 x 8 lanes of fused
// multiply-adds over each 32 elements (the products are exact), the accumulators added (0 + 2,
// 1 + 3, then the two), the 8 lanes reduced, the last n % 32 products added in double.
float dot_f16_f16(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const uint16_t*>(wv);
    const auto* a = static_cast<const uint16_t*>(av);
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    const int64_t body = n / 32 * 32;
    for (int64_t i = 0; i < body; i += 32) {
        PLINTH_UNROLL
        for (int j = 0; j < 4; ++j)
            acc[j] = _mm256_fmadd_ps(_mm256_cvtph_ps(load128(w + i + 8 * j)), _mm256_cvtph_ps(load128(a + i + 8 * j)), acc[j]);
    }
    double sum = hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[1], acc[3])));
    for (int64_t i = body; i < n; ++i) sum += double(f16(w[i]) * f16(a[i]));
    return float(sum);
}

template <bool kBf16>
float dot_16bit(int64_t n, const void* wv, const void* av) {
    struct {
        const uint16_t* w;
        static __m256 widen8(__m128i h) {
            if constexpr (kBf16) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
            else return _mm256_cvtph_ps(h);
        }
        __m256 operator()(int64_t i) const { return widen8(load128(w + i)); }
        __m256 tail(int64_t i, int count) const {
            uint16_t t[8] = {};
            std::memcpy(t, w + i, size_t(count) * sizeof(uint16_t));
            return widen8(load128(t));
        }
    } load{static_cast<const uint16_t*>(wv)};
    return dot_float(n, static_cast<const float*>(av), load);
}

// ---- 32-element blocks x Q8_0 / Q8_1 ----------------------------------------------------------------

// Codes(block) gives the block's 32 signed codes in element order. Four blocks per iteration share
// one conversion of their 8 f16 scales; the offset types add m * s, four at a time too. Q4_0, Q5_0
// and Q8_0 follow the reference's order exactly: lane k of a block sums the products of elements
// 4k .. 4k + 3, each lane is one chain of fused multiply-adds by d_w d_a over the blocks in order,
// and hsum adds the 8 lanes as (l0 + l4) + (l2 + l6), (l1 + l5) + (l3 + l7).
template <class W, class A, class Codes>
float dot_blocks32(int64_t n, const void* wv, const void* av, Codes codes) {
    constexpr bool kOffset = requires(W blk) { blk.m; };
    const auto* w = static_cast<const W*>(wv);
    const auto* a = static_cast<const A*>(av);
    const int64_t nb = n / kBlock32;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m128 offsets = _mm_setzero_ps();
    int64_t b = 0;
    for (; b + 4 <= nb; b += 4) {
        const __m128 scale = _mm_mul_ps(f16x4<sizeof(W)>(&w[b].d), f16x4<sizeof(A)>(&a[b].d));
        PLINTH_UNROLL
        for (int k = 0; k < 4; k += 2) {
            const __m256i p0 = dot_signed(codes(w[b + k]), load(a[b + k].qs));
            const __m256i p1 = dot_signed(codes(w[b + k + 1]), load(a[b + k + 1].qs));
            acc0 = _mm256_fmadd_ps(lane(scale, k), _mm256_cvtepi32_ps(p0), acc0);
            // The symmetric types keep one chain of blocks in order, as the reference does.
            if constexpr (kOffset) acc1 = _mm256_fmadd_ps(lane(scale, k + 1), _mm256_cvtepi32_ps(p1), acc1);
            else acc0 = _mm256_fmadd_ps(lane(scale, k + 1), _mm256_cvtepi32_ps(p1), acc0);
        }
        if constexpr (kOffset) offsets = _mm_fmadd_ps(f16x4<sizeof(W)>(&w[b].m), f16x4<sizeof(A)>(&a[b].s), offsets);
    }
    for (; b < nb; ++b) {  // the last nb % 4 blocks
        const __m256i p = dot_signed(codes(w[b]), load(a[b].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16(w[b].d) * f16(a[b].d)), _mm256_cvtepi32_ps(p), acc0);
        if constexpr (kOffset) offsets = _mm_add_ss(offsets, _mm_set_ss(f16(w[b].m) * f16(a[b].s)));
    }
    return hsum(_mm256_add_ps(acc0, acc1)) + hsum(offsets);
}

float dot_q4_0(int64_t n, const void* w, const void* a) {
    return dot_blocks32<BlockQ4_0, BlockQ8_0>(n, w, a, [](const BlockQ4_0& b) {
        return _mm256_sub_epi8(nibbles(b.qs), bytes(8));
    });
}
float dot_q4_1(int64_t n, const void* w, const void* a) {
    return dot_blocks32<BlockQ4_1, BlockQ8_1>(n, w, a, [](const BlockQ4_1& b) { return nibbles(b.qs); });
}
float dot_q5_0(int64_t n, const void* w, const void* a) {
    return dot_blocks32<BlockQ5_0, BlockQ8_0>(n, w, a, [](const BlockQ5_0& b) {
        return _mm256_sub_epi8(_mm256_or_si256(nibbles(b.qs), fifth_bits(b.qh)), bytes(16));
    });
}
float dot_q5_1(int64_t n, const void* w, const void* a) {
    return dot_blocks32<BlockQ5_1, BlockQ8_1>(n, w, a, [](const BlockQ5_1& b) {
        return _mm256_or_si256(nibbles(b.qs), fifth_bits(b.qh));
    });
}
float dot_q8_0(int64_t n, const void* w, const void* a) {
    return dot_blocks32<BlockQ8_0, BlockQ8_0>(n, w, a, [](const BlockQ8_0& b) { return load(b.qs); });
}
float dot_q8_1(int64_t n, const void* w, const void* a) {
    return dot_blocks32<BlockQ8_1, BlockQ8_0>(n, w, a, [](const BlockQ8_1& b) { return load(b.qs); });
}

template <class W, class Codes>
float dot_chain32(int64_t n, const void* wv, const void* av, Codes codes) {
    const auto* w = static_cast<const W*>(wv);
    const auto* a = static_cast<const BlockQ8_0*>(av);
    const int64_t nb = n / kBlock32;
    float sum = 0.0f;
    int64_t b = 0;
    for (; b + 8 <= nb; b += 8) {
        __m256i p[8];
        PLINTH_UNROLL
        for (int j = 0; j < 8; ++j) p[j] = dot_signed(codes(w[b + j]), load(a[b + j].qs));
        alignas(32) float isum[8], scale[8];
        _mm256_store_ps(isum, _mm256_cvtepi32_ps(block_sums8(p)));
        _mm_store_ps(scale, _mm_mul_ps(f16x4<sizeof(W)>(&w[b].d), f16x4<sizeof(BlockQ8_0)>(&a[b].d)));
        _mm_store_ps(scale + 4, _mm_mul_ps(f16x4<sizeof(W)>(&w[b + 4].d), f16x4<sizeof(BlockQ8_0)>(&a[b + 4].d)));
        PLINTH_UNROLL
        for (int j = 0; j < 8; ++j) sum = std::fma(isum[j], scale[j], sum);
    }
    for (; b < nb; ++b)
        sum = std::fma(float(block_sum(dot_signed(codes(w[b]), load(a[b].qs)))), f16(w[b].d) * f16(a[b].d), sum);
    return sum;
}

// Asks for the super-block 512 bytes ahead (all its lines): decoding reads rows once, and the
// hardware prefetcher alone leaves the stream waiting on memory.
template <class W>
void prefetch_super(const W* p) {
    for (size_t k = 0; k < sizeof(W); k += 64) prefetch_weights(reinterpret_cast<const char*>(p) + 512 + k);
}

// ---- K-quant super-blocks x Q8_K ----------------------------------------------------------------------
// Codes stay unsigned (0..63) so maddubs takes them as they are; a signed format's bias comes back
// through the activation block sums: sum (q - bias) a = sum q a - bias * sum a.

// From 8 int16 scales repeated on both 128-bit lanes: scale k on lane 0's 8 int16, k + 1 on lane 1's
// (the two 16-element sub-blocks of 32 elements).
__m256i pick_pair(__m256i eight, int k) {
    const __m256i sel = _mm256_set_m128i(_mm_set1_epi16(short(((2 * k + 3) << 8) | (2 * k + 2))),
                                         _mm_set1_epi16(short(((2 * k + 1) << 8) | (2 * k))));
    return _mm256_shuffle_epi8(eight, sel);
}
// Scale k on all 16 int16.
__m256i pick_one(__m256i eight, int k) { return _mm256_shuffle_epi8(eight, _mm256_set1_epi16(short(((2 * k + 1) << 8) | (2 * k)))); }
// The low / high 8 of 16 int16 scales, on both lanes.
__m256i low_eight(__m256i s16) { return _mm256_permute2x128_si256(s16, s16, 0x00); }
__m256i high_eight(__m256i s16) { return _mm256_permute2x128_si256(s16, s16, 0x11); }

// sum over 32 elements (two sub-blocks of 16) of codes x activations, times the pair's scales.
__m256i madd_scaled(__m256i codes, const int8_t* act, __m256i scales) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(codes, load(act)), scales);
}

float dot_q2_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ2_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        prefetch_super(w + b);
        const __m128i packed = load128(w[b].scales);  // low nibble scale, high nibble min
        const __m256i scales = _mm256_cvtepu8_epi16(_mm_and_si128(packed, _mm_set1_epi8(0x0F)));
        const __m256i mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F)));
        const __m256i msum = _mm256_madd_epi16(mins, load(a[b].bsums));
        __m256i isum = _mm256_setzero_si256();
        PLINTH_UNROLL
        for (int h = 0; h < 2; ++h) {  // 128 elements: 32 bytes, 4 bit pairs
            const __m256i q = load(w[b].qs + 32 * h);
            const __m256i eight = h == 0 ? low_eight(scales) : high_eight(scales);
            PLINTH_UNROLL
            for (int s = 0; s < 4; ++s) {
                const __m256i codes = _mm256_and_si256(_mm256_srli_epi16(q, 2 * s), bytes(3));
                isum = _mm256_add_epi32(isum, madd_scaled(codes, a[b].qs + 128 * h + 32 * s, pick_pair(eight, 2 * s)));
            }
        }
        sum += kquant_term_min(a[b].d, f16(w[b].d), f16(w[b].dmin), hsum(isum), hsum(msum));
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
        prefetch_super(w + b);
        const __m256i scales = q3k_scales(w[b].scales);
        const __m256i hmask = load(w[b].hmask);
        // The +4 bias: 4 sum_j sc_j bsums_j, taken off first.
        __m256i isum = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(scales, load(a[b].bsums)), 2));
        PLINTH_UNROLL
        for (int h = 0; h < 2; ++h) {
            const __m256i q = load(w[b].qs + 32 * h);
            const __m256i eight = h == 0 ? low_eight(scales) : high_eight(scales);
            PLINTH_UNROLL
            for (int s = 0; s < 4; ++s) {
                const __m256i low = _mm256_and_si256(_mm256_srli_epi16(q, 2 * s), bytes(3));
                const __m256i codes = _mm256_or_si256(low, bit_as(hmask, 4 * h + s, 4));  // 0..7
                isum = _mm256_add_epi32(isum, madd_scaled(codes, a[b].qs + 128 * h + 32 * s, pick_pair(eight, 2 * s)));
            }
        }
        sum += kquant_term(f16(w[b].d), a[b].d, hsum(isum));
    }
    return sum;
}


// One super-block's exact integer sums against one activation block, in 8 int32 lanes each (always
// inlined: as a call, the dot kernels built on it ran 17% slower):
// isum (codes x activations x sub-block scales) and msum (Q4_K/Q5_K: mins x activation sums;
// Q6_K: none, its -32 bias is taken off isum first).
template <class W>
__attribute__((always_inline)) inline void k45_sums(const W& w, const BlockQ8_K& a, __m256i* isum_out, __m256i* msum_out) {
    constexpr bool kFiveBit = requires(W blk) { blk.qh; };
    uint64_t sc8, mn8;
    k4_scales_mins(w.scales, &sc8, &mn8);
    const __m256i eight = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(sc8))));
    const __m128i mn = _mm_cvtsi64_si128(int64_t(mn8));
    // sum_j mn_j * (bsums_2j + bsums_2j+1): each min twice, against the 16 sums of 16.
    *msum_out = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mn, mn)), load(a.bsums));
    __m256i isum = _mm256_setzero_si256();
    PLINTH_UNROLL
    for (int c = 0; c < 4; ++c) {  // 64 elements: low nibbles of 32 bytes, then high nibbles
        const __m256i q = load(w.qs + 32 * c);
        __m256i lo = _mm256_and_si256(q, bytes(0x0F));
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), bytes(0x0F));
        if constexpr (kFiveBit) {
            const __m256i qh = load(w.qh);
            lo = _mm256_or_si256(lo, bit_as(qh, 2 * c, 16));
            hi = _mm256_or_si256(hi, bit_as(qh, 2 * c + 1, 16));
        }
        isum = _mm256_add_epi32(isum, madd_scaled(lo, a.qs + 64 * c, pick_one(eight, 2 * c)));
        isum = _mm256_add_epi32(isum, madd_scaled(hi, a.qs + 64 * c + 32, pick_one(eight, 2 * c + 1)));
    }
    *isum_out = isum;
}

__attribute__((always_inline)) inline __m256i q6k_sums(const BlockQ6_K& w, const BlockQ8_K& a) {
    const __m256i scales = _mm256_cvtepi8_epi16(load128(w.scales));
    // The +32 bias: 32 sum_j sc_j bsums_j, taken off first.
    __m256i isum = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(scales, load(a.bsums)), 5));
    PLINTH_UNROLL
    for (int h = 0; h < 2; ++h) {
        const __m256i ql[2] = {load(w.ql + 64 * h), load(w.ql + 64 * h + 32)};
        const __m256i qh = load(w.qh + 32 * h);
        const __m256i eight = h == 0 ? low_eight(scales) : high_eight(scales);
        PLINTH_UNROLL
        for (int s = 0; s < 4; ++s) {
            const __m256i low = s < 2 ? _mm256_and_si256(ql[s & 1], bytes(0x0F))
                                      : _mm256_and_si256(_mm256_srli_epi16(ql[s & 1], 4), bytes(0x0F));
            const __m256i top = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * s), bytes(3)), 4);
            isum = _mm256_add_epi32(isum, madd_scaled(_mm256_or_si256(low, top), a.qs + 128 * h + 32 * s, pick_pair(eight, 2 * s)));
        }
    }
    return isum;
}

template <class W>
float dot_q45_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const W*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        prefetch_super(w + b);
        __m256i isum, msum;
        k45_sums(w[b], a[b], &isum, &msum);
        sum += kquant_term_min(a[b].d, f16(w[b].d), f16(w[b].dmin), hsum(isum), hsum(msum));
    }
    return sum;
}

float dot_q6_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ6_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        prefetch_super(w + b);
        sum += kquant_term(f16(w[b].d), a[b].d, hsum(q6k_sums(w[b], a[b])));
    }
    return sum;
}


// K-quants, one column at a time: rows in groups of 4, their integer sums reduced together and their
// float sides (kquant_term / _min) run as the 4 lanes of one vector: the dot kernels' bits. Each
// super-block of the next group is asked for while this one runs.
template <class W, int R>
void k_rows(int64_t nb, const W* const* w, const BlockQ8_K* a, float* out, size_t prefetch) {
    constexpr bool kQ6 = std::is_same_v<W, BlockQ6_K>;
    __m128 sum = _mm_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        __m256i isum[4], msum[4];
        alignas(16) float d[4] = {}, dmin[4] = {};
        PLINTH_UNROLL
        for (int r = 0; r < 4; ++r) {
            if (r < R) {
                if (prefetch)
                    for (size_t k = 0; k < sizeof(W); k += 64) prefetch_row(reinterpret_cast<const char*>(w[r] + b) + k, prefetch);
                if constexpr (kQ6) {
                    isum[r] = q6k_sums(w[r][b], a[b]);
                    msum[r] = _mm256_setzero_si256();
                } else {
                    k45_sums(w[r][b], a[b], &isum[r], &msum[r]);
                    dmin[r] = f16(w[r][b].dmin);
                }
                d[r] = f16(w[r][b].d);
            } else {
                isum[r] = msum[r] = _mm256_setzero_si256();
            }
        }
        sum = _mm_add_ps(sum, kquant_terms4<!kQ6>(sum_lanes4(isum), sum_lanes4(msum), d, dmin, a[b].d));
    }
    alignas(16) float lanes[4];
    _mm_store_ps(lanes, sum);
    for (int r = 0; r < R; ++r) out[r] = lanes[r];
}

template <class W>
void gemm_k(int64_t rows, int64_t n, const void* wv, size_t w_stride, int64_t cols, const void* av, size_t a_stride,
            float* out, int64_t out_stride) {
    const int64_t nb = n / kBlock256;
    for (int64_t c = 0; c < cols; ++c) {
        const auto* a = reinterpret_cast<const BlockQ8_K*>(static_cast<const uint8_t*>(av) + size_t(c) * a_stride);
        for_row_groups<4>(rows, [&]<int R>(int64_t r) {
            const W* w[R];
            row_pointers(w, wv, w_stride, r);
            // Only the first column reads the rows from memory: it asks for the next group's.
            k_rows<W, R>(nb, w, a, out + c * out_stride + r, c == 0 ? 4 * w_stride : 0);
        });
    }
}

float dot_q8_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ8_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        __m256i isum = _mm256_setzero_si256();
        PLINTH_UNROLL
        for (int i = 0; i < kBlock256; i += 32)
            isum = _mm256_add_epi32(isum, dot_signed(load(w[b].qs + i), load(a[b].qs + i)));
        sum += kquant_term(w[b].d, a[b].d, hsum(isum));
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

float hmax(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}
__m256 abs8(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

// round(x / d) for 8 lanes, as int32 in -127..127.
__m256i codes8(__m256 x, __m256 d) {
    const __m256 v = _mm256_min_ps(_mm256_max_ps(_mm256_div_ps(x, d), _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
    const __m256i t = _mm256_cvttps_epi32(v);  // toward zero
    const __m256 frac = _mm256_sub_ps(v, _mm256_cvtepi32_ps(t));
    // Compare masks are all ones (-1) where true: subtracting one adds 1.
    const __m256i up = _mm256_sub_epi32(t, _mm256_castps_si256(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ)));
    return _mm256_add_epi32(up, _mm256_castps_si256(_mm256_cmp_ps(frac, _mm256_set1_ps(-0.5f), _CMP_LE_OQ)));
}
// 4 x 8 int32 codes (each within int8) -> 32 bytes in order.
void store32(int8_t* dst, const __m256i* q) {
    const __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    // The packs work within 128-bit lanes: 4-byte groups come out as q0 q1 q2 q3 (low halves), then
    // the high halves.
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

// Quantizes 32 floats against scale d (0: all codes 0) into dst; returns the int32 codes.
void codes32(const float* x, float d, __m256i* q) {
    PLINTH_UNROLL
    for (int k = 0; k < 4; ++k) q[k] = d > 0.0f ? codes8(_mm256_loadu_ps(x + 8 * k), _mm256_set1_ps(d)) : _mm256_setzero_si256();
}
float abs_max32(const float* x) {
    __m256 m = abs8(_mm256_loadu_ps(x));
    PLINTH_UNROLL
    for (int k = 1; k < 4; ++k) m = _mm256_max_ps(m, abs8(_mm256_loadu_ps(x + 8 * k)));
    return hmax(m);
}

template <class Block>  // BlockQ8_0 or BlockQ8_1
void quantize_q8_32(const float* x, void* yv, int64_t n) {
    auto* y = static_cast<Block*>(yv);
    for (int64_t b = 0; b < n / kBlock32; ++b, x += kBlock32) {
        const float amax = abs_max32(x);
        const float d = amax / 127.0f;
        to_f16_and_back(d, &y[b].d);
        const __m256 id = _mm256_set1_ps(amax > 0.0f ? 127.0f / amax : 0.0f);
        __m256i q[4];
        PLINTH_UNROLL
        for (int k = 0; k < 4; ++k)
            q[k] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), id),
                                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        store32(y[b].qs, q);
        if constexpr (requires { y->s; }) {
            uint16_t s;
            to_f16_and_back(d * float(hsum(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])))), &s);
            y[b].s = s;
        }
    }
}

void quantize_q8_k(const float* x, void* yv, int64_t n) {
    auto* y = static_cast<BlockQ8_K*>(yv);
    for (int64_t b = 0; b < n / kBlock256; ++b, x += kBlock256) {
        float amax = 0.0f;
        for (int i = 0; i < kBlock256; i += 32) {
            const float m = abs_max32(x + i);
            amax = m > amax ? m : amax;
        }
        const float d = amax / 127.0f;
        y[b].d = d;
        for (int i = 0; i < kBlock256; i += 32) {
            __m256i q[4];
            codes32(x + i, d, q);
            store32(y[b].qs + i, q);
            y[b].bsums[i / 16] = int16_t(hsum(_mm256_add_epi32(q[0], q[1])));
            y[b].bsums[i / 16 + 1] = int16_t(hsum(_mm256_add_epi32(q[2], q[3])));
        }
    }
}

// F16 activations: F16C's conversion, round to nearest even, as the reference's fp32_to_fp16.
void quantize_f16(const float* x, void* yv, int64_t n) {
    auto* y = static_cast<uint16_t*>(yv);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; ++i) y[i] = uint16_t(_mm_cvtsi128_si32(_mm_cvtps_ph(_mm_set_ss(x[i]), _MM_FROUND_TO_NEAREST_INT)));
}

constexpr KernelTable make_table() {
    KernelTable t{};
    t.name = "avx2";
    t.dot[PLINTH_TYPE_F32] = dot_f32;
    t.dot[PLINTH_TYPE_F16] = dot_f16_f16;
    t.dot[PLINTH_TYPE_BF16] = dot_16bit<true>;
    t.dot[PLINTH_TYPE_Q4_0] = dot_q4_0;
    t.dot_blocks[PLINTH_TYPE_Q4_0] = [](int64_t n, const void* w, const void* a) {
        return dot_chain32<BlockQ4_0>(n, w, a, [](const BlockQ4_0& b) { return _mm256_sub_epi8(nibbles(b.qs), bytes(8)); });
    };
    t.dot_blocks[PLINTH_TYPE_Q5_0] = [](int64_t n, const void* w, const void* a) {
        return dot_chain32<BlockQ5_0>(n, w, a, [](const BlockQ5_0& b) {
            return _mm256_sub_epi8(_mm256_or_si256(nibbles(b.qs), fifth_bits(b.qh)), bytes(16));
        });
    };
    t.dot_blocks[PLINTH_TYPE_Q8_0] = [](int64_t n, const void* w, const void* a) {
        return dot_chain32<BlockQ8_0>(n, w, a, [](const BlockQ8_0& b) { return load(b.qs); });
    };
    t.dot[PLINTH_TYPE_Q4_1] = dot_q4_1;
    t.dot[PLINTH_TYPE_Q5_0] = dot_q5_0;
    t.dot[PLINTH_TYPE_Q5_1] = dot_q5_1;
    t.dot[PLINTH_TYPE_Q8_0] = dot_q8_0;
    t.dot[PLINTH_TYPE_Q8_1] = dot_q8_1;
    t.dot[PLINTH_TYPE_Q2_K] = dot_q2_k;
    t.dot[PLINTH_TYPE_Q3_K] = dot_q3_k;
    t.dot[PLINTH_TYPE_Q4_K] = dot_q45_k<BlockQ4_K>;
    t.dot[PLINTH_TYPE_Q5_K] = dot_q45_k<BlockQ5_K>;
    t.dot[PLINTH_TYPE_Q6_K] = dot_q6_k;
    t.dot[PLINTH_TYPE_Q8_K] = dot_q8_k;
    t.gemm[PLINTH_TYPE_Q4_0] = avx2::gemm_q4_0;  // gemm_q32_avx2.cpp
    t.gemm[PLINTH_TYPE_Q5_0] = avx2::gemm_q5_0;
    t.gemm[PLINTH_TYPE_Q8_0] = avx2::gemm_q8_0;
    t.gemm_blocks[PLINTH_TYPE_Q4_0] = avx2::gemm_q4_0_blocks;
    t.gemm_blocks[PLINTH_TYPE_Q5_0] = avx2::gemm_q5_0_blocks;
    t.gemm_blocks[PLINTH_TYPE_Q8_0] = avx2::gemm_q8_0_blocks;
    t.interleaved[PLINTH_TYPE_Q4_0] = avx2::gemm_q4_0_interleaved;
    t.interleaved[PLINTH_TYPE_Q8_0] = avx2::gemm_q8_0_interleaved;
    t.interleaved[PLINTH_TYPE_Q4_K] = avx2::gemm_q4_k_interleaved;
    t.interleaved[PLINTH_TYPE_Q5_K] = avx2::gemm_q5_k_interleaved;
    t.interleaved[PLINTH_TYPE_Q6_K] = avx2::gemm_q6_k_interleaved;
    t.gemm[PLINTH_TYPE_Q4_K] = avx2::gemm_q4_k;  // gemm_kquant_avx2.cpp, over the row kernels here
    t.gemm[PLINTH_TYPE_Q5_K] = avx2::gemm_q5_k;
    t.gemm[PLINTH_TYPE_Q6_K] = avx2::gemm_q6_k;
    t.quantize[PLINTH_TYPE_F16] = quantize_f16;
    t.quantize[PLINTH_TYPE_Q8_0] = quantize_q8_32<BlockQ8_0>;
    t.quantize[PLINTH_TYPE_Q8_1] = quantize_q8_32<BlockQ8_1>;
    t.quantize[PLINTH_TYPE_Q8_K] = quantize_q8_k;
    return t;
}

}  // namespace

namespace avx2 {
void rows_q4_k(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    gemm_k<BlockQ4_K>(rows, n, w, ws, cols, a, as, out, os);
}
void rows_q5_k(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    gemm_k<BlockQ5_K>(rows, n, w, ws, cols, a, as, out, os);
}
void rows_q6_k(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    gemm_k<BlockQ6_K>(rows, n, w, ws, cols, a, as, out, os);
}
}  // namespace avx2

constexpr KernelTable kAvx2Table = make_table();

}  // namespace plinth::quant::detail
