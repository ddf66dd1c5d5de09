// Decode's Q4_0 x Q8_0 kernel in the blocks order for CPUs with AVX-512 VBMI (Ice Lake and later,
// Zen 4): the columns that gemm_q32_avx512.cpp's panels leave to a row kernel (one, when decoding).
// Same results bit for bit as Sym32Rows<Q4_0, blocks> there and dot_symmetric_chain: per row the
// block's exact integer sum plus its bias term, one float product f16(d_w) * d_a, and one fused
// multiply-add chain over the blocks in order. What changes is how many instructions build those
// terms (docs/performance.md, "Decode: where a token's time goes": the 256-bit kernel spent about
// 13-15 per block and row and left half of memory's bandwidth unused):
// - 16 blocks (288 bytes of a row) per step (a row's last 8 blocks a half step; any fewer one at a
//   time), 4 at a time in 512-bit registers: one two-source byte permute (VBMI) gathers 4 blocks'
//   64 code bytes out of two loads, whose low and high nibbles meet a layout of the column made
//   once;
// - a transpose-and-add tree turns 4 registers of per-element-quad sums into 16 block sums;
// - the 16 F16 scales come from the same loads by two more permutes and a blend;
// - the fused multiply-add chains run for 4 rows at once, lane r of one 128-bit register row r's
//   chain, the per-block terms transposed across rows first.
// Paired calls against Sym32Rows, one column: 0.80x the time on a 1024 x 2048 matrix in L2 (one
// thread), 0.88-0.94x streaming from memory (two threads; docs/performance.md). Compiled with the
// AVX-512 flags plus -mavx512vbmi; dispatch.cpp takes it only where the CPU has VBMI.
#include "avx512_common.hpp"
#include "laid_out_from.hpp"
#include "row_groups.hpp"

#include <array>
#include <vector>

namespace plinth::quant::detail {
namespace {

constexpr int kStepBlocks = 16;                            // blocks per step and row
constexpr size_t kGroupBytes = 4 * sizeof(BlockQ4_0);     // 72: four blocks, one 512-bit register's codes
static_assert(sizeof(BlockQ4_0) == 18, "Q4_0 block layout");

// Byte tables for vpermt2b over a group's two loads: z0 = bytes [0, 64) of the group, z1 = bytes
// [8, 72) (so the last group of a row reads nothing past it). Offset o comes from z0 at o below 64,
// else from z1 at o - 8 (index 64 + o - 8).
constexpr uint8_t from_group(int o) { return uint8_t(o < 64 ? o : 64 + o - 8); }

// Codes: byte 16i + j is block i's qs[j] (offset 18i + 2 + j): low nibble element j, high j + 16.
constexpr std::array<uint8_t, 64> kCodeBytes = [] {
    std::array<uint8_t, 64> t{};
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 16; ++j) t[size_t(16 * i + j)] = from_group(18 * i + 2 + j);
    return t;
}();

// Scales, in the block-sum tree's order (below: word 4i + k is block 4k + i of the step, i.e.
// block i of group k). Group k's scale bytes sit at 18i, 18i + 1 of its z0 (offset < 64). Pair
// (group 0, group 1) fills words 4i and 4i + 1, pair (2, 3) words 4i + 2 and 4i + 3; a blend joins them.
constexpr std::array<uint8_t, 64> scale_bytes(int first_word) {
    std::array<uint8_t, 64> t{};
    for (int i = 0; i < 4; ++i)
        for (int src = 0; src < 2; ++src)
            for (int byte = 0; byte < 2; ++byte)
                t[size_t(2 * (4 * i + first_word + src) + byte)] = uint8_t(64 * src + 18 * i + byte);
    return t;
}
constexpr std::array<uint8_t, 64> kScaleBytes01 = scale_bytes(0);
constexpr std::array<uint8_t, 64> kScaleBytes23 = scale_bytes(2);

inline __m512i table(const std::array<uint8_t, 64>& t) { return _mm512_loadu_si512(t.data()); }

// 4 registers of 16 int32 lanes, lane 4i + q of v[k] the sum of element quad q of block i of group
// k, to the 16 block sums: lane 4i + k holds block 4k + i's.
inline __m512i block_sums16(const __m512i v[4]) {
    const __m512i s01 = _mm512_add_epi32(_mm512_unpacklo_epi64(v[0], v[1]), _mm512_unpackhi_epi64(v[0], v[1]));
    const __m512i s23 = _mm512_add_epi32(_mm512_unpacklo_epi64(v[2], v[3]), _mm512_unpackhi_epi64(v[2], v[3]));
    // per 128-bit lane i: s01 = [v0 q0+q2, v0 q1+q3, v1 q0+q2, v1 q1+q3], s23 likewise for v2, v3
    const __m512 a = _mm512_castsi512_ps(s01), b = _mm512_castsi512_ps(s23);
    return _mm512_add_epi32(_mm512_castps_si512(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0))),
                            _mm512_castps_si512(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))));
}

