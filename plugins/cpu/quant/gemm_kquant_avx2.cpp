// AVX2 multi-column kernel for the K-quants (Q4_K, Q5_K, Q6_K) x Q8_K: quant::gemm for those types at
// this level when there are enough columns for a panel (prefill); fewer go to the row-group kernel
// in dot_avx2.cpp (decoding). Same flags and rules as dot_avx2.cpp, whose single-column dot
// products this matches bit for bit (tests/quant hold it to it).
#include "avx2_common.hpp"
#include "panel_driver.hpp"
#include "row_groups.hpp"

namespace plinth::quant::detail {
namespace {

// 8 columns at a time in the lanes of a ymm register, as the AVX-512 KPanel does with 16. Per
// super-block the panel holds 64 vectors of 4 activation codes per column, the columns' activation
// sums as int16 pairs (Q4_K/Q5_K: sums over the 8 sub-blocks of 32, pairs (2p, 2p + 1); Q6_K:
// Q8_K's own 16 sums of 16, pairs (2p, 2p + 1)) and their d. A row's codes are unpacked to bytes once
// per super-block and broadcast 4 at a time: vpmaddubsw against the panel gives int16 pair sums,
// added as int16 for kI16 groups (they cannot saturate: Q4_K 8 groups x 2 x 15 x 127 = 30480,
// Q5_K 4, Q6_K 2), then one vpmaddwd by the sub-block's scale adds them to isum as int32. The mins
// (Q4_K/Q5_K) and Q6_K's -32 code bias come from vpmaddwd of the row's scale pairs against the
// panel's sum pairs. Then the float side, lane by lane, is kquant_term(_min): bit for bit the
// single-column kernels' results.
template <class W>
struct KPanelAvx2 : Avx2PanelShape {
    using Weights = W;
    static constexpr int64_t kBlockElems = kBlock256;
    using ActivationBlock = BlockQ8_K;
    static constexpr int kAcc = 1;
    static constexpr bool kQ6 = std::is_same_v<W, BlockQ6_K>;
    static constexpr bool kFiveBit = requires(W b) { b.qh; } && !kQ6;
    static constexpr int kSubs = kQ6 ? 16 : 8;                // sub-blocks per super-block
    static constexpr int kGroups = 64 / kSubs;                // 4-code groups per sub-block
    static constexpr int kI16 = kQ6 ? 2 : kFiveBit ? 4 : 8;   // groups added as int16 before widening
    static constexpr int kPairs = kQ6 ? 8 : 4;                // int16-pair vectors of activation sums
    static constexpr int kPer = 64 + kPairs + 1;              // vectors per super-block
    static constexpr int kRows = 3;  // (4: pp 2% slower)
    static constexpr int64_t kChunk = 8;  // super-blocks per pass (18 KiB of panel, in L1)

    static __m256 result(const __m256* s) { return s[0]; }

    // One row's super-block, unpacked: codes as bytes in element order, sub-block scales as int16
    // pairs (scale, scale) for vpmaddwd, the int16 pairs that meet the panel's sum pairs, the floats.
    struct alignas(32) Unpacked {
        uint8_t codes[256];
        int32_t scales[16];
        int32_t pairs[8];
        float d, dmin;
    };

    static int32_t pair16(int lo, int hi) { return int32_t(uint32_t(uint16_t(int16_t(lo))) | (uint32_t(uint16_t(int16_t(hi))) << 16)); }

