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

// Q4_0's codes without unpacking the nibbles: the 16 code bytes in both halves, the low nibbles
// kept in the low half and the high nibbles in the high half, where they stand as 16 x code. One
// dpbusd against the activations in element order then gives elements 0..15's group sums in lanes
// 0..3 and 16 x elements 16..31's in lanes 4..7: an arithmetic shift of those by 4 (exact, they
// are multiples of 16) makes them block_codes' sums. A broadcast load and an AND instead of a
// shift, an insert and an AND per block (the insert on the one shuffle port).
inline __m256i q4_0_scaled_codes(const BlockQ4_0& blk) {
    return _mm256_and_si256(_mm256_broadcastsi128_si256(load128(blk.qs)),
                            _mm256_setr_epi64x(0x0F0F0F0F0F0F0F0F, 0x0F0F0F0F0F0F0F0F, int64_t(0xF0F0F0F0F0F0F0F0u), int64_t(0xF0F0F0F0F0F0F0F0u)));
}
template <class W>
constexpr bool kScaledCodes = std::is_same_v<W, BlockQ4_0>;

// A block's codes as the blocks-order panels store them: Q4_0's scaled, the others' unpacked.
template <class W, int kBias>
__m256i chain_codes(const W& blk) {
    if constexpr (kScaledCodes<W>) return q4_0_scaled_codes(blk);
    else return symmetric_codes<W, kBias>(blk);
}

// acc plus the group sums (lane k: elements 4k .. 4k + 3) of a block's codes against activations.
template <class W, int kBias>
__m256i add_group_sums(__m256i acc, const W& blk, __m256i aq) {
    if constexpr (kScaledCodes<W>) {
        const __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q4_0_scaled_codes(blk), aq);
        return _mm256_add_epi32(acc, _mm256_srav_epi32(p, _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4)));
    } else {
        return _mm256_dpbusd_epi32(acc, (symmetric_codes<W, kBias>(blk)), aq);
    }
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
                const __m256i p = add_group_sums<W, kBias>(bias, w[r][b], aq);
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
                    p[j] = add_group_sums<W, kBias>(_mm256_setzero_si256(), w[r][b + j], aq[j]);
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
                const int32_t isum = hsum(add_group_sums<W, kBias>(_mm256_setzero_si256(), w[r][b], aq)) + col.total[b];
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

// Q4_0 / Q5_0 / Q8_0 x Q8_0, 16 (zmm) or 8 (ymm) columns at once: lanes are columns. The tile's
// activation columns are first laid out as a panel (per block: 8 vectors, vector k holding bytes
// 4k .. 4k + 3 of each column's block, plus the bias terms and the columns' scales), so that one
// dpbusd of a weight row's 4 codes (broadcast) against vector k gives, in lane c, exactly the group-k
// integer sum of dot_symmetric_lanes for column c; eight of them (from the block's bias term) the
// whole-block sum of dot_symmetric_chain. The float side is then the single-column kernel's, lane
// by lane: the same fused multiply-adds by d_w d_a in block order, and for the lanes order the same
// final sum ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
template <class W, int kBias, class Rows>
struct Sym32PairPanel;  // below: up to 8 columns in the blocks order

// Rows: the kernel for the columns too few for a panel (decoding's one).
template <class W, int kBias, bool kChain, class V, class Rows = Sym32Rows<W, kBias, kChain>>
struct Sym32Panel {
    using Weights = W;
    using Vec = typename V::I;
    using Acc = typename V::F;
    static constexpr int kCols = V::kCols;
    // The zmm panel takes 9 columns or more; up to 8 go to Sym32PairPanel (blocks order) or to
    // this panel in ymm registers (lanes order), whose lanes they fill (a 5632 x 2048 Q4_0 matrix,
    // 8 columns, one thread: pairs 0.97 ms, ymm 1.14-1.33, the zmm panel 1.72), and those pay from 4.
    static constexpr int kMinCols = kCols == 16 ? 9 : 4;
    static constexpr int64_t kBlockElems = kBlock32;
    using ActivationBlock = BlockQ8_0;
    static constexpr int kInit = kChain ? 1 : 8;    // bias vectors per block
    static constexpr int kPer = 8 + kInit + 1;      // vectors per block: codes, bias, scales
    static constexpr int kAcc = kChain ? 1 : 8;     // accumulators per row
    static constexpr int kRows = kChain ? 4 : 3;    // rows per pass: they share the panel's loads
    // Blocks per pass over the rows: each pass moves the rows' accumulators out and back in, so long
    // passes pay even past L1 (pp128 1.1B Q8_0: 16 blocks 127 t/s, 64 blocks 138).
    static constexpr int64_t kChunk = 64;
    // Q4_0 in the chain order takes its codes scaled (see q4_0_scaled_codes).
    static constexpr bool kScaled = kChain && kScaledCodes<W>;

