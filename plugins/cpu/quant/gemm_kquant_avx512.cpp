// AVX-512 multi-column kernels for the K-quants (Q4_K, Q5_K, Q6_K) x Q8_K: quant::gemm for those
// types at this level. Same flags and rules as dot_avx512.cpp; the float side of every super-block
// is kquant_term(_min) (block_layouts.hpp), so the results are the dot products', bit for bit
// (tests/quant hold them to it).
#include "avx512_common.hpp"
#include "row_groups.hpp"

namespace plinth::quant::detail {
namespace {

// One row's super-block, unpacked once and met by any number of Q8_K columns (the arithmetic of
// dot_q45_k / dot_q6_k in dot_avx512.cpp): 64 codes per step, maddubs into int16 pairs, dpwssd by
// the sub-block scale into 16 int32 lanes. `side` is the part that needs only the activation sums:
// Q4_K/Q5_K sum_j mn_j * (sum over sub-block j); Q6_K 32 sum_j sc_j * (sum over j), the codes' bias.
template <class W>
struct KSuper {
    static constexpr bool kQ6 = std::is_same_v<W, BlockQ6_K>;
    __m512i codes[4], sel[4];
    __m256i side_weights;  // int16, one per activation sum of 16
    float d, dmin = 0.0f;

    explicit KSuper(const W& blk) {
        if constexpr (kQ6) {
            const __m256i sc = _mm256_cvtepi8_epi16(load128(blk.scales));
            const __m512i scales = _mm512_castsi256_si512(sc);
            PLINTH_UNROLL
            for (int h = 0; h < 2; ++h) {
                const __m512i ql = load512(blk.ql + 64 * h);
                const __m512i qh = _mm512_srlv_epi16(load256_twice(blk.qh + 32 * h), words2(0, 2));
                codes[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, bytes(0x0F)), _mm512_and_si512(_mm512_slli_epi16(qh, 4), bytes(0x30)));
                codes[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), bytes(0x0F)), _mm512_and_si512(qh, bytes(0x30)));
                sel[2 * h] = _mm512_permutexvar_epi16(select_by16(8 * h), scales);
                sel[2 * h + 1] = _mm512_permutexvar_epi16(select_by16(8 * h + 4), scales);
            }
            side_weights = _mm256_slli_epi16(sc, 5);  // 32 sc_j (|.| <= 4096)
            d = f16(blk.d);
        } else {
            constexpr bool kFiveBit = requires(W b) { b.qh; };
            uint64_t sc8, mn8;
            k4_scales_mins(blk.scales, &sc8, &mn8);
            const __m512i scales = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(sc8))));
            const __m128i mn = _mm_cvtsi64_si128(int64_t(mn8));
            side_weights = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mn, mn));  // each min against both sums of 16
            __m512i qh;
            if constexpr (kFiveBit) qh = load256_twice(blk.qh);
            PLINTH_UNROLL
            for (int k = 0; k < 4; ++k) {
                codes[k] = _mm512_and_si512(_mm512_srlv_epi16(load256_twice(blk.qs + 32 * k), words2(0, 4)), bytes(0x0F));
                if constexpr (kFiveBit) {
                    const __mmask64 top = _mm512_test_epi8_mask(qh, bytes2(1 << (2 * k), 1 << (2 * k + 1)));
                    codes[k] = _mm512_mask_add_epi8(codes[k], top, codes[k], bytes(16));
                }
                sel[k] = _mm512_permutexvar_epi16(select_by32(2 * k), scales);
            }
            d = f16(blk.d);
            dmin = f16(blk.dmin);
        }
    }

    // Exact integer sums against one activation super-block (16 and 8 int32 lanes).
    void sums(const BlockQ8_K& a, __m512i* isum, __m256i* side) const {
        __m512i s = _mm512_setzero_si512();
        PLINTH_UNROLL
        for (int k = 0; k < 4; ++k) s = madd_scaled(s, codes[k], a.qs + 64 * k, sel[k]);
        *isum = s;
        *side = _mm256_madd_epi16(side_weights, load256(a.bsums));
    }
    // The super-block's float term (kquant_term / _min) from those sums.
    float term(const BlockQ8_K& a, __m512i isum, __m256i side) const {
        if constexpr (kQ6) return kquant_term(d, a.d, _mm512_reduce_add_epi32(isum) - hsum(side));
        else return kquant_term_min(a.d, d, dmin, _mm512_reduce_add_epi32(isum), hsum(side));
    }
};

