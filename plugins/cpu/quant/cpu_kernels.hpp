#pragma once
// plinth::quant — the CPU backend's kernels for the weight formats of plinth::weight_formats
// (<plinth/weight_formats.hpp>): dot products, matrix-vector and many-column products, and the
// activation quantizers, each by the fastest SIMD level this CPU runs (AVX-512, AVX2, NEON, or the
// formats' reference code), chosen at run time. Every kernel gives the reference's bits where the
// formats say so (docs/quantization.md, "Dot products").
//
// As in weight_formats, every function throws std::invalid_argument for an unsupported type or a
// row length that is not whole blocks; nothing else is validated.
#include <cstddef>
#include <cstdint>

#include <plinth/weight_formats.hpp>

namespace plinth::quant {

// The order a dot product of Q4_0, Q5_0 or Q8_0 weights sums in: the formats' (part of the result).
using weight_formats::sum_order;

// The bytes of weight_formats::quantize_row, by this CPU's SIMD kernel for the activation types
// (F16, Q8_0, Q8_1, Q8_K: several times faster), by the reference quantizer for any other type.
void quantize_row(uint32_t type, const float* src, void* dst, int64_t n);

// weight_formats::dot_reference by the fastest kernel this CPU runs (equal up to float rounding,
// and bit for bit where the order is part of the result).
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

// ---- Weights in the kernels' own interleaved layout (docs/quantization.md, "Interleaved weights"):
// 16 rows' blocks side by side, so that one SIMD register holds one block of 16 rows and each row's
// sum stays in its lane; a matrix streams from memory as one sequence. A backend makes the copy once
// (interleave) and multiplies through gemm_interleaved.

// True when interleave() takes a matrix of this type and shape: Q4_0, Q8_0, Q4_K, Q5_K or Q6_K,
// rows a multiple of 16.
bool interleavable(uint32_t weight_type, int64_t rows, int64_t n);
// True when the best level this CPU runs has a SIMD kernel for the type's interleaved layout (else
// only the scalar one, slower than the file layout's kernels: a backend should not interleave).
bool interleaving_pays(uint32_t weight_type);
// Bytes of the interleaved copy of a rows x n matrix; its storage must be 64-byte aligned.
size_t interleaved_bytes(uint32_t weight_type, int64_t rows, int64_t n);
// Writes the interleaved copy of the matrix whose row r starts at w + r * w_row_stride_bytes.
void interleave(uint32_t weight_type, int64_t rows, int64_t n, const void* w, size_t w_row_stride_bytes, void* out);
// What the interleaved kernels take per activation column besides the column itself (in the
// weight type's activation format): column_terms_bytes(type, n) bytes (a multiple of 8; 4-byte
// aligned storage), written by column_terms from the column.
size_t column_terms_bytes(uint32_t weight_type, int64_t n);
void column_terms(uint32_t weight_type, int64_t n, const void* act, void* terms);
// gemm(..., sum_order::blocks) bit for bit, for rows [row0, row0 + rows) of an interleaved matrix
// (row0 and rows multiples of 16): out[c * out_col_stride + r - row0] for column c at
// act + c * act_col_stride_bytes with its terms at terms + c * terms_col_stride_bytes. One thread.
void gemm_interleaved(uint32_t weight_type, int64_t n, const void* packed, int64_t row0, int64_t rows, int64_t cols,
                      const void* act, size_t act_col_stride_bytes, const void* terms, size_t terms_col_stride_bytes,
                      float* out, int64_t out_col_stride);

// The SIMD path dot()/matvec() use: "avx512" (F+BW+VL+VNNI), "avx2" (AVX2+FMA+F16C), "neon" (AArch64
// with the dot-product extension) or "scalar" (the reference dot products).
const char* dispatch_name();
// Forces a path ("avx512", "avx2", "neon", "scalar", or "auto" for the best one); false, with nothing
// changed, when this CPU (or this build) cannot run it. For tests and benchmarks: not to be called
// while other threads are calling dot().
bool set_dispatch_for_testing(const char* name);

// The cache level the kernels' software prefetches of weight rows fill (prefetch_target.hpp):
// "auto" (l2 on AMD CPUs, l1 elsewhere; the starting value), "l1" or "l2". False for anything
// else, nothing changed; not to be called while kernels run.
bool set_weight_prefetch(const char* name);

}  // namespace plinth::quant
