// Q4_K and Q5_K x Q8_K over their interleaved layouts (interleaved_layout.hpp, k45) with AVX-512
// VNNI: 16 rows per 512-bit register, lane r row r. Per chunk the codes' low and high nibbles
// (sub-blocks 2p and 2p + 1) are split once (Q5_K: each given its fifth bit from the same byte of
// the fifth-bit chunk); every column of the pass takes a dpbusd for each against its 4-byte
// groups. A sub-block's sum times the row's scale (vpmulld) adds into the block's integer sum; the
// mins' sum is one vpdpwssd per pair of sub-blocks (two 16-bit mins per lane against the column's
// two sub-block sums). The float side is kquant_term_min's, lane by lane, added block by block in
// order (bit for bit the K-quant dot products).
#include "avx512_common.hpp"
#include "interleaved_driver.hpp"
#include "interleaved_layout.hpp"

namespace plinth::quant::detail {
namespace {

using namespace interleaved;
using namespace interleaved::q4_k;

constexpr int kMaxPass = 4;  // columns per pass: 2 sub-block sums, 2 block sums, a chain each

template <class L, int C>
void group_pass(int64_t nb, const uint8_t* group, const BlockQ8_K* const* a, const uint8_t* const* terms, float* const* out) {
    constexpr size_t kAhead = 2 * L::kBlockBytes;  // bytes prefetched ahead: 2 blocks
    const __m512i low4 = bytes(0x0F), bit0 = bytes(0x01);
    __m512 chain[C];
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c) chain[c] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = group + size_t(b) * L::kBlockBytes;
        __m512i isum[C], msum[C];
        PLINTH_UNROLL
        for (int c = 0; c < C; ++c) isum[c] = msum[c] = _mm512_setzero_si512();
        PLINTH_UNROLL
        for (int p = 0; p < 4; ++p) {
            __m512i s_lo[C], s_hi[C];
            PLINTH_UNROLL
            for (int c = 0; c < C; ++c) s_lo[c] = s_hi[c] = _mm512_setzero_si512();
            PLINTH_UNROLL
            for (int m = 0; m < 8; ++m) {
                prefetch_weights(blk + kAhead + L::chunk(p, m));
                const __m512i v = _mm512_load_si512(blk + L::chunk(p, m));  // aligned: interleaved_layout.hpp
                __m512i lo = _mm512_and_si512(v, low4), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
                if constexpr (L::kHasTop) {  // bits 2p, 2p + 1 to bit 4 of each byte
                    if (p == 0) prefetch_weights(blk + kAhead + L::top_chunk(m));
                    const __m512i top = _mm512_load_si512(blk + L::top_chunk(m));
                    lo = _mm512_or_si512(lo, _mm512_slli_epi16(_mm512_and_si512(_mm512_srl_epi16(top, _mm_cvtsi32_si128(2 * p)), bit0), 4));
                    hi = _mm512_or_si512(hi, _mm512_slli_epi16(_mm512_and_si512(_mm512_srl_epi16(top, _mm_cvtsi32_si128(2 * p + 1)), bit0), 4));
                }
                const int e = 64 * p + 4 * m;
                PLINTH_UNROLL
                for (int c = 0; c < C; ++c) {
                    s_lo[c] = _mm512_dpbusd_epi32(s_lo[c], lo, _mm512_set1_epi32(code_word(a[c][b].qs + e)));
                    s_hi[c] = _mm512_dpbusd_epi32(s_hi[c], hi, _mm512_set1_epi32(code_word(a[c][b].qs + e + 32)));
                }
            }
            const __m512i sc_lo = _mm512_cvtepu8_epi32(load128(blk + L::scales_at(2 * p)));
            const __m512i sc_hi = _mm512_cvtepu8_epi32(load128(blk + L::scales_at(2 * p + 1)));
            const __m512i mins = _mm512_cvtepu8_epi16(load256(blk + L::mins_at(p)));
            PLINTH_UNROLL
            for (int c = 0; c < C; ++c) {
                isum[c] = _mm512_add_epi32(isum[c], _mm512_add_epi32(_mm512_mullo_epi32(s_lo[c], sc_lo), _mm512_mullo_epi32(s_hi[c], sc_hi)));
                msum[c] = _mm512_dpwssd_epi32(msum[c], mins, _mm512_set1_epi32(term_sums(terms[c], b)[p]));
            }
        }
        PLINTH_UNROLL
        for (int line = 0; line < 5; ++line) prefetch_weights(blk + kAhead + L::kScalesAt + 64 * line);
        const __m512 dw = _mm512_cvtph_ps(load256(blk + L::kDAt)), dmin = _mm512_cvtph_ps(load256(blk + L::kDminAt));
        PLINTH_UNROLL
        for (int c = 0; c < C; ++c) {
            const __m512 inner = _mm512_sub_ps(_mm512_mul_ps(dw, _mm512_cvtepi32_ps(isum[c])), _mm512_mul_ps(dmin, _mm512_cvtepi32_ps(msum[c])));
            chain[c] = _mm512_add_ps(chain[c], _mm512_mul_ps(_mm512_set1_ps(term_scale(terms[c], nb)[b]), inner));
        }
    }
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c) _mm512_storeu_ps(out[c], chain[c]);
}

// One of the two entries below.
template <class L>
void gemm_k45(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act, size_t act_stride,
              const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    const auto pass = [&]<int C>(const uint8_t* group, const BlockQ8_K* const* a, const uint8_t* const* t, float* const* o) {
        group_pass<L, C>(nb, group, a, t, o);
    };
    for_each_pass<kMaxPass, BlockQ8_K>(groups, L::group_bytes(nb), packed, cols, act, act_stride, terms, terms_stride, out,
                                       out_stride, pass);
}

}  // namespace

namespace avx512 {
void gemm_q4_k_interleaved(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                           size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    gemm_k45<k45<false>>(groups, nb, packed, cols, act, act_stride, terms, terms_stride, out, out_stride);
}
void gemm_q5_k_interleaved(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                           size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    gemm_k45<k45<true>>(groups, nb, packed, cols, act, act_stride, terms, terms_stride, out, out_stride);
}
}  // namespace avx512

}  // namespace plinth::quant::detail
