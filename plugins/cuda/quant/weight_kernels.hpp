#pragma once
// The CUDA plugin's weight kernels (plugins/cuda/quant): the activation quantizers, MATMUL,
// GET_ROWS and MATMUL_EXPERTS, for every weight type the plugin decodes. The graph (cuda_graph)
// checks each node, then calls these with device pointers on its stream; they only enqueue work.
// Their arithmetic is the block math in block_math.cuh, which the tests also compile for the host.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace plinth::cuda {

// F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K (plinth/weight_types.h numbers).
// Any other type is refused by supports_node and runs on another backend.
bool weight_type_supported(uint32_t type);

// Device scratch bytes the activations of `columns` columns of K values take in the weight type's
// activation format (weight_formats::activation_type: Q8_0, Q8_1, Q8_K or F16); 0 where the
// kernels read F32 activations as they are (F32 and BF16 weights).
size_t activation_bytes(uint32_t weight_type, int64_t K, int64_t columns);

// dst[j, t] = sum_k W[k, j] x[k, t]: W [K, N] of `type`, x F32 [K, T], dst F32 [N, T];
// `scratch` holds at least activation_bytes(type, K, T) bytes (may be null when that is 0).
// `tensor_cores`: the device has 8-bit mma.sync (compute capability 8.0 or newer) and may use it.
cudaError_t matmul(uint32_t type, const void* w, const float* x, float* dst, int64_t K, int64_t N, int64_t T,
                   void* scratch, bool tensor_cores, cudaStream_t stream);

// dst[:, t] = row rows[t] of src ([n, n_rows] of `type`) as F32, dst [n, T]. A row index outside
// 0..n_rows-1 writes zeros for that column and sets *error_flag (device memory) to 1.
cudaError_t get_rows(uint32_t type, const void* src, const int32_t* rows, float* dst, int64_t n, int64_t n_rows,
                     int64_t T, uint32_t* error_flag, cudaStream_t stream);

// PLINTH_OP_MATMUL_EXPERTS (plinth/compute.h): W [K, N, E]; route F32 [E, T] (expert e runs for
// token t iff route[e, t] != 0, at most k of them, filling slots 0..k-1 in expert order);
// x F32 [K, T] when !x_per_slot, else [K, k, T]; weighted_sum ? dst [N, T] = sum over the slots in
// order of route[e, t] * product : dst [N, k, T] with zeros in unused slots. `scratch` holds at
// least activation_bytes(type, K, x_per_slot ? k * T : T) bytes. More than k chosen experts for a
// token sets *error_flag to 1 (that token's output is then zero).
cudaError_t matmul_experts(uint32_t type, const void* w, const float* x, const float* route, float* dst, int64_t K,
                           int64_t N, int64_t E, int64_t T, int64_t k, bool x_per_slot, bool weighted_sum,
                           void* scratch, uint32_t* error_flag, cudaStream_t stream);

}  // namespace plinth::cuda
