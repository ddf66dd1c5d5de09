// Q4_0 x Q8_0 over the interleaved layout (interleaved_layout.hpp) with AVX-512 VNNI: 16 rows per
// 512-bit register, lane r row r. Per block the 4 code chunks are loaded once and split into low and
// high nibbles (8 registers), then every column of the pass takes 8 dpbusd against its 4-byte groups
// (broadcast from the Q8_0 block), which leave each row's exact block sum in its own lane: no sums
// across lanes, no transposes. The float side is the blocks order's, lane by lane: the block's
// integer sum plus its bias term, times f16(d_w) * d_a, in one fused multiply-add chain per row and
// column over the blocks in order (bit for bit dot_blocks).
#include "avx512_common.hpp"
#include "interleaved_driver.hpp"
#include "interleaved_layout.hpp"

namespace plinth::quant::detail {
namespace {

using namespace interleaved;
using namespace interleaved::q4_0;

constexpr int kMaxPass = 8;            // columns per pass over a group (registers: 8 codes + 8 chains)
// Bytes prefetched ahead: 8 pairs of blocks. 1.1B Q4_0 decode on a Zen 4, 6 alternating rounds:
// 2304 bytes ahead 0.95x of this, 9216 0.96x, 18432 0.98x; into L1 instead of L2 0.8x.
constexpr size_t kAhead = 8 * kPairBytes;

// One group, columns [0, C) of a pass: out[c][r] for its 16 rows.
template <int C>
void group_pass(int64_t nb, const uint8_t* group, const BlockQ8_0* const* a,
                const uint8_t* const* terms, float* const* out) {
    const __m512i low4 = bytes(0x0F);
    __m512 chain[C];
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c) chain[c] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = group + codes_at(b);
        // The pair's 9 lines kAhead bytes on: 5 with its first block, 4 with its second.
        const uint8_t* ahead = group + size_t(b / 2) * kPairBytes + kAhead + (b % 2) * 320;
        PLINTH_UNROLL
        for (int line = 0; line < 4; ++line) prefetch_weights(ahead + 64 * line);
        if (b % 2 == 0) prefetch_weights(ahead + 256);
        __m512i lo[4], hi[4];
        PLINTH_UNROLL
        for (int m = 0; m < 4; ++m) {
            const __m512i v = _mm512_load_si512(blk + 64 * m);  // aligned: interleaved_layout.hpp
            lo[m] = _mm512_and_si512(v, low4);
            hi[m] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
        }
        const __m512 dw = _mm512_cvtph_ps(load256(group + scales_at(b)));
        PLINTH_UNROLL
        for (int c = 0; c < C; ++c) {
            const int8_t* q = a[c][b].qs;
            // Two chains (low and high nibbles) for more multiply-adds in flight; integers, exact.
            __m512i s0 = _mm512_set1_epi32(term_bias(terms[c])[b]), s1 = _mm512_setzero_si512();
            PLINTH_UNROLL
            for (int m = 0; m < 4; ++m) {
                s0 = _mm512_dpbusd_epi32(s0, lo[m], _mm512_set1_epi32(code_word(q + 4 * m)));
                s1 = _mm512_dpbusd_epi32(s1, hi[m], _mm512_set1_epi32(code_word(q + 16 + 4 * m)));
            }
            const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(term_scale(terms[c], nb)[b]));
            chain[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1)), scale, chain[c]);
        }
    }
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c) _mm512_storeu_ps(out[c], chain[c]);
}

}  // namespace

namespace avx512 {
void gemm_q4_0_interleaved(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                           size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    const auto pass = [&]<int C>(const uint8_t* group, const BlockQ8_0* const* a, const uint8_t* const* t, float* const* o) {
        group_pass<C>(nb, group, a, t, o);
    };
    for_each_pass<kMaxPass, BlockQ8_0>(groups, group_bytes(nb), packed, cols, act, act_stride, terms, terms_stride, out, out_stride, pass);
}
}  // namespace avx512

}  // namespace plinth::quant::detail