// The sums of four vectors' lanes, one per lane of the result (integer: any order is exact).
__m128i sum_lanes4(const __m512i v[4]) {
    const __m512i s01 = _mm512_add_epi32(_mm512_unpacklo_epi32(v[0], v[1]), _mm512_unpackhi_epi32(v[0], v[1]));
    const __m512i s23 = _mm512_add_epi32(_mm512_unpacklo_epi32(v[2], v[3]), _mm512_unpackhi_epi32(v[2], v[3]));
    const __m512i s = _mm512_add_epi32(_mm512_unpacklo_epi64(s01, s23), _mm512_unpackhi_epi64(s01, s23));
    const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

// One column at a time (decoding, and the last columns of a tile): rows in groups of 4, the
// column's activations loaded once for the group; the 4 rows' integer sums are reduced together
// and their float sides run as the 4 lanes of one vector (lane r: row r's kquant_term(_min), in the
// same operations), so no row waits on its own chain.
template <class W>
struct KRows {
    static constexpr bool kQ6 = KSuper<W>::kQ6;

    template <int R>
    static void row_group(int64_t nb, const W* const* w, const BlockQ8_K* a, float* out, size_t prefetch) {
        __m128 sum = _mm_setzero_ps();
        for (int64_t b = 0; b < nb; ++b) {
            __m512i isum[4];
            __m256i side[4];
            alignas(16) float d[4] = {}, dmin[4] = {};
            PLINTH_UNROLL
            for (int r = 0; r < 4; ++r) {
                if (r < R) {
                    prefetch_ahead(w[r] + b, prefetch);
                    const KSuper<W> k(w[r][b]);
                    k.sums(a[b], &isum[r], &side[r]);
                    d[r] = k.d;
                    dmin[r] = k.dmin;
                } else {
                    isum[r] = _mm512_setzero_si512();
                    side[r] = _mm256_setzero_si256();
                }
            }
            const __m128i sides = sum_lanes4(side);
            const __m128i sums = kQ6 ? _mm_sub_epi32(sum_lanes4(isum), sides) : sum_lanes4(isum);  // Q6_K: less its bias
            sum = _mm_add_ps(sum, kquant_terms4<!kQ6>(sums, sides, d, dmin, a[b].d));
        }
        alignas(16) float lanes[4];
        _mm_store_ps(lanes, sum);
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r) out[r] = lanes[r];
    }

    static void gemm(int64_t rows, int64_t n, const void* wv, size_t w_stride, int64_t cols, const void* av,
                     size_t a_stride, float* out, int64_t out_stride) {
        const int64_t nb = n / kBlock256;
        const auto* wbase = static_cast<const uint8_t*>(wv);
        for (int64_t c = 0; c < cols; ++c) {
            const auto* a = reinterpret_cast<const BlockQ8_K*>(static_cast<const uint8_t*>(av) + size_t(c) * a_stride);
            float* o = out + c * out_stride;
            for_row_groups<4>(rows, [&]<int R>(int64_t r) {
                const W* w[R];
                row_pointers(w, wbase, w_stride, r);
                row_group<R>(nb, w, a, o + r, 4 * w_stride);  // prefetch one group (4 rows) ahead
            });
        }
    }
};

// K-quants x Q8_K, 16 columns at once: lanes are columns (as Sym32Panel in gemm_q32_avx512.cpp).
// Per super-block the panel holds 64 vectors, vector k holding bytes 4k .. 4k + 3 of each column's
// 256 activation codes, then the columns' activation sums as int16 pairs (Q4_K/Q5_K: sums over the
// 8 sub-blocks of 32, pairs (2p, 2p + 1); Q6_K: Q8_K's own 16 sums of 16, pairs (2p, 2p + 1)), then
// the columns' scales d. A row's codes are unpacked to bytes once per super-block and broadcast 4 at
// a time against the panel: the dpbusd of one sub-block give its exact integer sum in every lane, a
// vpmulld by the row's sub-block scale adds it to isum. The mins (Q4_K/Q5_K) and the -32 bias of
// Q6_K's codes come from dpwssd of the row's scale pairs against the panel's sum pairs. Then the
// float side, lane by lane, is kquant_term(_min): the single-column kernels' results, bit for bit.
template <class W>
struct KPanel : Avx512PanelShape {
    using Weights = W;
    static constexpr int64_t kBlockElems = kBlock256;
    using ActivationBlock = BlockQ8_K;
    static constexpr int kAcc = 1;  // accumulator vectors per row
    static constexpr bool kQ6 = std::is_same_v<W, BlockQ6_K>;
    static constexpr int kSubs = kQ6 ? 16 : 8;    // sub-blocks per super-block
    static constexpr int kGroups = 64 / kSubs;    // 4-code groups per sub-block
    static constexpr int kPairs = kQ6 ? 8 : 4;    // int16-pair vectors of activation sums
    static constexpr int kPer = 64 + kPairs + 1;  // vectors per super-block
    static constexpr int kMinCols = 9;            // up to 8 columns go to KPairPanel
    static constexpr int kRows = 4;               // rows per pass: they share the panel's loads
    static constexpr int64_t kChunk = 8;  // super-blocks per pass over the rows (35 KiB of panel, in L1)

