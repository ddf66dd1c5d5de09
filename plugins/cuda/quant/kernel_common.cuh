#pragma once
// What the weight kernels' .cu files share (internal to plugins/cuda/quant): the activation row
// layout in the scratch buffer, warp reductions, the type dispatch, and the activation quantizer
// that MATMUL and MATMUL_EXPERTS run first.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <plinth/weight_types.h>

#include "block_math.cuh"
#include "weight_kernels.hpp"

namespace plinth::cuda {

constexpr unsigned kFullWarp = 0xFFFFFFFFu;

// The activation format of a weight type's dot product (weight_formats::activation_type, restated
// here so the plugin needs no host library): Q8_0, Q8_1, Q8_K, F16, or F32 (as given).
inline uint32_t activation_type_of(uint32_t weight_type) {
    switch (weight_type) {
    case PLINTH_TYPE_Q4_0: case PLINTH_TYPE_Q5_0: case PLINTH_TYPE_Q8_0: return PLINTH_TYPE_Q8_0;
    case PLINTH_TYPE_Q4_1: case PLINTH_TYPE_Q5_1: return PLINTH_TYPE_Q8_1;
    case PLINTH_TYPE_Q2_K: case PLINTH_TYPE_Q3_K: case PLINTH_TYPE_Q4_K: case PLINTH_TYPE_Q5_K:
    case PLINTH_TYPE_Q6_K: return PLINTH_TYPE_Q8_K;
    case PLINTH_TYPE_F16: return PLINTH_TYPE_F16;
    default: return PLINTH_TYPE_F32;
    }
}

// Bytes of one column of K values in `type` (K a whole number of its blocks): the scratch holds
// the columns back to back, each exactly as weight_formats::quantize_row writes a row.
inline size_t row_bytes_of(uint32_t type, int64_t K) {
    const plinth_weight_type_traits t = plinth_weight_type_info(type);
    return t.block_size ? size_t(K / t.block_size) * t.block_bytes : 0;
}

// Quantizes `columns` F32 columns of K values (x [K, columns]) into `act_type` in `out`, column c
// at c * row_bytes_of(act_type, K). act_type: Q8_0, Q8_1, Q8_K or F16. (quantize_activations.cu)
cudaError_t quantize_activations(uint32_t act_type, const float* x, void* out, int64_t K, int64_t columns,
                                 cudaStream_t stream);

// ---- warp reductions ---------------------------------------------------------------------------

#ifdef __CUDACC__
__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v = bm::add(v, __shfl_xor_sync(kFullWarp, v, o));
    return v;
}
__device__ __forceinline__ double warp_sum(double v) {
    for (int o = 16; o > 0; o >>= 1) v = __dadd_rn(v, __shfl_xor_sync(kFullWarp, v, o));
    return v;
}
__device__ __forceinline__ int warp_sum(int v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFullWarp, v, o);
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = bm::max_of(v, __shfl_xor_sync(kFullWarp, v, o));
    return v;
}
#endif

// ---- type dispatch -------------------------------------------------------------------------------

template <uint32_t Type>
using type_tag = std::integral_constant<uint32_t, Type>;

__host__ __device__ constexpr bool is_float_type(uint32_t type) {
    return type == PLINTH_TYPE_F32 || type == PLINTH_TYPE_F16 || type == PLINTH_TYPE_BF16;
}

// Calls fn(type_tag<T>{}) for a type the kernels take (weight_type_supported); false for any other.
template <class Fn>
bool dispatch_weight_type(uint32_t type, Fn&& fn) {
    switch (type) {
    case PLINTH_TYPE_F32: fn(type_tag<PLINTH_TYPE_F32>{}); return true;
    case PLINTH_TYPE_F16: fn(type_tag<PLINTH_TYPE_F16>{}); return true;
    case PLINTH_TYPE_BF16: fn(type_tag<PLINTH_TYPE_BF16>{}); return true;
    case PLINTH_TYPE_Q4_0: fn(type_tag<PLINTH_TYPE_Q4_0>{}); return true;
    case PLINTH_TYPE_Q4_1: fn(type_tag<PLINTH_TYPE_Q4_1>{}); return true;
    case PLINTH_TYPE_Q5_0: fn(type_tag<PLINTH_TYPE_Q5_0>{}); return true;
    case PLINTH_TYPE_Q5_1: fn(type_tag<PLINTH_TYPE_Q5_1>{}); return true;
    case PLINTH_TYPE_Q8_0: fn(type_tag<PLINTH_TYPE_Q8_0>{}); return true;
    case PLINTH_TYPE_Q2_K: fn(type_tag<PLINTH_TYPE_Q2_K>{}); return true;
    case PLINTH_TYPE_Q3_K: fn(type_tag<PLINTH_TYPE_Q3_K>{}); return true;
    case PLINTH_TYPE_Q4_K: fn(type_tag<PLINTH_TYPE_Q4_K>{}); return true;
    case PLINTH_TYPE_Q5_K: fn(type_tag<PLINTH_TYPE_Q5_K>{}); return true;
    case PLINTH_TYPE_Q6_K: fn(type_tag<PLINTH_TYPE_Q6_K>{}); return true;
    default: return false;
    }
}

// Elements per block of a type the kernels take (1 for F32 / F16 / BF16).
inline int64_t block_elems(uint32_t type) { return plinth_weight_type_info(type).block_size; }

// Launch-shape arithmetic: ceil(a / b) for positive b.
PLINTH_HD int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace plinth::cuda
