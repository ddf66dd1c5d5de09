// Q6_K x Q8_K over the interleaved layout (interleaved_layout.hpp, q6_k) with AVX-512 VNNI: 16 rows
// per 512-bit register, lane r row r. Per low chunk the codes are rebuilt once (low 4 bits from the
// chunk, top 2 from the top chunk's same bytes, as unsigned 0..63), then every column of the pass
// takes a dpbusd against its 4-byte groups, into the sums of the chunk's two sub-blocks, which start
// from the column's bias terms (-32 times the sub-block's activation sum: q - 32 exactly). A
// sub-block's sum times its scale (vpmulld, per row) adds into the block's integer sum; the float
// side is kquant_term's, lane by lane: (d_w * d_a) * float(isum), added block by block in order
// (bit for bit the K-quant dot products).
#include "avx512_common.hpp"
#include "interleaved_driver.hpp"
#include "interleaved_layout.hpp"

namespace plinth::quant::detail {
namespace {

using namespace interleaved;
using namespace interleaved::q6_k;

constexpr int kMaxPass = 4;                        // columns per pass: 2 sub-block sums, a block sum, a chain each
constexpr size_t kAhead = 2 * kBlockBytes;         // bytes prefetched ahead: 2 blocks

template <int C>
void group_pass(int64_t nb, const uint8_t* group, const BlockQ8_K* const* a, const uint8_t* const* terms, float* const* out) {
    const __m512i low4 = bytes(0x0F), top2 = bytes(0x30);
    __m512 chain[C];
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c) chain[c] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = group + size_t(b) * kBlockBytes;
        __m512i isum[C];
        PLINTH_UNROLL
        for (int c = 0; c < C; ++c) isum[c] = _mm512_setzero_si512();
        for (int h = 0; h < 2; ++h) {
            PLINTH_UNROLL
            for (int t = 0; t < 2; ++t) {
                PLINTH_UNROLL
                for (int half = 0; half < 2; ++half) {
                    const int j_lo = 8 * h + 2 * t + half, j_hi = j_lo + 4;  // the two sub-blocks of these chunks
                    __m512i s_lo[C], s_hi[C];
                    PLINTH_UNROLL
                    for (int c = 0; c < C; ++c) {
                        s_lo[c] = _mm512_set1_epi32(term_bias(terms[c], b)[j_lo]);
                        s_hi[c] = _mm512_set1_epi32(term_bias(terms[c], b)[j_hi]);
                    }
                    PLINTH_UNROLL
                    for (int mm = 0; mm < 4; ++mm) {
                        const int m = 4 * half + mm;
                        prefetch_weights(blk + kAhead + low_chunk(h, t, m));
                        if (t == 0) prefetch_weights(blk + kAhead + top_chunk(h, m));
                        const __m512i v = _mm512_load_si512(blk + low_chunk(h, t, m));  // aligned: interleaved_layout.hpp
                        const __m512i top = _mm512_load_si512(blk + top_chunk(h, m));
                        // Top bits 2t, 2t + 1 to bits 4, 5 (low nibbles' elements), bits 2t + 4, 2t + 5 likewise (high).
                        const __m512i top_lo = _mm512_and_si512(t == 0 ? _mm512_slli_epi16(top, 4) : _mm512_slli_epi16(top, 2), top2);
                        const __m512i top_hi = _mm512_and_si512(t == 0 ? top : _mm512_srli_epi16(top, 2), top2);
                        const __m512i q_lo = _mm512_or_si512(_mm512_and_si512(v, low4), top_lo);
                        const __m512i q_hi = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(v, 4), low4), top_hi);
                        const int e = 128 * h + 32 * t + 4 * m;  // the low nibbles' first element
                        PLINTH_UNROLL
                        for (int c = 0; c < C; ++c) {
                            s_lo[c] = _mm512_dpbusd_epi32(s_lo[c], q_lo, _mm512_set1_epi32(code_word(a[c][b].qs + e)));
                            s_hi[c] = _mm512_dpbusd_epi32(s_hi[c], q_hi, _mm512_set1_epi32(code_word(a[c][b].qs + e + 64)));
                        }
                    }
                    const __m512i sc_lo = _mm512_cvtepi8_epi32(load128(blk + scales_at(j_lo)));
                    const __m512i sc_hi = _mm512_cvtepi8_epi32(load128(blk + scales_at(j_hi)));
                    PLINTH_UNROLL
                    for (int c = 0; c < C; ++c)
                        isum[c] = _mm512_add_epi32(isum[c], _mm512_add_epi32(_mm512_mullo_epi32(s_lo[c], sc_lo),
                                                                             _mm512_mullo_epi32(s_hi[c], sc_hi)));
                }
            }
        }
        prefetch_weights(blk + kAhead + kScalesAt);
        prefetch_weights(blk + kAhead + kScalesAt + 64);
        prefetch_weights(blk + kAhead + kScalesAt + 128);
        prefetch_weights(blk + kAhead + kScalesAt + 192);
        prefetch_weights(blk + kAhead + kDAt);
        const __m512 dw = _mm512_cvtph_ps(load256(blk + kDAt));
        PLINTH_UNROLL
        for (int c = 0; c < C; ++c) {
            const __m512 term = _mm512_mul_ps(_mm512_mul_ps(dw, _mm512_set1_ps(term_scale(terms[c], nb)[b])), _mm512_cvtepi32_ps(isum[c]));
            chain[c] = _mm512_add_ps(chain[c], term);
        }
    }
    PLINTH_UNROLL
    for (int c = 0; c < C; ++c) _mm512_storeu_ps(out[c], chain[c]);
}

}  // namespace

namespace avx512 {
void gemm_q6_k_interleaved(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                           size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    const auto pass = [&]<int C>(const uint8_t* group, const BlockQ8_K* const* a, const uint8_t* const* t, float* const* o) {
        group_pass<C>(nb, group, a, t, o);
    };
    for_each_pass<kMaxPass, BlockQ8_K>(groups, group_bytes(nb), packed, cols, act, act_stride, terms, terms_stride, out, out_stride, pass);
}
}  // namespace avx512

}  // namespace plinth::quant::detail
