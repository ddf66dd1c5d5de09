// Q8_0 x Q8_0 over the interleaved layout (interleaved_layout.hpp, q8_0) with AVX2 in the lanes
// order: as gemm_q8_0_x16_avx512.cpp, 8 rows per 256-bit register, a group in two halves (rows
// 0..7, then 8..15 from cache). Without dpbusd a lane's 4 products are maddubs of |w| by a with w's
// sign (pairs of at most 2 * 128 * 127 in 16 bits) and madd by ones: the exact integer sums, so the
// column's bias terms are not used.
#include <algorithm>

#include "interleaved_driver.hpp"
#include "interleaved_layout.hpp"
#include "x86_common.hpp"

namespace plinth::quant::detail {
namespace {

using namespace interleaved;
using namespace interleaved::q8_0;

constexpr int kMaxPass = 1;                // 8 chains, 8 code registers: one column per pass
constexpr size_t kAhead = 4 * kPairBytes;  // bytes prefetched ahead: 4 pairs of blocks

template <int C>
void half_pass(int h, int64_t nb, const uint8_t* group, const BlockQ8_0* const* a, const uint8_t* const* terms,
               float* const* out) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 chain[C][8];
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c)
        PLINTH_UNROLL
        for (int k = 0; k < 8; ++k) chain[c][k] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = group + codes_at(b) + 32 * h;
        if (h == 0) {  // the pair's 17 lines kAhead bytes on: 9 with its first block, 8 with its second
            const uint8_t* ahead = group + size_t(b / 2) * kPairBytes + kAhead + (b % 2) * 576;
            PLINTH_UNROLL
            for (int line = 0; line < 8; ++line) prefetch_weights(ahead + 64 * line);
            if (b % 2 == 0) prefetch_weights(ahead + 512);
        }
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(group + scales_at(b) + 16 * h)));
        PLINTH_UNROLL
        for (int c = 0; c < C; ++c) {
            const __m256 d = _mm256_mul_ps(dw, _mm256_set1_ps(term_scale(terms[c], nb)[b]));
            PLINTH_UNROLL
            for (int k = 0; k < 8; ++k) {
                const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 64 * k));
                const __m256i signed_a = _mm256_sign_epi8(_mm256_set1_epi32(code_word(a[c][b].qs + 4 * k)), w);
                const __m256i isum = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), signed_a), ones);
                chain[c][k] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(isum), chain[c][k]);
            }
        }
    }
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c) {
        const __m256* l = chain[c];
        _mm256_storeu_ps(out[c] + 8 * h, _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(l[0], l[4]), _mm256_add_ps(l[2], l[6])),
                                                       _mm256_add_ps(_mm256_add_ps(l[1], l[5]), _mm256_add_ps(l[3], l[7]))));
    }
}

}  // namespace

namespace avx2 {
void gemm_q8_0_interleaved(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                           size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    const auto pass = [&]<int C>(const uint8_t* group, const BlockQ8_0* const* a, const uint8_t* const* t, float* const* o) {
        for (int h = 0; h < 2; ++h) half_pass<C>(h, nb, group, a, t, o);
    };
    for_each_pass<kMaxPass, BlockQ8_0>(groups, group_bytes(nb), packed, cols, act, act_stride, terms, terms_stride, out, out_stride, pass);
}
}  // namespace avx2

}  // namespace plinth::quant::detail
