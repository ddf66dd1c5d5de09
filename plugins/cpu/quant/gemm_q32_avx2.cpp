// AVX2 multi-column and row-group kernels for the 32-element symmetric blocks (Q4_0, Q5_0, Q8_0) x
// Q8_0: quant::gemm for those types at this level, prefill and decode. Same flags and rules as
// dot_avx2.cpp, whose single-column dot products these match bit for bit (tests/quant hold them to
// it).
#include "avx2_common.hpp"
#include "panel_driver.hpp"
#include "row_groups.hpp"

namespace plinth::quant::detail {
namespace {

// ---- 32-element blocks, many rows at once (quant::gemm at this level) ------------------------------
// One column at a time, rows in groups of 4 whose fused multiply-add chains interleave (one row
// alone waits on its own chain), each block of the next group asked for while this one runs. Per
// row the operations and their order are dot_blocks32's (lanes) or dot_chain32's (blocks): the same
// bits.

template <class W, int R, class Codes>
void rows_lanes(int64_t nb, const W* const* w, const BlockQ8_0* a, float* out, size_t prefetch, Codes codes) {
    __m256 acc[R];
    PLINTH_UNROLL
    for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        const __m256i aq = load(a[b].qs);
        const float da = f16(a[b].d);
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r) {
            if (prefetch) prefetch_row(w[r] + b, prefetch);
            const __m256i p = dot_signed(codes(w[r][b]), aq);
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(f16(w[r][b].d) * da), _mm256_cvtepi32_ps(p), acc[r]);
        }
    }
    PLINTH_UNROLL
    for (int r = 0; r < R; ++r) out[r] = hsum(_mm256_add_ps(acc[r], _mm256_setzero_ps()));  // as dot_blocks32
}

template <class W, int R, class Codes>
void rows_chain(int64_t nb, const W* const* w, const BlockQ8_0* a, float* out, size_t prefetch, Codes codes) {
    float sum[R];
    PLINTH_UNROLL
    for (int r = 0; r < R; ++r) sum[r] = 0.0f;
    int64_t b = 0;
    for (; b + 8 <= nb; b += 8) {
        alignas(32) float isum[R][8], scale[R][8];
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r) {
            if (prefetch)
                for (int j = 0; j < 8; j += int(64 / sizeof(W))) prefetch_row(w[r] + b + j, prefetch);
            __m256i p[8];
            PLINTH_UNROLL
            for (int j = 0; j < 8; ++j) p[j] = dot_signed(codes(w[r][b + j]), load(a[b + j].qs));
            _mm256_store_ps(isum[r], _mm256_cvtepi32_ps(block_sums8(p)));
            _mm_store_ps(scale[r], _mm_mul_ps(f16x4<sizeof(W)>(&w[r][b].d), f16x4<sizeof(BlockQ8_0)>(&a[b].d)));
            _mm_store_ps(scale[r] + 4, _mm_mul_ps(f16x4<sizeof(W)>(&w[r][b + 4].d), f16x4<sizeof(BlockQ8_0)>(&a[b + 4].d)));
        }
        PLINTH_UNROLL
        for (int j = 0; j < 8; ++j)
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) sum[r] = std::fma(isum[r][j], scale[r][j], sum[r]);
    }
    for (; b < nb; ++b)
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r)
            sum[r] = std::fma(float(block_sum(dot_signed(codes(w[r][b]), load(a[b].qs)))), f16(w[r][b].d) * f16(a[b].d), sum[r]);
    PLINTH_UNROLL
    for (int r = 0; r < R; ++r) out[r] = sum[r];
}

template <class W, bool kChain, class Codes>
void gemm_rows(int64_t rows, int64_t n, const void* wv, size_t w_stride, int64_t cols, const void* av, size_t a_stride,
               float* out, int64_t out_stride, Codes codes) {
    const int64_t nb = n / kBlock32;
    for (int64_t c = 0; c < cols; ++c) {
        const auto* a = reinterpret_cast<const BlockQ8_0*>(static_cast<const uint8_t*>(av) + size_t(c) * a_stride);
        float* o = out + c * out_stride;
        for_row_groups<4>(rows, [&]<int R>(int64_t r) {
            const W* w[R];
            row_pointers(w, wv, w_stride, r);
            // Only the first column reads the rows from memory: it asks for the next groups'.
            const size_t prefetch = c == 0 ? 4 * w_stride : 0;
            if constexpr (kChain) rows_chain<W, R>(nb, w, a, o + r, prefetch, codes);
            else rows_lanes<W, R>(nb, w, a, o + r, prefetch, codes);
        });
    }
}

