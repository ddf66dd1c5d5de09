#pragma once
// One warp's dot products of one weight row with up to kMaxCols activation columns (internal to
// plugins/cuda/quant; MATMUL's matrix-vector kernel and MATMUL_EXPERTS use it). Each weight block
// is read once and met with every column, so a batch of up to kMaxCols tokens reads the weights
// once. Every lane ends with the whole sums.
//
//   32-blocks   lane l takes blocks l, l + 32, ...: one block_dot (dp4a) per block and column,
//               summed per lane in float, then across the warp.
//   K-quants    8 lanes per super-block, lane p of the group piece p (32 elements); the group adds
//               its pieces' integers exactly (shuffles), lane 0 of the group adds the super-block's
//               float term (the CPU's bits per super-block), then float across the warp.
//   F32, BF16   lane l takes elements l, l + 32, ...: fmaf over the F32 activations.
//   F16         the same over F16 activations; products exact in float, summed in double, rounded
//               once at the end.
#include "kernel_common.cuh"

namespace plinth::cuda {

constexpr int kMaxCols = 8;

// act: column 0's activations; column c at act + c * act_stride bytes.
template <uint32_t Type>
struct RowDot {
    using WT = bm::weight<Type>;
    using W = typename WT::block;
    using A = typename WT::act_block;

    __device__ static void run(const uint8_t* __restrict__ w_row, const uint8_t* __restrict__ act, size_t act_stride,
                               int cols, int64_t K, int lane, float (&out)[kMaxCols]) {
        const auto* w = reinterpret_cast<const W*>(w_row);
        const int64_t nb = K / WT::elems;
        float acc[kMaxCols] = {};
        if constexpr (WT::k_quant) {
            const int p = lane & 7;
            const unsigned group = 0xFFu << (lane & 24);
            for (int64_t b = lane >> 3; b < nb; b += 4) {
#pragma unroll
                for (int c = 0; c < kMaxCols; ++c) {
                    if (c >= cols) break;
                    const A& a = reinterpret_cast<const A*>(act + c * act_stride)[b];
                    bm::KSums s = bm::kpiece(w[b], a, p);
                    for (int o = 1; o < 8; o <<= 1) {
                        s.isum += __shfl_xor_sync(group, s.isum, o);
                        s.msum += __shfl_xor_sync(group, s.msum, o);
                    }
                    if (p == 0) acc[c] = bm::add(acc[c], bm::kterm(w[b], a, s));
                }
            }
        } else {
            for (int64_t b = lane; b < nb; b += 32) {
                const W wb = w[b];  // into registers once, met with every column
#pragma unroll
                for (int c = 0; c < kMaxCols; ++c) {
                    if (c >= cols) break;
                    acc[c] = bm::add(acc[c], bm::block_dot(wb, reinterpret_cast<const A*>(act + c * act_stride)[b]));
                }
            }
        }
#pragma unroll
        for (int c = 0; c < kMaxCols; ++c) out[c] = c < cols ? warp_sum(acc[c]) : 0.0f;
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
                               int cols, int64_t K, int lane, float (&out)[kMaxCols]) {
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
                               int cols, int64_t K, int lane, float (&out)[kMaxCols]) {
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
