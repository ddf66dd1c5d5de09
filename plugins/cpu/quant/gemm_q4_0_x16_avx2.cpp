// Q4_0 x Q8_0 over the interleaved layout (interleaved_layout.hpp) with AVX2: 8 rows per 256-bit
// register, so a group is taken in two halves (rows 0..7, then 8..15, the second reading the group
// again from cache). Per chunk of a block the codes are split into low and high nibbles once, and
// every column of the pass multiplies them by its broadcast 4-byte groups (maddubs: unsigned codes
// 0..15 by signed bytes, pairs summed into 16 bits). The 16-bit sums of a block stay exact: each
// word adds 16 products of at most 15 * 128, 30720 < 32767. One madd by ones then gives each row's
// block sum in its own 32-bit lane. Float side as gemm_q4_0_x16_avx512.cpp (bit for bit dot_blocks).
#include <algorithm>

#include "interleaved_driver.hpp"
#include "interleaved_layout.hpp"
#include "x86_common.hpp"

namespace plinth::quant::detail {
namespace {

using namespace interleaved;
using namespace interleaved::q4_0;

constexpr int kMaxPass = 4;                // columns per pass: 4 word sums + 4 chains in registers
constexpr size_t kAhead = 8 * kPairBytes;  // bytes prefetched ahead

// Rows 8h .. 8h + 7 of one group, columns [0, C) of a pass.
template <int C>
void half_pass(int h, int64_t nb, const uint8_t* group, const BlockQ8_0* const* a,
               const uint8_t* const* terms, float* const* out) {
    const __m256i low4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    __m256 chain[C];
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c) chain[c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = group + codes_at(b) + 32 * h;
        if (h == 0) {  // the pair's 9 lines kAhead bytes on: 5 with its first block, 4 with its second
            const uint8_t* ahead = group + size_t(b / 2) * kPairBytes + kAhead + (b % 2) * 320;
            PLINTH_UNROLL
            for (int line = 0; line < 4; ++line) prefetch_weights(ahead + 64 * line);
            if (b % 2 == 0) prefetch_weights(ahead + 256);
        }
        __m256i words[C];
        PLINTH_UNROLL
        for (int c = 0; c < C; ++c) words[c] = _mm256_setzero_si256();
        PLINTH_UNROLL
        for (int m = 0; m < 4; ++m) {
            const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 64 * m));
            const __m256i lo = _mm256_and_si256(v, low4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
            PLINTH_UNROLL
            for (int c = 0; c < C; ++c) {
                const int8_t* q = a[c][b].qs;
                words[c] = _mm256_add_epi16(words[c], _mm256_add_epi16(_mm256_maddubs_epi16(lo, _mm256_set1_epi32(code_word(q + 4 * m))),
                                                                       _mm256_maddubs_epi16(hi, _mm256_set1_epi32(code_word(q + 16 + 4 * m)))));
            }
        }
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(group + scales_at(b) + 16 * h)));
        PLINTH_UNROLL
        for (int c = 0; c < C; ++c) {
            const __m256i isum = _mm256_add_epi32(_mm256_madd_epi16(words[c], ones), _mm256_set1_epi32(term_bias(terms[c])[b]));
            const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(term_scale(terms[c], nb)[b]));
            chain[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), scale, chain[c]);
        }
    }
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c) _mm256_storeu_ps(out[c] + 8 * h, chain[c]);
}

}  // namespace

namespace avx2 {
void gemm_q4_0_interleaved(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                           size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    const auto pass = [&]<int C>(const uint8_t* group, const BlockQ8_0* const* a, const uint8_t* const* t, float* const* o) {
        for (int h = 0; h < 2; ++h) half_pass<C>(h, nb, group, a, t, o);
    };
    for_each_pass<kMaxPass, BlockQ8_0>(groups, group_bytes(nb), packed, cols, act, act_stride, terms, terms_stride, out, out_stride, pass);
}
}  // namespace avx2

}  // namespace plinth::quant::detail
