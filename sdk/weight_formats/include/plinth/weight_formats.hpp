#pragma once
// plinth::weight_formats: the GGUF/ggml weight formats, for anything that reads or writes weights
// (the tools, the tests, any backend): which types there are rows of, their sizes, row
// (de)quantization, the activation format each weight type's dot product takes, and the reference
// dot products every backend's kernels are held to. Types are numbered as in plinth/weight_types.h;
// the block layouts are in <plinth/weight_formats/block_layouts.hpp>, the f16 / bf16 conversions in
// <plinth/weight_formats/half.hpp>; docs/quantization.md says more. The CPU backend's SIMD kernels
// (plugins/cpu/quant, plinth::quant) are built on this library and give the same bytes and bits.
//
// A "row" is n elements, n a multiple of the type's block size (32 or 256; 1 for F32/F16/BF16).
// Every function throws std::invalid_argument for an unsupported type or a bad n (that check is all
// they validate: pointers must be valid for row_bytes(type, n) bytes).
//
// C++17; link plinth::weight_formats (a static library, position-independent).
#include <cstddef>
#include <cstdint>

#include <plinth/weight_types.h>

namespace plinth::weight_formats {

// F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K.
bool is_supported(uint32_t type);
// Throws std::invalid_argument unless `type` is supported and n a non-negative multiple of its block
// size; `what` names the caller in the message ("row_bytes: 48 elements of Q4_0 is not ...").
void check_row(uint32_t type, int64_t n, const char* what);
// Bytes taken by n elements: n / block_size * block_bytes.
size_t row_bytes(uint32_t type, int64_t n);

void dequantize_row(uint32_t type, const void* src, float* dst, int64_t n);
// The reference quantizer: round-to-nearest for the 32-blocks, a small least-squares search of the
// sub-block scales for the K-quants. Inputs must be finite. For the activation types (F16, Q8_0,
// Q8_1, Q8_K) the CPU backend's SIMD kernels (plinth::quant::quantize_row) write the same bytes.
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

// dot_reference for one type and order, unchecked, as a function pointer (the CPU kernels' scalar
// level is these): null for an unsupported type, and for sum_order::blocks where the type has only
// one order.
using dot_kernel = float (*)(int64_t n, const void* w_row, const void* act_row);
dot_kernel reference_dot_kernel(uint32_t weight_type, sum_order order);

}  // namespace plinth::weight_formats