    static void unpack(const W& blk, Unpacked& u) {
        if constexpr (kQ6) {
            for (int h = 0; h < 2; ++h) {  // elements 128h .. 128h + 127, as q6k_sums
                const __m256i ql[2] = {load(blk.ql + 64 * h), load(blk.ql + 64 * h + 32)};
                const __m256i qh = load(blk.qh + 32 * h);
                PLINTH_UNROLL
                for (int s = 0; s < 4; ++s) {
                    const __m256i low = s < 2 ? _mm256_and_si256(ql[s & 1], bytes(0x0F))
                                              : _mm256_and_si256(_mm256_srli_epi16(ql[s & 1], 4), bytes(0x0F));
                    const __m256i top = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * s), bytes(3)), 4);
                    _mm256_store_si256(reinterpret_cast<__m256i*>(u.codes + 128 * h + 32 * s), _mm256_or_si256(low, top));
                }
            }
            for (int j = 0; j < 16; ++j) u.scales[j] = pair16(blk.scales[j], blk.scales[j]);
            // the -32 bias: 32 sc_j against the sums of 16, two sub-blocks per int32
            for (int q = 0; q < 8; ++q) u.pairs[q] = pair16(32 * blk.scales[2 * q], 32 * blk.scales[2 * q + 1]);
            u.d = f16(blk.d);
        } else {
            uint64_t sc8, mn8;
            k4_scales_mins(blk.scales, &sc8, &mn8);
            __m256i qh;
            if constexpr (kFiveBit) qh = load(blk.qh);
            PLINTH_UNROLL
            for (int k = 0; k < 4; ++k) {  // sub-blocks 2k (low nibbles) and 2k + 1 (high nibbles)
                const __m256i q = load(blk.qs + 32 * k);
                __m256i lo = _mm256_and_si256(q, bytes(0x0F));
                __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), bytes(0x0F));
                if constexpr (kFiveBit) {
                    lo = _mm256_or_si256(lo, bit_as(qh, 2 * k, 16));
                    hi = _mm256_or_si256(hi, bit_as(qh, 2 * k + 1, 16));
                }
                _mm256_store_si256(reinterpret_cast<__m256i*>(u.codes + 64 * k), lo);
                _mm256_store_si256(reinterpret_cast<__m256i*>(u.codes + 64 * k + 32), hi);
            }
            for (int j = 0; j < 8; ++j) {
                const int sc = int((sc8 >> (8 * j)) & 0xFF);
                u.scales[j] = pair16(sc, sc);
            }
            for (int q = 0; q < 4; ++q) u.pairs[q] = pair16(int((mn8 >> (16 * q)) & 0xFF), int((mn8 >> (16 * q + 8)) & 0xFF));
            u.d = f16(blk.d);
            u.dmin = f16(blk.dmin);
        }
    }

    // Panel of columns c0 .. c0 + nc - 1 (nc <= 8; missing lanes are zero).
    static void build(__m256i* panel, int64_t nb, const uint8_t* a, size_t a_stride, int nc) {
        for (int64_t b = 0; b < nb; ++b) {
            alignas(32) int32_t words[64][8] = {}, sums[8][8] = {};
            alignas(32) float d[8] = {};
            for (int c = 0; c < nc; ++c) {
                const auto& blk = reinterpret_cast<const BlockQ8_K*>(a + size_t(c) * a_stride)[b];
                for (int g = 0; g < 64; ++g) std::memcpy(&words[g][c], blk.qs + 4 * g, 4);
                if constexpr (kQ6) {
                    for (int q = 0; q < 8; ++q) sums[q][c] = pair16(blk.bsums[2 * q], blk.bsums[2 * q + 1]);
                } else {  // sums over sub-blocks 2q and 2q + 1 (each |sum| <= 32 * 127)
                    for (int q = 0; q < 4; ++q)
                        sums[q][c] = pair16(blk.bsums[4 * q] + blk.bsums[4 * q + 1], blk.bsums[4 * q + 2] + blk.bsums[4 * q + 3]);
                }
                d[c] = blk.d;
            }
            __m256i* p = panel + b * kPer;
            for (int g = 0; g < 64; ++g) p[g] = _mm256_load_si256(reinterpret_cast<const __m256i*>(words[g]));
            for (int q = 0; q < kPairs; ++q) p[64 + q] = _mm256_load_si256(reinterpret_cast<const __m256i*>(sums[q]));
            p[64 + kPairs] = _mm256_castps_si256(_mm256_load_ps(d));
        }
    }

    // R rows (1 .. kRows) over super-blocks b0 .. b1 - 1, sums in acc[r]; the first pass starts from zero.
    // prefetch (bytes, 0 for none): how far below each block to ask for the next row group's.
    template <int R>
    static void rows_pass(const W* const* w, const __m256i* panel, int64_t b0, int64_t b1, __m256* acc, size_t prefetch) {
        __m256 s[R];
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r) s[r] = b0 == 0 ? _mm256_setzero_ps() : acc[r];
        for (int64_t b = b0; b < b1; ++b) {
            const __m256i* p = panel + b * kPer;
            Unpacked u[R];
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) {
                if (prefetch)
                    for (size_t k = 0; k < sizeof(W); k += 64) prefetch_row(reinterpret_cast<const char*>(w[r] + b) + k, prefetch);
                unpack(w[r][b], u[r]);
            }
            asm volatile("" : "+m"(u));  // broadcasts read the codes back from memory (a load each)
            __m256i isum[R];
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) isum[r] = _mm256_setzero_si256();
            PLINTH_UNROLL
            for (int j = 0; j < kSubs; ++j) {
                PLINTH_UNROLL
                for (int h = 0; h < kGroups; h += kI16) {
                    __m256i part[R];
                    PLINTH_UNROLL
                    for (int r = 0; r < R; ++r) part[r] = _mm256_setzero_si256();
                    PLINTH_UNROLL
                    for (int g = h; g < h + kI16; ++g) {
                        __m256i q = p[j * kGroups + g];
                        asm("" : "+x"(q));  // one load of the panel vector for all the rows
                        PLINTH_UNROLL
                        for (int r = 0; r < R; ++r)
                            part[r] = _mm256_add_epi16(
                                part[r], _mm256_maddubs_epi16(_mm256_set1_epi32(code_word(u[r].codes + 4 * (j * kGroups + g))), q));
                    }
                    PLINTH_UNROLL
                    for (int r = 0; r < R; ++r)
                        isum[r] = _mm256_add_epi32(isum[r], _mm256_madd_epi16(part[r], _mm256_set1_epi32(u[r].scales[j])));
                }
            }
            const __m256 d = _mm256_castsi256_ps(p[64 + kPairs]);
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) {
                __m256i side = _mm256_setzero_si256();
                PLINTH_UNROLL
                for (int q = 0; q < kPairs; ++q)
                    side = _mm256_add_epi32(side, _mm256_madd_epi16(_mm256_set1_epi32(u[r].pairs[q]), p[64 + q]));
                __m256 term;
                if constexpr (kQ6)  // kquant_term(w_d, a_d, isum - bias)
                    term = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(u[r].d), d), _mm256_cvtepi32_ps(_mm256_sub_epi32(isum[r], side)));
                else  // kquant_term_min(a_d, w_d, w_dmin, isum, msum)
                    term = _mm256_mul_ps(d, _mm256_sub_ps(_mm256_mul_ps(_mm256_set1_ps(u[r].d), _mm256_cvtepi32_ps(isum[r])),
                                                          _mm256_mul_ps(_mm256_set1_ps(u[r].dmin), _mm256_cvtepi32_ps(side))));
                s[r] = _mm256_add_ps(s[r], term);
            }
        }
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r) acc[r] = s[r];
    }
};

template <class W, GemmKernel Rows>
struct KRowsPlain {
    static void gemm(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out,
                     int64_t os) {
        Rows(rows, n, w, ws, cols, a, as, out, os);
    }
};

}  // namespace

namespace avx2 {
void gemm_q4_k(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    panel_gemm<KPanelAvx2<BlockQ4_K>, KRowsPlain<BlockQ4_K, rows_q4_k>>(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q5_k(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    panel_gemm<KPanelAvx2<BlockQ5_K>, KRowsPlain<BlockQ5_K, rows_q5_k>>(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q6_k(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    panel_gemm<KPanelAvx2<BlockQ6_K>, KRowsPlain<BlockQ6_K, rows_q6_k>>(rows, n, w, ws, cols, a, as, out, os);
}
}  // namespace avx2

}  // namespace plinth::quant::detail
