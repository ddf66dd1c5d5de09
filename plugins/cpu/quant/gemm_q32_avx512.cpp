// AVX-512 multi-column kernels for the 32-element symmetric blocks (Q4_0, Q5_0, Q8_0) x Q8_0: quant::gemm
// for those types at this level, prefill and decode. Same flags and rules as dot_avx512.cpp, whose
// single-column dot products these match bit for bit (tests/quant hold them to it).
#include "avx512_common.hpp"
#include "row_groups.hpp"

namespace plinth::quant::detail {
namespace {

// ---- many columns at once ----------------------------------------------------------------
// Each kernel below is its single-column dot above with the weight side (codes, scales) unpacked
// once per block and met by up to 4 activation columns: per (row, column) the same integer sums
// and the same float operations in the same order, so bit for bit the same results.

template <class W, int kBias>
__m256i symmetric_codes(const W& blk) {
    if constexpr (kBias == 128) return _mm256_xor_si256(load256(blk.qs), _mm256_set1_epi8(char(0x80)));
    else return block_codes(blk);
}
// Q4_0 / Q5_0 / Q8_0 x Q8_0, one column at a time (decoding, and the last columns of a tile): rows
// in groups of 4 whose fused multiply-add chains interleave, so no row waits on the latency of its
// own chain (one row at a time is latency-bound at about one block per 4 cycles). The column's
// per-block terms, its scale as a float and kBias times its group sums, are made once per column
// instead of once per row. Per row the integer sums and the float operations, and their order, are
// dot_symmetric_lanes / _chain's, so the results are bit for bit theirs.
template <class W, int kBias, bool kChain>
struct Sym32Rows {
    static constexpr int kRows = 4;
    static __m256i codes(const W& blk) { return symmetric_codes<W, kBias>(blk); }

    struct Column {
        const BlockQ8_0* a;
        const float* da;       // f16(a[b].d)
        const __m256i* bias;   // lanes: -kBias * (group k's activation sum) in lane k
        const int32_t* total;  // chain: -kBias * (block b's activation sum)
        size_t prefetch;       // bytes ahead to prefetch: one row group (kRows rows)
    };

    template <int R>
    static void lanes(int64_t nb, const W* const* w, const Column& col, float* out) {
        __m256 acc[R];
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
        for (int64_t b = 0; b < nb; ++b) {
            const __m256i aq = load256(col.a[b].qs);
            const __m256i bias = col.bias[b];
            const float da = col.da[b];
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) {
                prefetch_ahead(w[r] + b, col.prefetch);
                const __m256i p = _mm256_dpbusd_epi32(bias, codes(w[r][b]), aq);
                acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(f16(w[r][b].d) * da), _mm256_cvtepi32_ps(p), acc[r]);
            }
        }
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r) out[r] = hsum_lanes(acc[r]);
    }

    template <int R>
    static void chain(int64_t nb, const W* const* w, const Column& col, float* out) {
        float sum[R];
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r) sum[r] = 0.0f;
        int64_t b = 0;
        for (; b + 8 <= nb; b += 8) {
            __m256i aq[8];
            PLINTH_UNROLL
            for (int j = 0; j < 8; ++j) aq[j] = load256(col.a[b + j].qs);
            const __m256i bias = load256(col.total + b);
            const __m128 da0 = _mm_loadu_ps(col.da + b), da1 = _mm_loadu_ps(col.da + b + 4);
            alignas(32) float isum[R][8], scale[R][8];
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) {
                PLINTH_UNROLL
                for (int j = 0; j < 8; j += int(64 / sizeof(W))) prefetch_ahead(w[r] + b + j, col.prefetch);  // every line
                __m256i p[8];
                PLINTH_UNROLL
                for (int j = 0; j < 8; ++j)
                    p[j] = _mm256_dpbusd_epi32(_mm256_setzero_si256(), codes(w[r][b + j]), aq[j]);
                _mm256_store_ps(isum[r], _mm256_cvtepi32_ps(_mm256_add_epi32(block_sums8(p), bias)));
                _mm_store_ps(scale[r], _mm_mul_ps(f16x4<sizeof(W)>(&w[r][b].d), da0));
                _mm_store_ps(scale[r] + 4, _mm_mul_ps(f16x4<sizeof(W)>(&w[r][b + 4].d), da1));
            }
            PLINTH_UNROLL
            for (int j = 0; j < 8; ++j) {
                PLINTH_UNROLL
                for (int r = 0; r < R; ++r) sum[r] = std::fma(isum[r][j], scale[r][j], sum[r]);
            }
        }
        for (; b < nb; ++b) {
            const __m256i aq = load256(col.a[b].qs);
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) {
                const int32_t isum = hsum(_mm256_dpbusd_epi32(_mm256_setzero_si256(), codes(w[r][b]), aq)) + col.total[b];
                sum[r] = std::fma(float(isum), f16(w[r][b].d) * col.da[b], sum[r]);
            }
        }
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r) out[r] = sum[r];
    }

    static void gemm(int64_t rows, int64_t n, const void* wv, size_t w_stride, int64_t cols, const void* av,
                     size_t a_stride, float* out, int64_t out_stride) {
        const int64_t nb = n / kBlock32;
        struct alignas(32) I256 { __m256i v; };  // (a std::vector of a bare vector type drops its alignment)
        thread_local std::vector<float> da;
        thread_local std::vector<I256> bias;
        thread_local std::vector<int32_t> total;
        da.resize(size_t(nb));
        if constexpr (kChain) total.resize(size_t(nb));
        else bias.resize(size_t(nb));
        const auto* wbase = static_cast<const uint8_t*>(wv);
        for (int64_t c = 0; c < cols; ++c) {
            const auto* a = reinterpret_cast<const BlockQ8_0*>(static_cast<const uint8_t*>(av) + size_t(c) * a_stride);
            for (int64_t b = 0; b < nb; ++b) {
                da[size_t(b)] = f16(a[b].d);
                const __m256i g = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(char(kBias)), load256(a[b].qs));
                if constexpr (kChain) total[size_t(b)] = -hsum(g);
                else bias[size_t(b)].v = _mm256_sub_epi32(_mm256_setzero_si256(), g);
            }
            const Column col{a, da.data(), kChain ? nullptr : &bias.data()->v, kChain ? total.data() : nullptr,
                             size_t(kRows) * w_stride};
            float* o = out + c * out_stride;
            for_row_groups<kRows>(rows, [&]<int R>(int64_t r) {
                const W* w[R];
                row_pointers(w, wbase, w_stride, r);
                if constexpr (kChain) chain<R>(nb, w, col, o + r);
                else lanes<R>(nb, w, col, o + r);
            });
        }
    }
};

