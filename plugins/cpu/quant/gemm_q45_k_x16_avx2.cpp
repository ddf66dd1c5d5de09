// Q4_K and Q5_K x Q8_K over their interleaved layouts (interleaved_layout.hpp, k45) with AVX2: as
// gemm_q45_k_x16_avx512.cpp, 8 rows per 256-bit register, a group in two halves (rows 0..7, then
// 8..15 from cache). A sub-block's products are summed in 16 bits (maddubs: codes by signed bytes;
// Q4_K's 16 products of at most 15 * 128 a word, 30720 < 32767; Q5_K's codes reach 31, so its words
// take 8 products, at most 31744), then one madd by the row's scale in both halves of its lane
// gives scale * sum in 32 bits; the mins' sum is one madd per pair of sub-blocks. The same
// integers, the same float side.
#include <algorithm>

#include "interleaved_driver.hpp"
#include "interleaved_layout.hpp"
#include "x86_common.hpp"

namespace plinth::quant::detail {
namespace {

using namespace interleaved;
using namespace interleaved::q4_k;

constexpr int kMaxPass = 2;  // columns per pass (16 registers)

// 8 rows' scales (bytes) as 32-bit lanes holding the scale in both 16-bit halves.
inline __m256i scale_words(const uint8_t* p) {
    const __m256i x = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    return _mm256_or_si256(x, _mm256_slli_epi32(x, 16));
}

template <class L, int C>
void half_pass(int hr, int64_t nb, const uint8_t* group, const BlockQ8_K* const* a, const uint8_t* const* terms,
               float* const* out) {
    constexpr size_t kAhead = 2 * L::kBlockBytes;   // bytes prefetched ahead: 2 blocks
    constexpr int kSteps = L::kHasTop ? 4 : 8;       // chunks summed in 16 bits before a madd
    const __m256i low4 = _mm256_set1_epi8(0x0F), bit0 = _mm256_set1_epi8(0x01);
    __m256 chain[C];
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c) chain[c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = group + size_t(b) * L::kBlockBytes;
        if (hr == 0)
            for (size_t line = 0; line < L::kBlockBytes; line += 64) prefetch_weights(blk + kAhead + line);
        __m256i isum[C], msum[C];
        PLINTH_UNROLL
        for (int c = 0; c < C; ++c) isum[c] = msum[c] = _mm256_setzero_si256();
        for (int p = 0; p < 4; ++p) {
            const __m256i sc_lo = scale_words(blk + L::scales_at(2 * p) + 8 * hr), sc_hi = scale_words(blk + L::scales_at(2 * p + 1) + 8 * hr);
            for (int m0 = 0; m0 < 8; m0 += kSteps) {
                __m256i w_lo[C], w_hi[C];
                PLINTH_UNROLL
                for (int c = 0; c < C; ++c) w_lo[c] = w_hi[c] = _mm256_setzero_si256();
                PLINTH_UNROLL
                for (int mm = 0; mm < kSteps; ++mm) {
                    const int m = m0 + mm;
                    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + L::chunk(p, m) + 32 * hr));
                    __m256i lo = _mm256_and_si256(v, low4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
                    if constexpr (L::kHasTop) {  // bits 2p, 2p + 1 to bit 4 of each byte
                        const __m256i top = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + L::top_chunk(m) + 32 * hr));
                        lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srl_epi16(top, _mm_cvtsi32_si128(2 * p)), bit0), 4));
                        hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srl_epi16(top, _mm_cvtsi32_si128(2 * p + 1)), bit0), 4));
                    }
                    const int e = 64 * p + 4 * m;
                    PLINTH_UNROLL
                    for (int c = 0; c < C; ++c) {
                        w_lo[c] = _mm256_add_epi16(w_lo[c], _mm256_maddubs_epi16(lo, _mm256_set1_epi32(code_word(a[c][b].qs + e))));
                        w_hi[c] = _mm256_add_epi16(w_hi[c], _mm256_maddubs_epi16(hi, _mm256_set1_epi32(code_word(a[c][b].qs + e + 32))));
                    }
                }
                PLINTH_UNROLL
                for (int c = 0; c < C; ++c)
                    isum[c] = _mm256_add_epi32(isum[c], _mm256_add_epi32(_mm256_madd_epi16(w_lo[c], sc_lo), _mm256_madd_epi16(w_hi[c], sc_hi)));
            }
            const __m256i mins = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + L::mins_at(p) + 16 * hr)));
            PLINTH_UNROLL
            for (int c = 0; c < C; ++c)
                msum[c] = _mm256_add_epi32(msum[c], _mm256_madd_epi16(mins, _mm256_set1_epi32(term_sums(terms[c], b)[p])));
        }
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + L::kDAt + 16 * hr)));
        const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + L::kDminAt + 16 * hr)));
        PLINTH_UNROLL
        for (int c = 0; c < C; ++c) {
            const __m256 inner = _mm256_sub_ps(_mm256_mul_ps(dw, _mm256_cvtepi32_ps(isum[c])), _mm256_mul_ps(dmin, _mm256_cvtepi32_ps(msum[c])));
            chain[c] = _mm256_add_ps(chain[c], _mm256_mul_ps(_mm256_set1_ps(term_scale(terms[c], nb)[b]), inner));
        }
    }
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c) _mm256_storeu_ps(out[c] + 8 * hr, chain[c]);
}

// One of the two entries below.
template <class L>
void gemm_k45(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act, size_t act_stride,
              const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    const auto pass = [&]<int C>(const uint8_t* group, const BlockQ8_K* const* a, const uint8_t* const* t, float* const* o) {
        for (int hr = 0; hr < 2; ++hr) half_pass<L, C>(hr, nb, group, a, t, o);
    };
    for_each_pass<kMaxPass, BlockQ8_K>(groups, L::group_bytes(nb), packed, cols, act, act_stride, terms, terms_stride, out,
                                       out_stride, pass);
}

}  // namespace

namespace avx2 {
void gemm_q4_k_interleaved(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                           size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    gemm_k45<k45<false>>(groups, nb, packed, cols, act, act_stride, terms, terms_stride, out, out_stride);
}
void gemm_q5_k_interleaved(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                           size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    gemm_k45<k45<true>>(groups, nb, packed, cols, act, act_stride, terms, terms_stride, out, out_stride);
}
}  // namespace avx2

}  // namespace plinth::quant::detail