// The signed codes of the symmetric types, as dot_q4_0 / dot_q5_0 / dot_q8_0 make them.
struct CodesQ4_0 {
    __m256i operator()(const BlockQ4_0& b) const { return _mm256_sub_epi8(nibbles(b.qs), bytes(8)); }
};
struct CodesQ5_0 {
    __m256i operator()(const BlockQ5_0& b) const {
        return _mm256_sub_epi8(_mm256_or_si256(nibbles(b.qs), fifth_bits(b.qh)), bytes(16));
    }
};
struct CodesQ8_0 {
    __m256i operator()(const BlockQ8_0& b) const { return load(b.qs); }
};

// The panel of 8 activation columns (Q8_0 blocks; panel_driver.hpp) both 32-block kernels below
// read: per block, vector k holds bytes 4k .. 4k + 3 of each column's codes; then kBiasTerms vectors
// of -kBias times the columns' code sums (1: the whole block's, 8: each 4-code group's, 0: none);
// then the columns' scales as floats. Columns past nc are zero.
template <int kBias, int kBiasTerms>
void build_sym32_panel(__m256i* panel, int64_t nb, const uint8_t* a, size_t a_stride, int nc) {
    constexpr int kPer = 8 + kBiasTerms + 1;
    for (int64_t b = 0; b < nb; ++b) {
        alignas(32) int32_t words[8][8] = {}, bias[8][8] = {};
        alignas(32) float scale[8] = {};
        for (int c = 0; c < nc; ++c) {
            const auto& blk = reinterpret_cast<const BlockQ8_0*>(a + size_t(c) * a_stride)[b];
            for (int k = 0; k < 8; ++k) {
                std::memcpy(&words[k][c], blk.qs + 4 * k, 4);
                const int group = -kBias * (blk.qs[4 * k] + blk.qs[4 * k + 1] + blk.qs[4 * k + 2] + blk.qs[4 * k + 3]);
                bias[kBiasTerms == 1 ? 0 : k][c] += group;
            }
            scale[c] = f16(blk.d);
        }
        __m256i* p = panel + b * kPer;
        for (int k = 0; k < 8; ++k) p[k] = _mm256_load_si256(reinterpret_cast<const __m256i*>(words[k]));
        for (int t = 0; t < kBiasTerms; ++t) p[8 + t] = _mm256_load_si256(reinterpret_cast<const __m256i*>(bias[t]));
        p[8 + kBiasTerms] = _mm256_castps_si256(_mm256_load_ps(scale));
    }
}

// Q4_0 / Q5_0 x Q8_0 in the blocks order, 8 columns at once: lanes are columns (panel_driver.hpp).
// The tile's activation columns are laid out as a panel: per block, vector k holds bytes 4k .. 4k + 3
// of each column's codes, then -kBias times each column's code sum, then the columns' scales. A row's
// unsigned codes (0 .. 2 kBias - 1), broadcast 4 at a time, meet vector k in one maddubs: without
// VNNI the int16 pair sums must not saturate, so kI16 groups are added as int16 (Q4_0: 8 x 2 x 15 x
// 127 = 30480; Q5_0 4 groups) before widening. The whole-block integer sum plus the bias term is the
// exact sum of dot_chain32; then, lane by lane, its fused multiply-add by d_w d_a in block order:
// bit for bit the single-column results. (The lanes order: Sym32LanesPanel below.)
template <class W, int kBias, class UnsignedCodes>
struct Sym32ChainPanel : Avx2PanelShape {
    using Weights = W;
    static constexpr int64_t kBlockElems = kBlock32;
    using ActivationBlock = BlockQ8_0;
    static constexpr int kPer = 8 + 1 + 1;  // vectors per block: codes, bias, scales
    static constexpr int kAcc = 1;
    static constexpr int kRows = 3;
    static constexpr int kI16 = kBias <= 8 ? 8 : 4;  // groups summed as int16 before widening
    static constexpr int64_t kChunk = 64;            // blocks per pass (20 KiB of panel, in L1)

    static __m256 result(const __m256* s) { return s[0]; }

    static void build(__m256i* panel, int64_t nb, const uint8_t* a, size_t a_stride, int nc) {
        build_sym32_panel<kBias, 1>(panel, nb, a, a_stride, nc);
    }