// Q4_0 / Q5_0 / Q8_0 x Q8_0, 16 columns at once: lanes are columns. The tile's activation columns
// are first laid out as a panel (per block: 8 vectors, vector k holding bytes 4k .. 4k + 3 of each
// column's block, plus the bias terms and the columns' scales), so that one dpbusd of a weight row's
// 4 codes (broadcast) against vector k gives, in lane c, exactly the group-k integer sum of
// dot_symmetric_lanes for column c; eight of them (from the block's bias term) the whole-block sum
// of dot_symmetric_chain. The float side is then the single-column kernel's, lane by lane: the
// same fused multiply-adds by d_w d_a in block order, and for the lanes order the same final sum
// ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
template <class W, int kBias, bool kChain>
struct Sym32Panel : Avx512PanelShape {
    using Weights = W;
    static constexpr int64_t kBlockElems = kBlock32;
    static constexpr int kInit = kChain ? 1 : 8;    // bias vectors per block
    static constexpr int kPer = 8 + kInit + 1;      // vectors per block: codes, bias, scales
    static constexpr int kAcc = kChain ? 1 : 8;     // accumulators per row
    static constexpr int kRows = kChain ? 4 : 3;    // rows per pass: they share the panel's loads
    // Blocks per pass over the rows: each pass moves the rows' accumulators out and back in, so long
    // passes pay even past L1 (pp128 1.1B Q8_0: 16 blocks 127 t/s, 64 blocks 138).
    static constexpr int64_t kChunk = 64;

