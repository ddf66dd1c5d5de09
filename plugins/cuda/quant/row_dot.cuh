#pragma once
// One warp's dot products of one weight row with up to kMaxCols activation columns (internal to
// plugins/cuda/quant; MATMUL's matrix-vector kernel and MATMUL_EXPERTS use it). Each weight block
// is read once and met with every column, so a batch of up to kMaxCols tokens reads the weights
// once. Every lane ends with the whole sums.
//
//   32-blocks   lane l takes blocks l, l + 32, ...: one block_dot (dp4a) per block and column,
//               summed per lane in float, then across the warp. Given a staging buffer (rows whose
//               bytes are 16-byte aligned), the warp first copies each run of 32 blocks with
//               coalesced 16-byte loads into shared memory and each lane takes its block from there
//               (the blocks are 18..34 bytes, so a lane's own loads would be 2-byte ones).
//   K-quants    8 lanes per super-block, lane p of the group piece p (32 elements, unpacked once
//               for all columns); the group adds its pieces' integers exactly (shuffles), lane 0 of
//               the group adds the super-block's float term (the CPU's bits per super-block), then
//               float across the warp.
//   F32, BF16   lane l takes elements l, l + 32, ...: fmaf over the F32 activations.
//   F16         the same over F16 activations; products exact in float, summed in double, rounded
//               once at the end.
#include "kernel_common.cuh"

namespace plinth::cuda {

constexpr int kMaxCols = 8;

// 16-byte words of shared memory one warp needs to stage 32 blocks of Type (0: it never stages).
template <uint32_t Type>
__host__ __device__ constexpr int stage_words() {
    if constexpr (is_float_type(Type)) return 0;
    else if constexpr (bm::weight<Type>::k_quant) return 0;
    else return int(32 * sizeof(typename bm::weight<Type>::block) / 16);
}
template <uint32_t Type>
__host__ __device__ constexpr bool stages_whole_words() {
    if constexpr (stage_words<Type>() == 0) return true;
    else return 32 * sizeof(typename bm::weight<Type>::block) % 16 == 0;
}
// The shared array's size (a zero-length array is not allowed).
template <uint32_t Type>
__host__ __device__ constexpr int stage_words_alloc() { return stage_words<Type>() > 0 ? stage_words<Type>() : 1; }
static_assert(stages_whole_words<PLINTH_TYPE_Q4_0>() && stages_whole_words<PLINTH_TYPE_Q4_1>() &&
                  stages_whole_words<PLINTH_TYPE_Q5_0>() && stages_whole_words<PLINTH_TYPE_Q5_1>() &&
                  stages_whole_words<PLINTH_TYPE_Q8_0>(),
              "32 blocks of every 32-block type are a whole number of 16-byte words");

// Whether a row's blocks can be staged with 16-byte loads: every row and so every run of 32
// blocks starts 16-byte aligned.
inline bool rows_aligned16(const void* w, size_t row_bytes) {
    return reinterpret_cast<uintptr_t>(w) % 16 == 0 && row_bytes % 16 == 0;
}

// A block copied as 16-bit words (every block is 2-byte aligned; a plain struct copy reads the
// byte arrays byte by byte).
template <class W>
__device__ __forceinline__ W block_from_words(const W* src) {
    union {
        W block;
        uint16_t words[sizeof(W) / 2];
    } u;
    const auto* s = reinterpret_cast<const uint16_t*>(src);
#pragma unroll
    for (int i = 0; i < int(sizeof(W) / 2); ++i) u.words[i] = s[i];
    return u.block;
}

// act: column 0's activations; column c at act + c * act_stride bytes.
template <uint32_t Type>
struct RowDot {
    using WT = bm::weight<Type>;
    using W = typename WT::block;
    using A = typename WT::act_block;

