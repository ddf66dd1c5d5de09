// Q8_0 x Q8_0 over the interleaved layout (interleaved_layout.hpp, q8_0) with AVX-512 VNNI in the
// lanes order: 16 rows per 512-bit register, lane r row r. Chunk k of a block is the reference's
// lane k (elements 4k .. 4k + 3), so one dpbusd per chunk and column gives every row's lane-k sum,
// and each (column, k) keeps its own fused multiply-add chain by f16(d_w) f16(d_a) over the blocks;
// the 8 chains are added at the end in the reference's tree (bit for bit the lanes-order dot). The
// signed codes become unsigned (w + 128, an xor) once per chunk; the column's terms hold the
// -128 * (lane's activation sum) each dpbusd starts from.
#include "avx512_common.hpp"
#include "interleaved_driver.hpp"
#include "interleaved_layout.hpp"

namespace plinth::quant::detail {
namespace {

using namespace interleaved;
using namespace interleaved::q8_0;

constexpr int kMaxPass = 2;                 // columns per pass: 8 chains each, beside 8 code registers
constexpr size_t kAhead = 4 * kPairBytes;   // bytes prefetched ahead: 4 pairs of blocks

template <int C>
void group_pass(int64_t nb, const uint8_t* group, const BlockQ8_0* const* a, const uint8_t* const* terms, float* const* out) {
    const __m512i flip = bytes(0x80);
    __m512 chain[C][8];
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c)
        PLINTH_UNROLL
        for (int k = 0; k < 8; ++k) chain[c][k] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = group + codes_at(b);
        // The pair's 17 lines kAhead bytes on: 9 with its first block, 8 with its second.
        const uint8_t* ahead = group + size_t(b / 2) * kPairBytes + kAhead + (b % 2) * 576;
        PLINTH_UNROLL
        for (int line = 0; line < 8; ++line) prefetch_weights(ahead + 64 * line);
        if (b % 2 == 0) prefetch_weights(ahead + 512);
        __m512i codes[8];
        PLINTH_UNROLL
        for (int k = 0; k < 8; ++k) codes[k] = _mm512_xor_si512(_mm512_load_si512(blk + 64 * k), flip);  // aligned: interleaved_layout.hpp
        const __m512 dw = _mm512_cvtph_ps(load256(group + scales_at(b)));
        PLINTH_UNROLL
        for (int c = 0; c < C; ++c) {
            const __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(term_scale(terms[c], nb)[b]));
            const int32_t* bias = term_bias(terms[c], b);
            PLINTH_UNROLL
            for (int k = 0; k < 8; ++k) {
                const __m512i isum = _mm512_dpbusd_epi32(_mm512_set1_epi32(bias[k]), codes[k], _mm512_set1_epi32(code_word(a[c][b].qs + 4 * k)));
                chain[c][k] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(isum), chain[c][k]);
            }
        }
    }
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c) {
        const __m512* l = chain[c];
        _mm512_storeu_ps(out[c], _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(l[0], l[4]), _mm512_add_ps(l[2], l[6])),
                                               _mm512_add_ps(_mm512_add_ps(l[1], l[5]), _mm512_add_ps(l[3], l[7]))));
    }
}

}  // namespace

namespace avx512 {
void gemm_q8_0_interleaved(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                           size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    const auto pass = [&]<int C>(const uint8_t* group, const BlockQ8_0* const* a, const uint8_t* const* t, float* const* o) {
        group_pass<C>(nb, group, a, t, o);
    };
    for_each_pass<kMaxPass, BlockQ8_0>(groups, group_bytes(nb), packed, cols, act, act_stride, terms, terms_stride, out, out_stride, pass);
}
}  // namespace avx512

}  // namespace plinth::quant::detail