    // R rows (1 .. kRows) over blocks b0 .. b1 - 1, sums in acc[r]; the first pass starts from zero.
    // prefetch (bytes, 0 for none): how far below each block to ask for the next row group's.
    template <int R>
    static void rows_pass(const W* const* w, const __m256i* panel, int64_t b0, int64_t b1, __m256* acc, size_t prefetch) {
        __m256 s[R];
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r) s[r] = b0 == 0 ? _mm256_setzero_ps() : acc[r];
        const __m256i ones = _mm256_set1_epi16(1);
        for (int64_t b = b0; b < b1; ++b) {
            const __m256i* p = panel + b * kPer;
            alignas(32) uint8_t codes[R][32];
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) {
                if (prefetch) prefetch_row(w[r] + b, prefetch);
                _mm256_store_si256(reinterpret_cast<__m256i*>(codes[r]), UnsignedCodes{}(w[r][b]));
            }
            // Broadcast the codes from memory (a load), not by shuffles in registers.
            asm volatile("" : "+m"(codes));
            __m256i isum[R], part[R];
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) {
                isum[r] = p[8];
                part[r] = _mm256_setzero_si256();
            }
            PLINTH_UNROLL
            for (int k = 0; k < 8; ++k) {
                __m256i q = p[k];
                asm("" : "+x"(q));  // one load of the panel vector for all the rows
                PLINTH_UNROLL
                for (int r = 0; r < R; ++r)
                    part[r] = _mm256_add_epi16(part[r], _mm256_maddubs_epi16(_mm256_set1_epi32(code_word(codes[r] + 4 * k)), q));
                if ((k + 1) % kI16 == 0) {
                    PLINTH_UNROLL
                    for (int r = 0; r < R; ++r) {
                        isum[r] = _mm256_add_epi32(isum[r], _mm256_madd_epi16(part[r], ones));
                        part[r] = _mm256_setzero_si256();
                    }
                }
            }
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) {
                const __m256 scale = _mm256_mul_ps(_mm256_set1_ps(f16(w[r][b].d)), _mm256_castsi256_ps(p[9]));
                s[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[r]), scale, s[r]);
            }
        }
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r) acc[r] = s[r];
    }
};

// Q4_0 / Q5_0 / Q8_0 x Q8_0 in the lanes order, 8 columns at once: the panel above with, per block,
// vector k's group sums kept apart, so each row keeps 8 accumulators (lane k of dot_blocks32, one
// per group) of 8 columns, each fma(d_w d_a, float(group k's sum), acc_k) in block order, added at
// the end as ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)): bit for bit the row kernel's. Q4_0
// and Q5_0 codes go in unsigned with a bias term per group (-kBias times the group's activation
// sum); Q8_0's are signed (kBias 0), so maddubs meets |w| (broadcast) and the activations with w's
// sign: pair sums at most 2 x 128 x 127, no saturation. One row per pass: 8 accumulators each.
template <class W, int kBias, class PanelCodes>
struct Sym32LanesPanel : Avx2PanelShape {
    using Weights = W;
    static constexpr int64_t kBlockElems = kBlock32;
    using ActivationBlock = BlockQ8_0;
    static constexpr int kBiasVecs = kBias ? 8 : 0;
    static constexpr int kPer = 8 + kBiasVecs + 1;  // vectors per block: codes, bias terms, scales
    static constexpr int kAcc = 8;
    static constexpr int kRows = 1;
    static constexpr int64_t kChunk = 64;