    // stage: this warp's stage_words<Type>() words of shared memory, or null (w_row not 16-byte
    // aligned, or a type that never stages).
    __device__ static void run(const uint8_t* __restrict__ w_row, const uint8_t* __restrict__ act, size_t act_stride,
                               int cols, int64_t K, int lane, float (&out)[kMaxCols], uint4* stage = nullptr) {
        const auto* w = reinterpret_cast<const W*>(w_row);
        const int64_t nb = K / WT::elems;
        float acc[kMaxCols] = {};
        if constexpr (WT::k_quant) {
            const int p = lane & 7;
            const unsigned group = 0xFFu << (lane & 24);
            for (int64_t b = lane >> 3; b < nb; b += 4) {
                const bm::KPiece piece = bm::kpiece_weights(w[b], p);  // unpacked once, met with every column
#pragma unroll
                for (int c = 0; c < kMaxCols; ++c) {
                    if (c >= cols) break;
                    const A& a = reinterpret_cast<const A*>(act + c * act_stride)[b];
                    bm::KSums s = bm::kpiece_dot(piece, a, p);
                    for (int o = 1; o < 8; o <<= 1) {
                        s.isum += __shfl_xor_sync(group, s.isum, o);
                        s.msum += __shfl_xor_sync(group, s.msum, o);
                    }
                    if (p == 0) acc[c] = bm::add(acc[c], bm::kterm(w[b], a, s));
                }
            }
        } else {
            int64_t b = lane;
            if (stage) {
                constexpr int kWords = stage_words<Type>();
                for (; b - lane + 32 <= nb; b += 32) {  // whole runs of 32 blocks
                    const uint4* src = reinterpret_cast<const uint4*>(w + (b - lane));
                    for (int i = lane; i < kWords; i += 32) stage[i] = src[i];
                    __syncwarp();
                    const W wb = block_from_words<W>(reinterpret_cast<const W*>(stage) + lane);
                    __syncwarp();  // everyone has its block before the next run overwrites them
                    add_block(wb, act, act_stride, b, cols, acc);
                }
            }
            for (; b < nb; b += 32) add_block(block_from_words(w + b), act, act_stride, b, cols, acc);  // the rest
        }
#pragma unroll
        for (int c = 0; c < kMaxCols; ++c) out[c] = c < cols ? warp_sum(acc[c]) : 0.0f;
    }

    // Block b of the row (in registers once) met with every column.
    __device__ static void add_block(const W wb, const uint8_t* __restrict__ act, size_t act_stride, int64_t b, int cols,
                                     float (&acc)[kMaxCols]) {
#pragma unroll
        for (int c = 0; c < kMaxCols; ++c) {
            if (c >= cols) break;
            acc[c] = bm::add(acc[c], bm::block_dot(wb, reinterpret_cast<const A*>(act + c * act_stride)[b]));
        }
    }
};

// F32 and BF16 weights: F32 activations as given.
template <uint32_t Type>
struct RowDotFloat {
    __device__ static float weight(const uint8_t* w_row, int64_t i) {
        if constexpr (Type == PLINTH_TYPE_F32) return reinterpret_cast<const float*>(w_row)[i];
        else return bm::bf16_to_f32(reinterpret_cast<const uint16_t*>(w_row)[i]);
    }
    __device__ static void run(const uint8_t* __restrict__ w_row, const uint8_t* __restrict__ act, size_t act_stride,
                               int cols, int64_t K, int lane, float (&out)[kMaxCols], uint4* = nullptr) {
        float acc[kMaxCols] = {};
        for (int64_t i = lane; i < K; i += 32) {
            const float wv = weight(w_row, i);
#pragma unroll
            for (int c = 0; c < kMaxCols; ++c) {
                if (c >= cols) break;
                acc[c] = fmaf(wv, reinterpret_cast<const float*>(act + c * act_stride)[i], acc[c]);
            }
        }
#pragma unroll
        for (int c = 0; c < kMaxCols; ++c) out[c] = c < cols ? warp_sum(acc[c]) : 0.0f;
    }
};
template <>
struct RowDot<PLINTH_TYPE_F32> : RowDotFloat<PLINTH_TYPE_F32> {};
template <>
struct RowDot<PLINTH_TYPE_BF16> : RowDotFloat<PLINTH_TYPE_BF16> {};

// F16 weights x F16 activations: each product exact in float, the sum kept in double.
template <>
struct RowDot<PLINTH_TYPE_F16> {
    __device__ static void run(const uint8_t* __restrict__ w_row, const uint8_t* __restrict__ act, size_t act_stride,
                               int cols, int64_t K, int lane, float (&out)[kMaxCols], uint4* = nullptr) {
        const auto* w = reinterpret_cast<const uint16_t*>(w_row);
        double acc[kMaxCols] = {};
        for (int64_t i = lane; i < K; i += 32) {
            const float wv = bm::f16_to_f32(w[i]);
#pragma unroll
            for (int c = 0; c < kMaxCols; ++c) {
                if (c >= cols) break;
                const float av = bm::f16_to_f32(reinterpret_cast<const uint16_t*>(act + c * act_stride)[i]);
                acc[c] = __dadd_rn(acc[c], double(bm::mul(wv, av)));
            }
        }
#pragma unroll
        for (int c = 0; c < kMaxCols; ++c) out[c] = c < cols ? float(warp_sum(acc[c])) : 0.0f;
    }
};

}  // namespace plinth::cuda