    static void store(float* lanes, Acc v) { V::store(lanes, v); }

    // Panel of columns c0 .. c0 + nc - 1 (nc <= kCols; missing lanes are zero).
    static void build(Vec* panel, int64_t nb, const uint8_t* a, size_t a_stride, int nc) {
        const auto* blocks = reinterpret_cast<const BlockQ8_0*>(a);
        const Vec bias_bytes = V::set1(int32_t(0x01010101u * uint32_t(kBias)));
        for (int64_t b = 0; b < nb; ++b) {
            Vec* p = panel + b * kPer;
            Vec total = V::zero();
            PLINTH_UNROLL
            for (int k = 0; k < 8; ++k) {
                const Vec q = V::gather(blocks[b].qs + 4 * k, int(a_stride), nc);
                p[k] = q;
                // kBias times the group's activation sum (kBias as an unsigned byte: 8, 16 or 128)
                const Vec bias = V::dpbusd(V::zero(), bias_bytes, q);
                if constexpr (kChain) total = V::add(total, bias);
                else p[8 + k] = V::sub(V::zero(), bias);
            }
            if constexpr (kChain) p[8] = V::sub(V::zero(), total);
            p[8 + kInit] = V::as_int(V::f16_low(V::gather(&blocks[b].d, int(a_stride), nc)));
        }
    }

    // R rows (1 .. kRows) over blocks b0 .. b1 - 1, accumulators in acc[r * kAcc ..]. prefetch (bytes, 0 for
    // none): how far below each block to ask for the next row group's.
    template <int R>
    // The first pass (b0 == 0) starts from zero instead of reading acc.
    static void rows_pass(const W* const* w, const Vec* panel, int64_t b0, int64_t b1, Acc* acc, size_t prefetch) {
        Acc s[R][kAcc];
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r)
            PLINTH_UNROLL
            for (int k = 0; k < kAcc; ++k) s[r][k] = b0 == 0 ? V::zerof() : acc[r * kAcc + k];
        for (int64_t b = b0; b < b1; ++b) {
            const Vec* p = panel + b * kPer;
            alignas(32) uint8_t codes[R][32];
            Acc scale[R];
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) {
                if (prefetch) prefetch_ahead(w[r] + b, prefetch);
                _mm256_store_si256(reinterpret_cast<__m256i*>(codes[r]), kChain ? chain_codes<W, kBias>(w[r][b]) : symmetric_codes<W, kBias>(w[r][b]));
                scale[r] = V::mulf(V::set1f(f16(w[r][b].d)), V::as_float(p[8 + kInit]));
            }
            // Read the codes back from memory: a broadcast from memory is a load, where GCC would
            // otherwise extract them in registers with two shuffles each (the port dpbusd needs).
            asm volatile("" : "+m"(codes));
            if constexpr (kChain) {
                // Two integer chains per row (groups 0-3 and 4-7), added at the end: one chain of
                // 8 dependent dpbusd per block made the kernel wait on their latency, not their
                // throughput. Integer sums, so the result is the same. (Q4_0's scaled codes: the
                // second chain is 16 x its sum, shifted back exactly.)
                Vec isum[2][R];
                PLINTH_UNROLL
                for (int r = 0; r < R; ++r) {
                    isum[0][r] = p[8];
                    isum[1][r] = V::zero();
                }
                PLINTH_UNROLL
                for (int k = 0; k < 8; ++k) {
                    Vec q = p[k];
                    asm("" : "+v"(q));  // one load for the rows (see below)
                    PLINTH_UNROLL
                    for (int r = 0; r < R; ++r) isum[k / 4][r] = V::dpbusd(isum[k / 4][r], V::set1(code_word(codes[r] + 4 * k)), q);
                }
                PLINTH_UNROLL
                for (int r = 0; r < R; ++r)
                    s[r][0] = V::fmadd(V::cvt(V::add(isum[0][r], kScaled ? V::srai4(isum[1][r]) : isum[1][r])), scale[r], s[r][0]);
            } else {
                PLINTH_UNROLL
                for (int k = 0; k < 8; ++k) {
                    // The panel's vector and bias term in registers, loaded once for the rows (GCC
                    // would fold the loads into each row's dpbusd: one load per row instead).
                    Vec q = p[k], bias = p[8 + k];
                    asm("" : "+v"(q), "+v"(bias));
                    PLINTH_UNROLL
                    for (int r = 0; r < R; ++r) {
                        const Vec lane = V::dpbusd(bias, V::set1(code_word(codes[r] + 4 * k)), q);
                        s[r][k] = V::fmadd(scale[r], V::cvt(lane), s[r][k]);
                    }
                }
            }
        }
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r)
            PLINTH_UNROLL
            for (int k = 0; k < kAcc; ++k) acc[r * kAcc + k] = s[r][k];
    }

    // A row's column sums: for the lanes order ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
    static Acc result(const Acc* s) {
        if constexpr (kChain) return s[0];
        else return V::addf(V::addf(V::addf(s[0], s[4]), V::addf(s[2], s[6])), V::addf(V::addf(s[1], s[5]), V::addf(s[3], s[7])));
    }

    // Columns in panels of 16; what is left (up to 8 columns) goes to the row-pair panel or the
    // ymm panel, and from there fewer than 4 (decoding: 1) to the row-group kernel.
    static void gemm(int64_t rows, int64_t n, const void* wv, size_t w_stride, int64_t cols, const void* av,
                     size_t a_stride, float* out, int64_t out_stride) {
        if constexpr (kCols == 16 && kChain)
            panel_gemm<Sym32Panel, Sym32PairPanel<W, kBias, Rows>>(rows, n, wv, w_stride, cols, av, a_stride, out, out_stride);
        else if constexpr (kCols == 16)
            panel_gemm<Sym32Panel, Sym32Panel<W, kBias, kChain, YmmLanes, Rows>>(rows, n, wv, w_stride, cols, av, a_stride, out, out_stride);
        else
            panel_gemm<Sym32Panel, Rows>(rows, n, wv, w_stride, cols, av, a_stride, out, out_stride);
    }
};

