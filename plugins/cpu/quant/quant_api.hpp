#pragma once
// plinth::quant — the weight formats of the CPU backend: row (de)quantization, the reference dot
// products, and the SIMD dot products chosen at run time. Types are numbered as in
// plinth/weight_types.h; block layouts are in block_layouts.hpp; docs/quantization.md says more.
//
// A "row" is n elements, n a multiple of the type's block size (32 or 256; 1 for F32/F16/BF16).
// Every function throws std::invalid_argument for an unsupported type or a bad n (that check is all
// they validate: pointers must be valid for row_bytes(type, n) bytes).
#include <cstddef>
#include <cstdint>

#include <plinth/weight_types.h>

namespace plinth::quant {

// F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K.
bool is_supported(uint32_t type);
// Bytes taken by n elements: n / block_size * block_bytes.
size_t row_bytes(uint32_t type, int64_t n);

void dequantize_row(uint32_t type, const void* src, float* dst, int64_t n);
// The reference quantizer: round-to-nearest for the 32-blocks, a small least-squares search of the
// sub-block scales for the K-quants. Inputs must be finite. For the activation types (F16, Q8_0,
// Q8_1, Q8_K) a SIMD kernel does the same arithmetic and writes the same bytes, several times faster.
void quantize_row(uint32_t type, const float* src, void* dst, int64_t n);

// The format the activation row of a dot product is in, for a given weight type:
//   Q4_0 Q5_0 Q8_0 Q8_1 -> Q8_0      Q4_1 Q5_1 -> Q8_1 (its block sum meets the weight's offset)
//   Q2_K .. Q6_K, Q8_K  -> Q8_K      F16 -> F16 (as the reference)
//   F32 BF16 -> F32 (weights widened to f32 on the fly)
uint32_t activation_type(uint32_t weight_type);

// The order in which a dot product of Q4_0, Q5_0 or Q8_0 weights (x Q8_0) adds its float terms;
// the integer part of each block is exact either way. Both are orders the reference (llama.cpp)
// uses, and a quantized model turns a rounding difference into code steps of the next activation
// quantizer, so the order is part of the result (docs/quantization.md, "Dot products"):
//   lanes:  8 lanes, lane k of a block the integer sum of its elements 4k .. 4k + 3, each lane one
//           chain of fused multiply-adds by d_w d_a over the blocks in order, the lanes added as
//           ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)) (the reference's plain dot product);
//   blocks: each block's whole integer sum, one chain of fused multiply-adds by d_w d_a over the
//           blocks in order (the reference's kernel for Q4_0 matrices it interleaves, row count a
//           multiple of 8).
// Every other type has one order and ignores the argument.
enum class sum_order { lanes, blocks };

// sum_i w[i] * a[i] over one row; act_row is in activation_type(weight_type) format. For the
// quantized types the per-block integer dot is exact and only the scaling is done in float.
float dot_reference(uint32_t weight_type, int64_t n, const void* w_row, const void* act_row,
                    sum_order order = sum_order::lanes);
// Same result by the fastest kernel this CPU runs (equal to dot_reference up to float rounding).
float dot(uint32_t weight_type, int64_t n, const void* w_row, const void* act_row, sum_order order = sum_order::lanes);
// out[r] = dot(row r, act) for r < rows; row r starts at w + r * w_row_stride_bytes. One thread:
// callers split the rows across threads.
void matvec(uint32_t weight_type, int64_t rows, int64_t n, const void* w, size_t w_row_stride_bytes,
            const void* act, float* out, sum_order order = sum_order::lanes);

// Many columns at once: out[c * out_col_stride + r] = dot(row r, column c) for r < rows, c < cols,
// bit for bit (the same float operations in the same order per row and column as dot() with this
// order, at every dispatch level); column c starts at act + c * act_col_stride_bytes. Where the
// active level has a multi-column kernel for the type, each weight block is unpacked once for a
// group of columns instead of once per column (prefill). One thread, as matvec.
void gemm(uint32_t weight_type, int64_t rows, int64_t n, const void* w, size_t w_row_stride_bytes, int64_t cols,
          const void* act, size_t act_col_stride_bytes, float* out, int64_t out_col_stride,
          sum_order order = sum_order::lanes);

// The SIMD path dot()/matvec() use: "avx512" (F+BW+VL+VNNI), "avx2" (AVX2+FMA+F16C), "neon" (AArch64
// with the dot-product extension) or "scalar".
const char* dispatch_name();
// Forces a path ("avx512", "avx2", "neon", "scalar", or "auto" for the best one); false, with nothing
// changed, when this CPU (or this build) cannot run it. For tests and benchmarks: not to be called
// while other threads are calling dot().
bool set_dispatch_for_testing(const char* name);

}  // namespace plinth::quant
