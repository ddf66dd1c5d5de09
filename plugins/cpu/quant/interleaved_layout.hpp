#pragma once
// Internal: the interleaved layout of Q4_0 weights (cpu_kernels.hpp, "interleave"), which every
// level's kernel over it reads, and the per-column terms those kernels take.
//
// Rows are taken 16 at a time, and their blocks two at a time: a pair of blocks of a group of 16
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

constexpr int64_t kRows = 16;                             // rows per group
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

// out[c * out_stride + 16 g + r] = row r of group g . column c, for groups [0, groups) starting at
// `packed`, in the blocks order (bit for bit dot_blocks). Column c is at act + c * act_stride (Q8_0
// blocks), its terms at terms + c * terms_stride.
using Kernel = void (*)(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                        size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride);

}  // namespace plinth::quant::detail::interleaved