    // One row's super-block, unpacked: codes as bytes in element order, sub-block scales as int32,
    // the int16 pairs that meet the panel's sum pairs, and the float scales.
    struct alignas(64) Unpacked {
        uint8_t codes[256];
        int32_t scales[16];
        int32_t pairs[8];
        float d, dmin;
    };

    // The same in registers: codes[k] holds elements 64k .. 64k + 63; scales and pairs fill the low
    // kSubs and kPairs int32 lanes.
    struct Parts {
        __m512i codes[4];
        __m512i scales, pairs;
        float d, dmin = 0.0f;
    };

    static Parts parts(const W& blk) {
        Parts u;
        if constexpr (kQ6) {
            PLINTH_UNROLL
            for (int h = 0; h < 2; ++h) {  // elements 128h .. 128h + 127, as KSuper
                const __m512i ql = load512(blk.ql + 64 * h);
                const __m512i qh = _mm512_srlv_epi16(load256_twice(blk.qh + 32 * h), words2(0, 2));
                u.codes[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, bytes(0x0F)), _mm512_and_si512(_mm512_slli_epi16(qh, 4), bytes(0x30)));
                u.codes[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), bytes(0x0F)), _mm512_and_si512(qh, bytes(0x30)));
            }
            const __m128i sc = load128(blk.scales);
            u.scales = _mm512_cvtepi8_epi32(sc);
            // the -32 bias: 32 sc_j against the sums of 16, two sub-blocks per int32
            u.pairs = _mm512_zextsi256_si512(_mm256_slli_epi16(_mm256_cvtepi8_epi16(sc), 5));
            u.d = f16(blk.d);
        } else {
            constexpr bool kFiveBit = requires(W b) { b.qh; };
            uint64_t sc8, mn8;
            k4_scales_mins(blk.scales, &sc8, &mn8);
            __m512i qh;
            if constexpr (kFiveBit) qh = load256_twice(blk.qh);
            PLINTH_UNROLL
            for (int k = 0; k < 4; ++k) {  // sub-blocks 2k (low nibbles) and 2k + 1 (high nibbles)
                __m512i codes = _mm512_and_si512(_mm512_srlv_epi16(load256_twice(blk.qs + 32 * k), words2(0, 4)), bytes(0x0F));
                if constexpr (kFiveBit) {
                    const __mmask64 top = _mm512_test_epi8_mask(qh, bytes2(1 << (2 * k), 1 << (2 * k + 1)));
                    codes = _mm512_mask_add_epi8(codes, top, codes, bytes(16));
                }
                u.codes[k] = codes;
            }
            u.scales = _mm512_cvtepu8_epi32(_mm_cvtsi64_si128(int64_t(sc8)));
            u.pairs = _mm512_zextsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(int64_t(mn8))));
            u.d = f16(blk.d);
            u.dmin = f16(blk.dmin);
        }
        return u;
    }

    static void unpack(const W& blk, Unpacked& u) {
        const Parts p = parts(blk);
        PLINTH_UNROLL
        for (int k = 0; k < 4; ++k) _mm512_store_si512(u.codes + 64 * k, p.codes[k]);
        _mm512_store_si512(u.scales, p.scales);
        _mm256_store_si256(reinterpret_cast<__m256i*>(u.pairs), _mm512_castsi512_si256(p.pairs));
        u.d = p.d;
        u.dmin = p.dmin;
    }

    // Panel of columns c0 .. c0 + nc - 1 (nc <= 16; missing lanes are zero).
    static void build(__m512i* panel, int64_t nb, const uint8_t* a, size_t a_stride, int nc) {
        build_lanes(panel, nb, a, a_stride, _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                    __mmask16((1u << nc) - 1u));
    }

    // The panel with lane l holding column column[l] (lanes outside m zero).
    static void build_lanes(__m512i* panel, int64_t nb, const uint8_t* a, size_t a_stride, __m512i column, __mmask16 m) {
        const __m512i idx = _mm512_mullo_epi32(column, _mm512_set1_epi32(int(a_stride)));
        const auto* blocks = reinterpret_cast<const BlockQ8_K*>(a);
        for (int64_t b = 0; b < nb; ++b) {
            __m512i* p = panel + b * kPer;
            for (int k = 0; k < 64; ++k) p[k] = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, idx, blocks[b].qs + 4 * k, 1);
            __m512i sums16[8];  // int32 j: the int16 pair (bsums[2j], bsums[2j + 1])
            PLINTH_UNROLL
            for (int j = 0; j < 8; ++j) sums16[j] = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, idx, blocks[b].bsums + 2 * j, 1);
            if constexpr (kQ6) {
                PLINTH_UNROLL
                for (int j = 0; j < 8; ++j) p[64 + j] = sums16[j];
            } else {
                const __m512i ones = _mm512_set1_epi16(1);
                PLINTH_UNROLL
                for (int q = 0; q < 4; ++q) {  // sums over sub-blocks 2q and 2q + 1 (each |sum| <= 32 * 127)
                    const __m512i lo = _mm512_madd_epi16(sums16[2 * q], ones), hi = _mm512_madd_epi16(sums16[2 * q + 1], ones);
                    p[64 + q] = _mm512_or_si512(_mm512_and_si512(lo, _mm512_set1_epi32(0xFFFF)), _mm512_slli_epi32(hi, 16));
                }
            }
            p[64 + kPairs] = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, idx, &blocks[b].d, 1);
        }
    }

    // R rows (1 .. kRows) over super-blocks b0 .. b1 - 1, sums in acc[r]; the first pass starts from zero.
    // prefetch (bytes, 0 for none): how far below each block to ask for the next row group's.
    template <int R>
    static void rows_pass(const W* const* w, const __m512i* panel, int64_t b0, int64_t b1, __m512* acc, size_t prefetch) {
        __m512 s[R];
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r) s[r] = b0 == 0 ? _mm512_setzero_ps() : acc[r];
        for (int64_t b = b0; b < b1; ++b) {
            const __m512i* p = panel + b * kPer;
            Unpacked u[R];
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) {
                if (prefetch) prefetch_ahead(w[r] + b, prefetch);
                unpack(w[r][b], u[r]);
            }
            // Broadcasts read the codes back from memory (a load each), not out of registers.
            asm volatile("" : "+m"(u));
            __m512i isum[R], side[R];
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) isum[r] = side[r] = _mm512_setzero_si512();
            PLINTH_UNROLL
            for (int j = 0; j < kSubs; ++j) {
                __m512i sub[R];
                PLINTH_UNROLL
                for (int r = 0; r < R; ++r) sub[r] = _mm512_setzero_si512();
                PLINTH_UNROLL
                for (int g = 0; g < kGroups; ++g) {
                    __m512i q = p[j * kGroups + g];
                    asm("" : "+v"(q));  // loaded once for the rows, not folded into each row's dpbusd
                    PLINTH_UNROLL
                    for (int r = 0; r < R; ++r)
                        sub[r] = _mm512_dpbusd_epi32(sub[r], _mm512_set1_epi32(code_word(u[r].codes + 4 * (j * kGroups + g))), q);
                }
                PLINTH_UNROLL
                for (int r = 0; r < R; ++r) isum[r] = _mm512_add_epi32(isum[r], _mm512_mullo_epi32(sub[r], _mm512_set1_epi32(u[r].scales[j])));
            }
            PLINTH_UNROLL
            for (int q = 0; q < kPairs; ++q)
                PLINTH_UNROLL
                for (int r = 0; r < R; ++r) side[r] = _mm512_dpwssd_epi32(side[r], _mm512_set1_epi32(u[r].pairs[q]), p[64 + q]);
            const __m512 d = _mm512_castsi512_ps(p[64 + kPairs]);
            PLINTH_UNROLL
            for (int r = 0; r < R; ++r) {
                __m512 term;
                if constexpr (kQ6)  // kquant_term(w_d, a_d, isum - bias)
                    term = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(u[r].d), d), _mm512_cvtepi32_ps(_mm512_sub_epi32(isum[r], side[r])));
                else  // kquant_term_min(a_d, w_d, w_dmin, isum, msum)
                    term = _mm512_mul_ps(d, _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(u[r].d), _mm512_cvtepi32_ps(isum[r])),
                                                          _mm512_mul_ps(_mm512_set1_ps(u[r].dmin), _mm512_cvtepi32_ps(side[r]))));
                s[r] = _mm512_add_ps(s[r], term);
            }
        }
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r) acc[r] = s[r];
    }

    static __m512 result(const __m512* s) { return s[0]; }

    // Columns in panels of 16; what is left (up to 8) goes to the row-pair panel, and from there
    // fewer than 4 (decoding: 1) to the row-group kernel.
    static void gemm(int64_t rows, int64_t n, const void* wv, size_t w_stride, int64_t cols, const void* av,
                     size_t a_stride, float* out, int64_t out_stride);
};