    // Panel of columns c0 .. c0 + nc - 1 (nc <= 16; missing lanes are zero).
    static void build(__m512i* panel, int64_t nb, const uint8_t* a, size_t a_stride, int nc) {
        const __mmask16 m = __mmask16((1u << nc) - 1u);
        const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                               _mm512_set1_epi32(int(a_stride)));
        const auto* blocks = reinterpret_cast<const BlockQ8_0*>(a);
        for (int64_t b = 0; b < nb; ++b) {
            __m512i* p = panel + b * kPer;
            __m512i total = _mm512_setzero_si512();
            PLINTH_UNROLL
            for (int k = 0; k < 8; ++k) {
                const __m512i q = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, idx, blocks[b].qs + 4 * k, 1);
                p[k] = q;
                // kBias times the group's activation sum (kBias as an unsigned byte: 8, 16 or 128)
                const __m512i bias = dot_u8i8(bytes(kBias), q);
                if constexpr (kChain) total = _mm512_add_epi32(total, bias);
                else p[8 + k] = _mm512_sub_epi32(_mm512_setzero_si512(), bias);
            }
            if constexpr (kChain) p[8] = _mm512_sub_epi32(_mm512_setzero_si512(), total);
            const __m512i d = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, idx, &blocks[b].d, 1);
            p[8 + kInit] = _mm512_castps_si512(_mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_and_si512(d, _mm512_set1_epi32(0xFFFF)))));
        }
    }

    // R rows (1 .. kRows) over blocks b0 .. b1 - 1, accumulators in acc[r * kAcc ..]. prefetch (bytes, 0 for
    // none): how far below each block to ask for the next row group's.
    template <int R>
    // The first pass (b0 == 0) starts from zero instead of reading acc.
    static void rows_pass(const W* const* w, const __m512i* panel, int64_t b0, int64_t b1, __m512* acc, size_t prefetch) {
        __m512 s[R][kAcc];
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r)
            PLINTH_UNROLL
            for (int k = 0; k < kAcc; ++k) s[r][k] = b0 == 0 ? _mm512_setzero_ps() : acc[r * kAcc + k];
        for (int64_t b = b0; b < b1; ++b) {
            const __m512i* p = panel + b * kPer;
            alignas(32) uint8_t codes[R][32];
            __m512 scale[R];
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) {
                if (prefetch) prefetch_ahead(w[r] + b, prefetch);
                _mm256_store_si256(reinterpret_cast<__m256i*>(codes[r]), symmetric_codes<W, kBias>(w[r][b]));
                scale[r] = _mm512_mul_ps(_mm512_set1_ps(f16(w[r][b].d)), _mm512_castsi512_ps(p[8 + kInit]));
            }
            // Read the codes back from memory: a broadcast from memory is a load, where GCC would
            // otherwise extract them in registers with two shuffles each (the port dpbusd needs).
            asm volatile("" : "+m"(codes));
            if constexpr (kChain) {
                __m512i isum[R];
                PLINTH_UNROLL
                for (int r = 0; r < R; ++r) isum[r] = p[8];
                PLINTH_UNROLL
                for (int k = 0; k < 8; ++k) {
                    __m512i q = p[k];
                    asm("" : "+v"(q));  // one load for the rows (see below)
                    PLINTH_UNROLL
                    for (int r = 0; r < R; ++r) isum[r] = _mm512_dpbusd_epi32(isum[r], _mm512_set1_epi32(code_word(codes[r] + 4 * k)), q);
                }
                PLINTH_UNROLL
                for (int r = 0; r < R; ++r) s[r][0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[r]), scale[r], s[r][0]);
            } else {
                PLINTH_UNROLL
                for (int k = 0; k < 8; ++k) {
                    // The panel's vector and bias term in registers, loaded once for the rows (GCC
                    // would fold the loads into each row's dpbusd: one load per row instead).
                    __m512i q = p[k], bias = p[8 + k];
                    asm("" : "+v"(q), "+v"(bias));
                    PLINTH_UNROLL
                    for (int r = 0; r < R; ++r) {
                        const __m512i lane = _mm512_dpbusd_epi32(bias, _mm512_set1_epi32(code_word(codes[r] + 4 * k)), q);
                        s[r][k] = _mm512_fmadd_ps(scale[r], _mm512_cvtepi32_ps(lane), s[r][k]);
                    }
                }
            }
        }
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r)
            PLINTH_UNROLL
            for (int k = 0; k < kAcc; ++k) acc[r * kAcc + k] = s[r][k];
    }

    // A row's 16 column sums: for the lanes order ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
    static __m512 result(const __m512* s) {
        if constexpr (kChain) return s[0];
        else
            return _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s[0], s[4]), _mm512_add_ps(s[2], s[6])),
                                 _mm512_add_ps(_mm512_add_ps(s[1], s[5]), _mm512_add_ps(s[3], s[7])));
    }

    static void gemm(int64_t rows, int64_t n, const void* wv, size_t w_stride, int64_t cols, const void* av,
                     size_t a_stride, float* out, int64_t out_stride) {
        // Fewer than 4 columns (decoding: 1) go through the row-group kernel.
        panel_gemm<Sym32Panel, Sym32Rows<W, kBias, kChain>>(rows, n, wv, w_stride, cols, av, a_stride, out, out_stride);
    }
};

}  // namespace

namespace avx512 {
void gemm_q4_0(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    Sym32Panel<BlockQ4_0, 8, false>::gemm(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q5_0(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    Sym32Panel<BlockQ5_0, 16, false>::gemm(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q8_0(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    Sym32Panel<BlockQ8_0, 128, false>::gemm(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q4_0_blocks(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    Sym32Panel<BlockQ4_0, 8, true>::gemm(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q5_0_blocks(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    Sym32Panel<BlockQ5_0, 16, true>::gemm(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q8_0_blocks(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    Sym32Panel<BlockQ8_0, 128, true>::gemm(rows, n, w, ws, cols, a, as, out, os);
}
}  // namespace avx512

}  // namespace plinth::quant::detail