// One column's activations, laid out once: per group of 4 blocks two registers (each block's
// elements 0..15, then 16..31, 16 bytes per block), and per step of 16 blocks its bias terms
// (-8 times each block's activation sum: the codes are read unsigned, 0..15 for q - 8) and scales
// f16(d_a), in the tree's order. Blocks past the last whole or half step are left to the tail.
struct Column {
    const BlockQ8_0* a;
    const __m512i* codes;  // 2 per group
    const int32_t* bias;   // 16 per step
    const float* da;       // 16 per step
    size_t prefetch;       // bytes ahead: one row group
};

// The column's layout for its steps (a last half step included: its unused lanes zero), built in
// registers: per group the 4 blocks' halves by 128-bit inserts, and the step's 16 bias terms from
// the same registers by dpbusd against 8s and the block-sum tree (the same exact integer sums as
// the tail's). Scalar copies and a horizontal sum per block cost 7.6% of a decode.
void lay_out(const BlockQ8_0* a, int64_t nb, __m512i* codes, int32_t* bias, float* da) {
    const __m512i eights = bytes(8);
    for (int64_t s = 0; s * kStepBlocks + kStepBlocks / 2 <= nb; ++s) {
        const BlockQ8_0* blk = a + kStepBlocks * s;
        const int groups = nb - kStepBlocks * s >= kStepBlocks ? 4 : 2;
        __m512i sums[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
        for (int g = 0; g < groups; ++g) {
            const BlockQ8_0* q = blk + 4 * g;
            __m512i lo = _mm512_castsi128_si512(load128(q[0].qs)), hi = _mm512_castsi128_si512(load128(q[0].qs + 16));
            PLINTH_UNROLL
            for (int i = 1; i < 4; ++i) {
                lo = _mm512_inserti32x4(lo, load128(q[i].qs), i);
                hi = _mm512_inserti32x4(hi, load128(q[i].qs + 16), i);
            }
            _mm512_store_si512(codes + 2 * (4 * s + g), lo);
            _mm512_store_si512(codes + 2 * (4 * s + g) + 1, hi);
            sums[g] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), eights, lo), eights, hi);
        }
        _mm512_storeu_si512(bias + kStepBlocks * s, _mm512_sub_epi32(_mm512_setzero_si512(), block_sums16(sums)));
        _mm512_storeu_ps(da + kStepBlocks * s, _mm512_setzero_ps());
        for (int b = 0; b < 4 * groups; ++b) da[kStepBlocks * s + 4 * (b % 4) + b / 4] = f16(blk[b].d);
    }
}