// K-quants x Q8_K, up to 8 columns (a server's batch of decoding sequences) with every zmm lane
// used: two rows share a vector, as in Sym32PairPanel. Lane 2c holds column c of the pair's first
// row, lane 2c + 1 column c of its second, so the panel (KPanel's) has each column twice; the
// pair's codes, sub-block scales and scale pairs are interleaved by 32-bit words, so one 64-bit
// broadcast gives each lane its own row's. Per lane the integer and float operations are KPanel's,
// so the same bits, with half its dpbusd and vpmulld (a 32000 x 768 Q6_K output matrix, 8 columns:
// KPanel fills only half of each vector).
template <class W>
struct KPairPanel {
    using K = KPanel<W>;
    using Weights = W;
    using Vec = __m512i;
    using Acc = __m512;  // per row: column c in lane c (the driver's layout)
    static constexpr int kCols = 8;
    static constexpr int kMinCols = 4;
    static constexpr int64_t kBlockElems = kBlock256;
    using ActivationBlock = BlockQ8_K;
    static constexpr int kAcc = 1;
    static constexpr int kPer = K::kPer;
    static constexpr int kRows = 4;  // two pairs per pass
    static constexpr int64_t kChunk = K::kChunk;

    static void store(float* lanes, Acc v) { _mm512_store_ps(lanes, v); }
    static Acc result(const Acc* s) { return s[0]; }