// Q4_0 / Q5_0 / Q8_0 x Q8_0 in the blocks order, up to 8 columns (a server's batch of decoding
// sequences) with every zmm lane used: two rows share a vector. Lane 2c holds column c of the
// pair's first row, lane 2c + 1 column c of its second, so the panel has each column's word
// twice, and the pair's codes are stored word-interleaved (a, b) so that one 64-bit broadcast
// from memory gives each lane its own row's 4 codes. Per lane the integer sums and the float
// operations are Sym32Panel's (two dpbusd chains, groups 0-3 and 4-7; Q4_0's scaled codes), so
// the same bits; half the dpbusd of a zmm panel with 8 of 16 lanes, on the two 512-bit ports.
template <class W, int kBias, class Rows>
struct Sym32PairPanel {
    using Weights = W;
    using Vec = __m512i;
    using Acc = __m512;  // per row: column c in lane c (the driver's layout)
    static constexpr int kCols = 8;
    static constexpr int kMinCols = 4;
    static constexpr int64_t kBlockElems = kBlock32;
    using ActivationBlock = BlockQ8_0;
    static constexpr int kPer = 8 + 1 + 1;  // vectors per block: codes, bias, scales
    static constexpr int kAcc = 1;
    static constexpr int kRows = 4;         // two pairs per pass
    static constexpr int64_t kChunk = 64;
    static constexpr bool kScaled = kScaledCodes<W>;

    static void store(float* lanes, Acc v) { _mm512_store_ps(lanes, v); }
    static Acc result(const Acc* s) { return s[0]; }