    static __m256 result(const __m256* s) {
        __m256 v[8];
        for (int k = 0; k < 8; ++k) v[k] = _mm256_add_ps(s[k], _mm256_setzero_ps());  // as rows_lanes: -0 -> +0
        return _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(v[0], v[4]), _mm256_add_ps(v[2], v[6])),
                             _mm256_add_ps(_mm256_add_ps(v[1], v[5]), _mm256_add_ps(v[3], v[7])));
    }

    static void build(__m256i* panel, int64_t nb, const uint8_t* a, size_t a_stride, int nc) {
        build_sym32_panel<kBias, kBiasVecs>(panel, nb, a, a_stride, nc);
    }

    template <int R>
    static void rows_pass(const W* const* w, const __m256i* panel, int64_t b0, int64_t b1, __m256* acc, size_t prefetch) {
        static_assert(R == 1, "one row per pass");
        __m256 s[8];
        for (int k = 0; k < 8; ++k) s[k] = b0 == 0 ? _mm256_setzero_ps() : acc[k];
        const __m256i ones = _mm256_set1_epi16(1);
        for (int64_t b = b0; b < b1; ++b) {
            const __m256i* p = panel + b * kPer;
            if (prefetch) prefetch_row(w[0] + b, prefetch);
            alignas(32) uint8_t codes[32], mags[32];
            const __m256i c = PanelCodes{}(w[0][b]);
            _mm256_store_si256(reinterpret_cast<__m256i*>(codes), c);
            if constexpr (kBias == 0) _mm256_store_si256(reinterpret_cast<__m256i*>(mags), _mm256_abs_epi8(c));
            asm volatile("" : "+m"(codes), "+m"(mags));  // broadcasts from memory, not by shuffles
            const __m256 scale = _mm256_mul_ps(_mm256_set1_ps(f16(w[0][b].d)), _mm256_castsi256_ps(p[8 + kBiasVecs]));
            PLINTH_UNROLL
            for (int k = 0; k < 8; ++k) {
                __m256i isum;
                if constexpr (kBias == 0) {
                    const __m256i signs = _mm256_set1_epi32(code_word(codes + 4 * k));
                    isum = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi32(code_word(mags + 4 * k)), _mm256_sign_epi8(p[k], signs)), ones);
                } else {
                    isum = _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi32(code_word(codes + 4 * k)), p[k]), ones),
                                            p[8 + k]);
                }
                s[k] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(isum), s[k]);
            }
        }
        for (int k = 0; k < 8; ++k) acc[k] = s[k];
    }
};

// Q8_0's signed codes as they are (Sym32LanesPanel takes their magnitudes and signs apart).
struct SignedQ8_0 {
    __m256i operator()(const BlockQ8_0& b) const { return load(b.qs); }
};

// Unsigned codes (the format's bias not taken off), for the panel's maddubs.
struct UnsignedQ4_0 {
    __m256i operator()(const BlockQ4_0& b) const { return nibbles(b.qs); }
};
struct UnsignedQ5_0 {
    __m256i operator()(const BlockQ5_0& b) const { return _mm256_or_si256(nibbles(b.qs), fifth_bits(b.qh)); }
};

template <class W, bool kChain, class Codes>
struct Sym32RowsPlain {
    static void gemm(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out,
                     int64_t os) {
        gemm_rows<W, kChain>(rows, n, w, ws, cols, a, as, out, os, Codes{});
    }
};

template <class W, bool kChain, class Codes>
void gemm_sym32(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    using Plain = Sym32RowsPlain<W, kChain, Codes>;
    if constexpr (kChain && std::is_same_v<W, BlockQ4_0>)
        panel_gemm<Sym32ChainPanel<W, 8, UnsignedQ4_0>, Plain>(rows, n, w, ws, cols, a, as, out, os);
    else if constexpr (kChain && std::is_same_v<W, BlockQ5_0>)
        panel_gemm<Sym32ChainPanel<W, 16, UnsignedQ5_0>, Plain>(rows, n, w, ws, cols, a, as, out, os);
    else if constexpr (!kChain && std::is_same_v<W, BlockQ8_0>)
        panel_gemm<Sym32LanesPanel<W, 0, SignedQ8_0>, Plain>(rows, n, w, ws, cols, a, as, out, os);
    else if constexpr (!kChain && std::is_same_v<W, BlockQ4_0>)
        panel_gemm<Sym32LanesPanel<W, 8, UnsignedQ4_0>, Plain>(rows, n, w, ws, cols, a, as, out, os);
    else if constexpr (!kChain && std::is_same_v<W, BlockQ5_0>)
        panel_gemm<Sym32LanesPanel<W, 16, UnsignedQ5_0>, Plain>(rows, n, w, ws, cols, a, as, out, os);
    else
        Plain::gemm(rows, n, w, ws, cols, a, as, out, os);
}

}  // namespace

namespace avx2 {
void gemm_q4_0(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    gemm_sym32<BlockQ4_0, false, CodesQ4_0>(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q5_0(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    gemm_sym32<BlockQ5_0, false, CodesQ5_0>(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q8_0(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    gemm_sym32<BlockQ8_0, false, CodesQ8_0>(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q4_0_blocks(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    gemm_sym32<BlockQ4_0, true, CodesQ4_0>(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q5_0_blocks(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    gemm_sym32<BlockQ5_0, true, CodesQ5_0>(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q8_0_blocks(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    gemm_sym32<BlockQ8_0, true, CodesQ8_0>(rows, n, w, ws, cols, a, as, out, os);
}
}  // namespace avx2

}  // namespace plinth::quant::detail