// One step of G groups for 4 rows (G = 4: 16 blocks; G = 2: the 8 blocks of a row's last half
// step, whose loads end at the row's end), continuing lane r's chain for row r.
template <int G>
[[gnu::always_inline]] inline __m128 step(const uint8_t* const* base, const __m512i* act, const int32_t* bias_terms,
                                          const float* da_terms, size_t prefetch, __m128 chains) {
    const __m512i code_bytes = table(kCodeBytes), scale01 = table(kScaleBytes01), scale23 = table(kScaleBytes23);
    const __m512i low4 = bytes(0x0F);
    const __m512i bias = _mm512_loadu_si512(bias_terms);
    const __m512 da = _mm512_loadu_ps(da_terms);
    __m512 isum[4], scale[4];
    PLINTH_UNROLL
    for (int r = 0; r < 4; ++r) {
        PLINTH_UNROLL
        for (int line = 0; line < (G == 4 ? 5 : 3); ++line) {  // the step's 72 G bytes one row group ahead (prefetch_ahead)
            prefetch_weights(reinterpret_cast<const char*>(base[r]) + prefetch + 64 * line);
        }
        __m512i z0[4], quads[4];
        PLINTH_UNROLL
        for (int g = 0; g < 4; ++g) {
            if (g >= G) {
                z0[g] = quads[g] = _mm512_setzero_si512();
                continue;
            }
            z0[g] = load512(base[r] + kGroupBytes * g);
            const __m512i q = _mm512_permutex2var_epi8(z0[g], code_bytes, load512(base[r] + kGroupBytes * g + 8));
            quads[g] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_and_si512(q, low4), act[2 * g]),
                                           _mm512_and_si512(_mm512_srli_epi16(q, 4), low4), act[2 * g + 1]);
        }
        isum[r] = _mm512_cvtepi32_ps(_mm512_add_epi32(block_sums16(quads), bias));
        __m512i halves = _mm512_permutex2var_epi8(z0[0], scale01, z0[1]);
        if constexpr (G == 4)
            halves = _mm512_mask_blend_epi16(__mmask32(0xCCCCCCCCu), halves, _mm512_permutex2var_epi8(z0[2], scale23, z0[3]));
        scale[r] = _mm512_mul_ps(_mm512_cvtph_ps(_mm512_castsi512_si256(halves)), da);
    }
    // Transpose within each 128-bit lane i: t[k] lane i = rows 0..3 of block 4k + i.
    alignas(64) float terms[2][4][16];
    const auto transpose = [](const __m512 v[4], float (*t)[16]) {
        const __m512 lo01 = _mm512_unpacklo_ps(v[0], v[1]), hi01 = _mm512_unpackhi_ps(v[0], v[1]);
        const __m512 lo23 = _mm512_unpacklo_ps(v[2], v[3]), hi23 = _mm512_unpackhi_ps(v[2], v[3]);
        const auto pd = [](__m512 x) { return _mm512_castps_pd(x); };
        _mm512_store_ps(t[0], _mm512_castpd_ps(_mm512_unpacklo_pd(pd(lo01), pd(lo23))));
        _mm512_store_ps(t[1], _mm512_castpd_ps(_mm512_unpackhi_pd(pd(lo01), pd(lo23))));
        _mm512_store_ps(t[2], _mm512_castpd_ps(_mm512_unpacklo_pd(pd(hi01), pd(hi23))));
        _mm512_store_ps(t[3], _mm512_castpd_ps(_mm512_unpackhi_pd(pd(hi01), pd(hi23))));
    };
    transpose(isum, terms[0]);
    transpose(scale, terms[1]);
    PLINTH_UNROLL
    for (int b = 0; b < 4 * G; ++b)
        chains = _mm_fmadd_ps(_mm_load_ps(&terms[0][b / 4][4 * (b % 4)]), _mm_load_ps(&terms[1][b / 4][4 * (b % 4)]), chains);
    return chains;
}

