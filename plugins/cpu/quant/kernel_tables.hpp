#pragma once
// Internal: the kernels of each SIMD level (dot products, and activation quantizers that give the
// reference's bytes faster), as tables indexed by type.
// Included by the AVX2 / AVX-512 / NEON translation units, so it declares data only (see
// <plinth/weight_formats/block_layouts.hpp> for why no shared inline code).
#include <cstddef>
#include <cstdint>

#include <plinth/weight_formats.hpp>
#include <plinth/weight_types.h>

namespace plinth::quant::detail {

// The kernels are written in the formats' terms: block layouts, codes, f16 scales.
using namespace plinth::weight_formats;

// sum_i w[i] * a[i] over n elements; a is in activation_type(weight type) format.
using DotFn = float (*)(int64_t n, const void* w, const void* a);
// quantize_row for one type; must write exactly the bytes weight_formats::quantize_row writes.
using QuantizeFn = void (*)(const float* x, void* y, int64_t n);

// out[c * out_stride + r] = dot(row r, column c), bit for bit the dot kernel of the same table
// entry (rows at w + r * w_stride, columns at a + c * a_stride).
using GemmFn = void (*)(int64_t rows, int64_t n, const void* w, size_t w_stride, int64_t cols, const void* a,
                        size_t a_stride, float* out, int64_t out_stride);

// gemm over weights in the interleaved layout (interleaved_layout.hpp, which says what it takes):
// bit for bit dot_blocks, at every level.
using InterleavedFn = void (*)(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                               size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out,
                               int64_t out_stride);
// interleaved.cpp: the scalar kernel for a type (null where the type has no interleaved layout).
InterleavedFn reference_interleaved_kernel(uint32_t weight_type);

struct KernelTable {
    const char* name;
    // null: this level has no kernel of its own for the type, the next one down serves
    DotFn dot[PLINTH_TYPE_COUNT_];
    // sum_order::blocks (Q4_0, Q5_0, Q8_0 only; null elsewhere): one fused multiply-add chain over
    // the whole-block integer sums, in block order
    DotFn dot_blocks[PLINTH_TYPE_COUNT_];
    // multi-column kernels, each bit-identical to the dot / dot_blocks entry of the same level (null:
    // the columns go one by one through dot); dispatch takes a level's gemm only with its own dot
    GemmFn gemm[PLINTH_TYPE_COUNT_];
    GemmFn gemm_blocks[PLINTH_TYPE_COUNT_];
    QuantizeFn quantize[PLINTH_TYPE_COUNT_];  // the activation types only (F16, Q8_0, Q8_1, Q8_K)
    InterleavedFn interleaved[PLINTH_TYPE_COUNT_];  // the types with an interleaved layout (Q4_0, Q8_0, Q4_K, Q5_K, Q6_K)
};

// dispatch.cpp: the table in use (set_dispatch_for_testing may change it), and the best one this CPU runs.
const KernelTable& active_table();
const KernelTable& best_table();

#if PLINTH_QUANT_NEON
extern const KernelTable kNeonTable;  // dot_neon.cpp (AArch64, +dotprod)
#endif
#if PLINTH_QUANT_X86_SIMD
extern const KernelTable kAvx2Table;    // dot_avx2.cpp   (-mavx2 -mfma -mf16c)
extern const KernelTable kAvx512Table;  // dot_avx512.cpp (+ -mavx512f -mavx512bw -mavx512vl -mavx512vnni)

// gemm_q32_avx512.cpp (Q4_0, Q5_0, Q8_0) and gemm_kquant_avx512.cpp (Q4_K, Q5_K, Q6_K): the
// multi-column kernels kAvx512Table lists (same flags, same rules).
using GemmKernel = void(int64_t rows, int64_t n, const void* w, size_t w_stride, int64_t cols, const void* a,
                        size_t a_stride, float* out, int64_t out_stride);
// gemm_q32_avx2.cpp: the multi-column kernels kAvx2Table lists for Q4_0, Q5_0, Q8_0 (same flags as
// dot_avx2.cpp), and the K-quants' below.
namespace avx2 {
GemmKernel gemm_q4_0, gemm_q5_0, gemm_q8_0, gemm_q4_0_blocks, gemm_q5_0_blocks, gemm_q8_0_blocks;
// gemm_kquant_avx2.cpp: the K-quants' panel kernels, over the row-group kernels of dot_avx2.cpp
// (rows_*), which take the columns a panel does not.
GemmKernel gemm_q4_k, gemm_q5_k, gemm_q6_k, rows_q4_k, rows_q5_k, rows_q6_k;
}  // namespace avx2
namespace avx512 {
GemmKernel gemm_q4_0, gemm_q5_0, gemm_q8_0, gemm_q4_0_blocks, gemm_q5_0_blocks, gemm_q8_0_blocks;
GemmKernel gemm_q4_k, gemm_q5_k, gemm_q6_k;
// gemm_q4_0_blocks with gemm_q4_0_vbmi.cpp's row kernel for the columns the panels leave
// (decoding): dispatch.cpp takes it where the CPU has AVX-512 VBMI.
GemmKernel gemm_q4_0_blocks_vbmi;
}  // namespace avx512
// gemm_{q4_0,q8_0,q45_k,q6_k}_x16_{avx2,avx512}.cpp: those types over their interleaved layouts.
using InterleavedKernel = void(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                               size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride);
namespace avx2 {
InterleavedKernel gemm_q4_0_interleaved, gemm_q8_0_interleaved, gemm_q4_k_interleaved, gemm_q5_k_interleaved,
    gemm_q6_k_interleaved;
}  // namespace avx2
namespace avx512 {
InterleavedKernel gemm_q4_0_interleaved, gemm_q8_0_interleaved, gemm_q4_k_interleaved, gemm_q5_k_interleaved,
    gemm_q6_k_interleaved;
}  // namespace avx512
// gemm_q4_0_vbmi.cpp (+ -mavx512vbmi): Q4_0 in the blocks order, one column at a time.
namespace avx512vbmi {
GemmKernel rows_q4_0_blocks;
}  // namespace avx512vbmi
#endif

}  // namespace plinth::quant::detail
