#pragma once
// Internal: the interleaved layouts of weights (cpu_kernels.hpp, "interleave"), which every level's
// kernels over them read, and the per-column terms those kernels take. Rows are taken 16 at a time
// (a group); row r of a group is lane r of a 512-bit register of 32-bit lanes.
//
// Q4_0: blocks are taken two at a time: a pair of blocks of a group of 16
// rows is 576 bytes, the two blocks' codes (256 bytes each) and then their 16 rows' F16 scales (32
// bytes each). A block's codes are 4 chunks of 64 bytes; chunk m holds bytes 4m .. 4m + 3 of each
// row's qs, row r at 4r. So one 32-bit lane per row: its low nibbles are the row's elements
// 4m .. 4m + 3, its high nibbles elements 16 + 4m .. 19 + 4m, and one multiply-add of unsigned bytes
// by a column's 4 signed bytes (broadcast) gives 16 rows' partial sums at once, with no sums across
// lanes. A group over nb blocks is group_bytes(nb) bytes (an odd last block's pair half empty).
// Everything a thread reads is one sequential stream of aligned lines: the scales sit among the
// codes, not in a stream of their own (which cost every group a few demand misses at its start).
#include <cstddef>
#include <cstdint>

namespace plinth::quant::detail::interleaved {

constexpr int64_t kRows = 16;  // rows per group

// out[c * out_stride + 16 g + r] = row r of group g . column c, for groups [0, groups) starting at
// `packed`, bit for bit the type's dot product (Q4_0: dot_blocks). Column c is at act + c *
// act_stride (the type's activation blocks), its terms at terms + c * terms_stride.
using Kernel = void (*)(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                        size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride);

namespace q4_0 {
constexpr size_t kCodeBytes = 256;                        // one block of 16 rows: 4 chunks of 64
constexpr size_t kScaleBytes = 2 * kRows;                 // one block of 16 rows' F16 scales
constexpr size_t kPairBytes = 2 * (kCodeBytes + kScaleBytes);  // 576: 9 lines
constexpr size_t group_bytes(int64_t nb) { return size_t((nb + 1) / 2) * kPairBytes; }
// Where block b's codes and scales start within its group.
constexpr size_t codes_at(int64_t b) { return size_t(b / 2) * kPairBytes + size_t(b % 2) * kCodeBytes; }
constexpr size_t scales_at(int64_t b) { return size_t(b / 2) * kPairBytes + 2 * kCodeBytes + size_t(b % 2) * kScaleBytes; }

// A column's terms (column_terms): per block the exact integer -8 * (sum of its 32 codes), which
// turns the unsigned nibbles 0..15 into the values q - 8, then the block's scale as a float.
constexpr size_t terms_bytes(int64_t nb) { return size_t(nb) * 8; }
inline const int32_t* term_bias(const uint8_t* terms) { return reinterpret_cast<const int32_t*>(terms); }
inline const float* term_scale(const uint8_t* terms, int64_t nb) { return reinterpret_cast<const float*>(terms + 4 * nb); }

}  // namespace q4_0

// Q8_0: as Q4_0, blocks two at a time: a pair is 1088 bytes (17 lines), the two blocks' codes (8
// chunks of 64 bytes each: chunk k holds qs[4k .. 4k + 3] of each row, row r at 4r, as they are,
// signed) and then their 16 rows' F16 scales. Chunk k is the reference's lane k (elements 4k ..
// 4k + 3), so each lane's chain of the lanes order is one register per column.
namespace q8_0 {
constexpr size_t kCodeBytes = 512, kScaleBytes = 32, kPairBytes = 2 * (kCodeBytes + kScaleBytes);
constexpr size_t group_bytes(int64_t nb) { return size_t((nb + 1) / 2) * kPairBytes; }
constexpr size_t codes_at(int64_t b) { return size_t(b / 2) * kPairBytes + size_t(b % 2) * kCodeBytes; }
constexpr size_t scales_at(int64_t b) { return size_t(b / 2) * kPairBytes + 2 * kCodeBytes + size_t(b % 2) * kScaleBytes; }

// A column's terms: per block the 8 exact integers -128 * (sum of lane k's 4 activation codes), for
// kernels that read the codes as unsigned (w + 128: dpbusd), then the block's scale.
constexpr size_t terms_bytes(int64_t nb) { return size_t(nb) * 36; }
inline const int32_t* term_bias(const uint8_t* terms, int64_t b) { return reinterpret_cast<const int32_t*>(terms) + 8 * b; }
inline const float* term_scale(const uint8_t* terms, int64_t nb) { return reinterpret_cast<const float*>(terms + 32 * nb); }
}  // namespace q8_0

// Q6_K: a block of 16 rows is 3392 bytes (53 lines): 32 chunks of the codes' low 4 bits, 16 chunks
// of their top 2 bits, the 16 rows' 16 sub-block scales, their F16 d, 32 bytes of padding.
// Low chunk (h, t, m) (h, t 0..1, m 0..7) holds bytes ql[64h + 32t + 4m .. + 3] of each row, row r
// at 4r: low nibbles elements 128h + 32t + 4m .. + 3 (sub-block 8h + 2t + m / 4), high nibbles
// the elements 64 on (sub-block 8h + 2t + 4 + m / 4). Top chunk (h, m) holds qh[32h + 4m .. + 3]:
// bits 2s, 2s + 1 of a byte are the top bits of the element 32s on from that of low chunk (h, 0, m),
// so both halves of both low chunks (h, t, m) find theirs in the same byte positions.
namespace q6_k {
constexpr size_t kBlockBytes = 3392;
constexpr size_t kTopAt = 2048, kScalesAt = 3072, kDAt = 3328;
constexpr size_t group_bytes(int64_t nb) { return size_t(nb) * kBlockBytes; }
constexpr size_t low_chunk(int h, int t, int m) { return size_t(64 * (16 * h + 8 * t + m)); }
constexpr size_t top_chunk(int h, int m) { return kTopAt + size_t(64 * (8 * h + m)); }
constexpr size_t scales_at(int j) { return kScalesAt + size_t(16 * j); }  // sub-block j's 16 int8, row r at r

// A column's terms: per block the 16 exact integers -32 * (sum of sub-block j's activation codes),
// which turn the unsigned codes 0..63 into q - 32, then the block's scale.
constexpr size_t terms_bytes(int64_t nb) { return size_t(nb) * 68; }
inline const int32_t* term_bias(const uint8_t* terms, int64_t b) { return reinterpret_cast<const int32_t*>(terms) + 16 * b; }
inline const float* term_scale(const uint8_t* terms, int64_t nb) { return reinterpret_cast<const float*>(terms + 64 * nb); }
}  // namespace q6_k

// Q4_K and Q5_K: a block of 16 rows is 2368 bytes (Q4_K, 37 lines) or 2880 (Q5_K, 45): 32 chunks of
// codes, for Q5_K 8 chunks of their fifth bits, the 16 rows' 8 sub-block scales, their 8 mins, their
// F16 d and dmin. Chunk (p, m) (p 0..3, m 0..7) holds bytes qs[32p + 4m .. + 3] of each row, row r
// at 4r: low nibbles elements 64p + 4m .. + 3 (sub-block 2p), high nibbles the elements 32 on
// (sub-block 2p + 1). Fifth-bit chunk m holds qh[4m .. + 3] of each row: bits 2p and 2p + 1 of a byte
// are the fifth bits of the low and high nibble in the same place of chunk (p, m). Scales
// sub-block-major (16 bytes each, row r at r); mins by pairs of sub-blocks (32 bytes a pair, row r's
// two at 2r, 2r + 1: one 32-bit lane of two 16-bit mins once widened, for a multiply-add of pairs
// against the column's two sub-block sums).
template <bool kFifthBit>
struct k45 {
    static constexpr bool kHasTop = kFifthBit;
    static constexpr size_t kTopAt = 2048;
    static constexpr size_t kScalesAt = kFifthBit ? 2560 : 2048, kMinsAt = kScalesAt + 128, kDAt = kMinsAt + 128,
                            kDminAt = kDAt + 32, kBlockBytes = kDminAt + 32;
    static constexpr size_t group_bytes(int64_t nb) { return size_t(nb) * kBlockBytes; }
    static constexpr size_t chunk(int p, int m) { return size_t(64 * (8 * p + m)); }
    static constexpr size_t top_chunk(int m) { return kTopAt + size_t(64 * m); }
    static constexpr size_t scales_at(int j) { return kScalesAt + size_t(16 * j); }
    static constexpr size_t mins_at(int pair) { return kMinsAt + size_t(32 * pair); }
};
static_assert(k45<false>::kBlockBytes == 2368 && k45<true>::kBlockBytes == 2880, "whole lines");

namespace q4_k {
// A column's terms (Q4_K and Q5_K): per block 4 words, each two 16-bit sub-block activation sums
// (sub-blocks 2q, 2q + 1: low, high half), then the block's scale.
constexpr size_t terms_bytes(int64_t nb) { return size_t(nb) * 20; }
inline const int32_t* term_sums(const uint8_t* terms, int64_t b) { return reinterpret_cast<const int32_t*>(terms) + 4 * b; }
inline const float* term_scale(const uint8_t* terms, int64_t nb) { return reinterpret_cast<const float*>(terms + 16 * nb); }
}  // namespace q4_k

}  // namespace plinth::quant::detail::interleaved