// Four rows (r >= R duplicates of row 0, their results dropped): the whole steps, a half step,
// then blocks past the last 8 (none in the usual shapes), one at a time.
template <int R>
void rows4(int64_t nb, const BlockQ4_0* const* w, const Column& col, float* out) {
    __m128 chains = _mm_setzero_ps();  // lane r: row r's sum so far
    // The step starting at block b reads the rows from there and the layout's codes from b / 2
    // (2 per group of 4 blocks), its bias terms and scales from b.
    const uint8_t* base[4];
    const auto rows_at = [&](int64_t b) {
        for (int r = 0; r < 4; ++r) base[r] = reinterpret_cast<const uint8_t*>(w[r] + b);
    };
    int64_t b = 0;
    for (; b + kStepBlocks <= nb; b += kStepBlocks) {
        rows_at(b);
        chains = step<4>(base, col.codes + b / 2, col.bias + b, col.da + b, col.prefetch, chains);
    }
    if (b + kStepBlocks / 2 <= nb) {
        rows_at(b);
        chains = step<2>(base, col.codes + b / 2, col.bias + b, col.da + b, col.prefetch, chains);
        b += kStepBlocks / 2;
    }
    alignas(16) float sum[4];
    _mm_store_ps(sum, chains);
    for (; b < nb; ++b) {
        const __m256i aq = load256(col.a[b].qs);
        const int32_t bias = -hsum(_mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(8), aq));
        const float da = f16(col.a[b].d);
        PLINTH_UNROLL
        for (int r = 0; r < R; ++r) {
            const int32_t isum = hsum(_mm256_dpbusd_epi32(_mm256_setzero_si256(), block_codes(w[r][b]), aq)) + bias;
            sum[r] = std::fma(float(isum), f16(w[r][b].d) * da, sum[r]);
        }
    }
    PLINTH_UNROLL
    for (int r = 0; r < R; ++r) out[r] = sum[r];
}

// A thread's layout of the column it saw last, with that column's bytes: decoding calls the kernel
// once per 64 KiB tile with the same column, so the column is laid out again only when its bytes
// differ (a 2 KiB compare instead of the layout: 3.5% of a 1.1B decode's samples before).
struct alignas(64) Z { __m512i v; };  // (a std::vector of a bare vector type drops its alignment)
struct Layout {
    std::vector<Z> codes;
    std::vector<int32_t> bias;
    std::vector<float> da;
    LaidOutFrom from;
};

void q4_0_blocks_rows(int64_t rows, int64_t n, const void* wv, size_t w_stride, int64_t cols, const void* av,
                      size_t a_stride, float* out, int64_t out_stride) {
    const int64_t nb = n / kBlock32;
    const int64_t steps = (nb + kStepBlocks / 2) / kStepBlocks;  // a half step counts
    const size_t bytes = size_t(nb) * sizeof(BlockQ8_0);
    thread_local Layout layout;
    Layout& l = layout;
    if (l.codes.size() != size_t(steps * 8)) {
        l.codes.resize(size_t(steps * 8));
        l.bias.resize(size_t(steps * kStepBlocks));
        l.da.resize(size_t(steps * kStepBlocks));
    }
    for (int64_t c = 0; c < cols; ++c) {
        const auto* column = static_cast<const uint8_t*>(av) + size_t(c) * a_stride;
        const auto* a = reinterpret_cast<const BlockQ8_0*>(column);
        if (!l.from.same(column, a_stride, nb, 1, bytes)) {
            lay_out(a, nb, &l.codes.data()->v, l.bias.data(), l.da.data());
            l.from.keep(column, a_stride, nb, 1, bytes);
        }
        const Column col{a, reinterpret_cast<const __m512i*>(l.codes.data()), l.bias.data(), l.da.data(), 4 * w_stride};
        float* o = out + c * out_stride;
        for_row_groups<4>(rows, [&]<int R>(int64_t r) {
            const BlockQ4_0* w[4];
            for (int i = 0; i < 4; ++i)
                w[i] = reinterpret_cast<const BlockQ4_0*>(static_cast<const uint8_t*>(wv) + size_t(r + (i < R ? i : 0)) * w_stride);
            rows4<R>(nb, w, col, o + r);
        });
    }
}

}  // namespace

namespace avx512vbmi {
void rows_q4_0_blocks(int64_t rows, int64_t n, const void* w, size_t ws, int64_t cols, const void* a, size_t as, float* out, int64_t os) {
    q4_0_blocks_rows(rows, n, w, ws, cols, a, as, out, os);
}
}  // namespace avx512vbmi

}  // namespace plinth::quant::detail