    // Columns c0 .. c0 + nc - 1, each in lanes 2c and 2c + 1.
    static void build(Vec* panel, int64_t nb, const uint8_t* a, size_t a_stride, int nc) {
        K::build_lanes(panel, nb, a, a_stride, _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7),
                       __mmask16((1u << (2 * nc)) - 1u));
    }

    // A pair's super-block: word k of the first row in the low half of element k, the second's in the high.
    struct alignas(64) Pair {
        uint64_t codes[64];
        uint64_t scales[16];
        uint64_t pairs[8];
    };

    template <int R>
    static void rows_pass(const W* const* w, const Vec* panel, int64_t b0, int64_t b1, Acc* acc, size_t prefetch) {
        using Pairs = RowPairs<R>;
        constexpr int P = Pairs::kPairs;
        const __m512i lo = Pairs::spread();  // words 0 .. 7 of two vectors, interleaved; hi: 8 .. 15
        const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
        __m512 s[P];
        Pairs::load(acc, b0 == 0, s);
        for (int64_t b = b0; b < b1; ++b) {
            const Vec* p = panel + b * kPer;
            Pair u[P];
            __m512 dw[P], dmin[P];
            PLINTH_UNROLL
            for (int i = 0; i < P; ++i) {
                const int ra = 2 * i, rb = Pairs::second(i);
                if (prefetch) Pairs::prefetch(w, i, b, prefetch);
                const typename K::Parts x = K::parts(w[ra][b]), y = K::parts(w[rb][b]);
                PLINTH_UNROLL
                for (int k = 0; k < 4; ++k) {
                    _mm512_store_si512(u[i].codes + 16 * k, _mm512_permutex2var_epi32(x.codes[k], lo, y.codes[k]));
                    _mm512_store_si512(u[i].codes + 16 * k + 8, _mm512_permutex2var_epi32(x.codes[k], hi, y.codes[k]));
                }
                _mm512_store_si512(u[i].scales, _mm512_permutex2var_epi32(x.scales, lo, y.scales));
                if constexpr (K::kSubs > 8) _mm512_store_si512(u[i].scales + 8, _mm512_permutex2var_epi32(x.scales, hi, y.scales));
                _mm512_store_si512(u[i].pairs, _mm512_permutex2var_epi32(x.pairs, lo, y.pairs));
                dw[i] = both(x.d, y.d);
                dmin[i] = both(x.dmin, y.dmin);
            }
            // Broadcasts read the pairs' words back from memory (a load each), not out of registers.
            asm volatile("" : "+m"(u));
            __m512i isum[P], side[P];
            PLINTH_UNROLL
            for (int i = 0; i < P; ++i) isum[i] = side[i] = _mm512_setzero_si512();
            PLINTH_UNROLL
            for (int j = 0; j < K::kSubs; ++j) {
                // Two dpbusd chains per pair (the even and odd groups), added before the scale:
                // one chain of dependent dpbusd per pair left the kernel waiting on their latency.
                __m512i sub[2][P];
                PLINTH_UNROLL
                for (int i = 0; i < P; ++i) sub[0][i] = sub[1][i] = _mm512_setzero_si512();
                PLINTH_UNROLL
                for (int g = 0; g < K::kGroups; ++g) {
                    __m512i q = p[j * K::kGroups + g];
                    asm("" : "+v"(q));  // loaded once for the pairs
                    PLINTH_UNROLL
                    for (int i = 0; i < P; ++i)
                        sub[g & 1][i] = _mm512_dpbusd_epi32(sub[g & 1][i], _mm512_set1_epi64(int64_t(u[i].codes[j * K::kGroups + g])), q);
                }
                PLINTH_UNROLL
                for (int i = 0; i < P; ++i)
                    isum[i] = _mm512_add_epi32(isum[i], _mm512_mullo_epi32(_mm512_add_epi32(sub[0][i], sub[1][i]),
                                                                           _mm512_set1_epi64(int64_t(u[i].scales[j]))));
            }
            PLINTH_UNROLL
            for (int q = 0; q < K::kPairs; ++q)
                PLINTH_UNROLL
                for (int i = 0; i < P; ++i) side[i] = _mm512_dpwssd_epi32(side[i], _mm512_set1_epi64(int64_t(u[i].pairs[q])), p[64 + q]);
            const __m512 d = _mm512_castsi512_ps(p[64 + K::kPairs]);
            PLINTH_UNROLL
            for (int i = 0; i < P; ++i) {
                __m512 term;
                if constexpr (K::kQ6)  // KPanel's operations, lane by lane
                    term = _mm512_mul_ps(_mm512_mul_ps(dw[i], d), _mm512_cvtepi32_ps(_mm512_sub_epi32(isum[i], side[i])));
                else
                    term = _mm512_mul_ps(d, _mm512_sub_ps(_mm512_mul_ps(dw[i], _mm512_cvtepi32_ps(isum[i])),
                                                          _mm512_mul_ps(dmin[i], _mm512_cvtepi32_ps(side[i]))));
                s[i] = _mm512_add_ps(s[i], term);
            }
        }
        Pairs::store(s, acc);
    }

    // (a, b) in every pair of lanes.
    static __m512 both(float a, float b) {
        return _mm512_castpd_ps(_mm512_broadcastsd_pd(_mm_castps_pd(_mm_unpacklo_ps(_mm_set_ss(a), _mm_set_ss(b)))));
    }

    static void gemm(int64_t rows, int64_t n, const void* wv, size_t w_stride, int64_t cols, const void* av,
                     size_t a_stride, float* out, int64_t out_stride) {
        panel_gemm<KPairPanel, KRows<W>>(rows, n, wv, w_stride, cols, av, a_stride, out, out_stride);
    }
};

template <class W>
void KPanel<W>::gemm(int64_t rows, int64_t n, const void* wv, size_t w_stride, int64_t cols, const void* av,
                     size_t a_stride, float* out, int64_t out_stride) {
    panel_gemm<KPanel, KPairPanel<W>>(rows, n, wv, w_stride, cols, av, a_stride, out, out_stride);
}

}  // namespace

namespace avx512 {
void gemm_q4_k(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    KPanel<BlockQ4_K>::gemm(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q5_k(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    KPanel<BlockQ5_K>::gemm(rows, n, w, ws, cols, a, as, out, os);
}
void gemm_q6_k(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    KPanel<BlockQ6_K>::gemm(rows, n, w, ws, cols, a, as, out, os);
}
}  // namespace avx512

}  // namespace plinth::quant::detail
