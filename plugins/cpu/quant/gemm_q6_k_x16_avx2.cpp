// Q6_K x Q8_K over the interleaved layout (interleaved_layout.hpp, q6_k) with AVX2: as
// gemm_q6_k_x16_avx512.cpp, 8 rows per 256-bit register, so a group is taken in two halves (rows
// 0..7, then 8..15, the second reading the group again from cache). Without dpbusd a column's 4
// products per row are maddubs (codes 0..63 by signed bytes: pairs of at most 2 * 63 * 128 in 16
// bits) and madd by ones into 32 bits: exact, the same integer sums.
#include <algorithm>

#include "interleaved_driver.hpp"
#include "interleaved_layout.hpp"
#include "x86_common.hpp"

namespace plinth::quant::detail {
namespace {

using namespace interleaved;
using namespace interleaved::q6_k;

constexpr int kMaxPass = 2;                 // columns per pass (16 registers)
constexpr size_t kAhead = 2 * kBlockBytes;  // bytes prefetched ahead: 2 blocks

inline __m256i dot4(__m256i q, __m256i a) { return _mm256_madd_epi16(_mm256_maddubs_epi16(q, a), _mm256_set1_epi16(1)); }

// Rows 8 hr .. 8 hr + 7 of one group, columns [0, C) of a pass.
template <int C>
void half_pass(int hr, int64_t nb, const uint8_t* group, const BlockQ8_K* const* a, const uint8_t* const* terms,
               float* const* out) {
    const __m256i low4 = _mm256_set1_epi8(0x0F), top2 = _mm256_set1_epi8(0x30);
    __m256 chain[C];
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c) chain[c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = group + size_t(b) * kBlockBytes;
        if (hr == 0)
            for (size_t line = 0; line < kBlockBytes; line += 64) prefetch_weights(blk + kAhead + line);
        __m256i isum[C];
        PLINTH_UNROLL
        for (int c = 0; c < C; ++c) isum[c] = _mm256_setzero_si256();
        for (int h = 0; h < 2; ++h) {
            PLINTH_UNROLL
            for (int t = 0; t < 2; ++t) {
                PLINTH_UNROLL
                for (int half = 0; half < 2; ++half) {
                    const int j_lo = 8 * h + 2 * t + half, j_hi = j_lo + 4;
                    __m256i s_lo[C], s_hi[C];
                    PLINTH_UNROLL
                    for (int c = 0; c < C; ++c) {
                        s_lo[c] = _mm256_set1_epi32(term_bias(terms[c], b)[j_lo]);
                        s_hi[c] = _mm256_set1_epi32(term_bias(terms[c], b)[j_hi]);
                    }
                    PLINTH_UNROLL
                    for (int mm = 0; mm < 4; ++mm) {
                        const int m = 4 * half + mm;
                        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + low_chunk(h, t, m) + 32 * hr));
                        const __m256i top = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + top_chunk(h, m) + 32 * hr));
                        const __m256i top_lo = _mm256_and_si256(t == 0 ? _mm256_slli_epi16(top, 4) : _mm256_slli_epi16(top, 2), top2);
                        const __m256i top_hi = _mm256_and_si256(t == 0 ? top : _mm256_srli_epi16(top, 2), top2);
                        const __m256i q_lo = _mm256_or_si256(_mm256_and_si256(v, low4), top_lo);
                        const __m256i q_hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), low4), top_hi);
                        const int e = 128 * h + 32 * t + 4 * m;
                        PLINTH_UNROLL
                        for (int c = 0; c < C; ++c) {
                            s_lo[c] = _mm256_add_epi32(s_lo[c], dot4(q_lo, _mm256_set1_epi32(code_word(a[c][b].qs + e))));
                            s_hi[c] = _mm256_add_epi32(s_hi[c], dot4(q_hi, _mm256_set1_epi32(code_word(a[c][b].qs + e + 64))));
                        }
                    }
                    const __m256i sc_lo = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(blk + scales_at(j_lo) + 8 * hr)));
                    const __m256i sc_hi = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(blk + scales_at(j_hi) + 8 * hr)));
                    PLINTH_UNROLL
                    for (int c = 0; c < C; ++c)
                        isum[c] = _mm256_add_epi32(isum[c], _mm256_add_epi32(_mm256_mullo_epi32(s_lo[c], sc_lo),
                                                                             _mm256_mullo_epi32(s_hi[c], sc_hi)));
                }
            }
        }
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kDAt + 16 * hr)));
        PLINTH_UNROLL
        for (int c = 0; c < C; ++c) {
            const __m256 term = _mm256_mul_ps(_mm256_mul_ps(dw, _mm256_set1_ps(term_scale(terms[c], nb)[b])), _mm256_cvtepi32_ps(isum[c]));
            chain[c] = _mm256_add_ps(chain[c], term);
        }
    }
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c) _mm256_storeu_ps(out[c] + 8 * hr, chain[c]);
}

}  // namespace

namespace avx2 {
void gemm_q6_k_interleaved(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                           size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    const auto pass = [&]<int C>(const uint8_t* group, const BlockQ8_K* const* a, const uint8_t* const* t, float* const* o) {
        for (int hr = 0; hr < 2; ++hr) half_pass<C>(hr, nb, group, a, t, o);
    };
    for_each_pass<kMaxPass, BlockQ8_K>(groups, group_bytes(nb), packed, cols, act, act_stride, terms, terms_stride, out, out_stride, pass);
}
}  // namespace avx2

}  // namespace plinth::quant::detail