    // Columns c0 .. c0 + nc - 1, each in lanes 2c and 2c + 1.
    static void build(Vec* panel, int64_t nb, const uint8_t* a, size_t a_stride, int nc) {
        const auto* blocks = reinterpret_cast<const BlockQ8_0*>(a);
        const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7), _mm512_set1_epi32(int(a_stride)));
        const __mmask16 m = __mmask16((1u << (2 * nc)) - 1u);
        const auto gather = [&](const void* base) { return _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, idx, base, 1); };
        for (int64_t b = 0; b < nb; ++b) {
            Vec* p = panel + b * kPer;
            __m512i total = _mm512_setzero_si512();
            PLINTH_UNROLL
            for (int k = 0; k < 8; ++k) {
                p[k] = gather(blocks[b].qs + 4 * k);
                total = _mm512_add_epi32(total, dot_u8i8(bytes(kBias), p[k]));
            }
            p[8] = _mm512_sub_epi32(_mm512_setzero_si512(), total);
            p[9] = _mm512_castps_si512(_mm512_cvtph_ps(_mm512_cvtepi32_epi16(gather(&blocks[b].d))));
        }
    }

    template <int R>
    static void rows_pass(const W* const* w, const Vec* panel, int64_t b0, int64_t b1, Acc* acc, size_t prefetch) {
        using Pairs = RowPairs<R>;
        constexpr int P = Pairs::kPairs;
        const __m512i spread = Pairs::spread();
        __m512 s[P];
        Pairs::load(acc, b0 == 0, s);
        for (int64_t b = b0; b < b1; ++b) {
            const Vec* p = panel + b * kPer;
            alignas(64) uint8_t codes[P][64];
            __m512 scale[P];
            PLINTH_UNROLL
            for (int i = 0; i < P; ++i) {
                const int ra = 2 * i, rb = Pairs::second(i);
                if (prefetch) Pairs::prefetch(w, i, b, prefetch);
                const __m256i ca = chain_codes<W, kBias>(w[ra][b]), cb = chain_codes<W, kBias>(w[rb][b]);
                _mm512_store_si512(codes[i], _mm512_permutex2var_epi32(_mm512_castsi256_si512(ca), spread, _mm512_castsi256_si512(cb)));
                const __m128 d = _mm_cvtph_ps(_mm_cvtsi32_si128(int(uint32_t(w[ra][b].d) | uint32_t(w[rb][b].d) << 16)));
                scale[i] = _mm512_mul_ps(_mm512_castpd_ps(_mm512_broadcastsd_pd(_mm_castps_pd(d))), _mm512_castsi512_ps(p[9]));
            }
            asm volatile("" : "+m"(codes));  // broadcasts from memory (loads), not shuffles
            __m512i isum[2][P];
            PLINTH_UNROLL
            for (int i = 0; i < P; ++i) {
                isum[0][i] = p[8];
                isum[1][i] = _mm512_setzero_si512();
            }
            PLINTH_UNROLL
            for (int k = 0; k < 8; ++k) {
                __m512i q = p[k];
                asm("" : "+v"(q));  // one load for the pairs
                PLINTH_UNROLL
                for (int i = 0; i < P; ++i) {
                    int64_t word;
                    std::memcpy(&word, codes[i] + 8 * k, 8);
                    isum[k / 4][i] = _mm512_dpbusd_epi32(isum[k / 4][i], _mm512_set1_epi64(word), q);
                }
            }
            PLINTH_UNROLL
            for (int i = 0; i < P; ++i) {
                const __m512i hi = kScaled ? _mm512_srai_epi32(isum[1][i], 4) : isum[1][i];
                s[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(isum[0][i], hi)), scale[i], s[i]);
            }
        }
        Pairs::store(s, acc);
    }

    static void gemm(int64_t rows, int64_t n, const void* wv, size_t w_stride, int64_t cols, const void* av,
                     size_t a_stride, float* out, int64_t out_stride) {
        panel_gemm<Sym32PairPanel, Rows>(rows, n, wv, w_stride, cols, av, a_stride, out, out_stride);
    }
};

// gemm_q4_0_vbmi.cpp's row kernel in the panels' chain.
struct Q4_0BlocksVbmiRows {
    static void gemm(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out,
                     int64_t os) {
        avx512vbmi::rows_q4_0_blocks(rows, n, w, ws, cols, a, as, out, os);
    }
};

template <class W, int kBias, bool kChain>
void sym32_gemm(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    Sym32Panel<W, kBias, kChain, ZmmLanes>::gemm(rows, n, w, ws, cols, a, as, out, os);
}

}  // namespace

namespace avx512 {
void gemm_q4_0(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    sym32_gemm<BlockQ4_0, 8, false>(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q5_0(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    sym32_gemm<BlockQ5_0, 16, false>(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q8_0(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    sym32_gemm<BlockQ8_0, 128, false>(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q4_0_blocks(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    sym32_gemm<BlockQ4_0, 8, true>(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q4_0_blocks_vbmi(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out,
                           int64_t os) {
    Sym32Panel<BlockQ4_0, 8, true, ZmmLanes, Q4_0BlocksVbmiRows>::gemm(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q5_0_blocks(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    sym32_gemm<BlockQ5_0, 16, true>(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q8_0_blocks(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    sym32_gemm<BlockQ8_0, 128, true>(rows, n, w, ws, cols, a, as, out, os);
}
}  // namespace avx512

}  // namespace plinth::quant::detail
