// KV_STORE, one thread block per token: its row of F32 values into the cache at its slot, as F32
// or F16 (round to nearest even), bit-exact. A slot out of range is skipped and flagged. When two
// tokens name one slot the later one's row is kept: a row steps aside if a later token names its
// slot, so the result does not depend on the order blocks run in.
#include "kernels/common.cuh"
#include "kernels/kernels.hpp"

namespace plinth::cuda::kernels {
namespace {

constexpr int store_threads = 256;

template <bool F16>
__global__ void kv_store_kernel(const float* __restrict__ x, void* cache, const int32_t* __restrict__ slots, int64_t n,
                                int64_t tokens, int64_t cache_slots, uint32_t* error_flag) {
    const int64_t t = blockIdx.x;
    const int32_t slot = slots[t];
    if (slot < 0 || slot >= cache_slots) {
        if (threadIdx.x == 0) *error_flag = 1;
        return;
    }
    __shared__ int superseded;
    if (threadIdx.x == 0) superseded = 0;
    __syncthreads();
    for (int64_t u = t + 1 + threadIdx.x; u < tokens; u += store_threads)
        if (slots[u] == slot) superseded = 1;
    __syncthreads();
    if (superseded) return;
    const float* row = x + t * n;
    if constexpr (F16) {
        __half* c = static_cast<__half*>(cache) + int64_t(slot) * n;
        for (int64_t i = threadIdx.x; i < n; i += store_threads) c[i] = __float2half_rn(row[i]);
    } else {
        float* c = static_cast<float*>(cache) + int64_t(slot) * n;
        for (int64_t i = threadIdx.x; i < n; i += store_threads) c[i] = row[i];
    }
}

}  // namespace

cudaError_t kv_store(const float* x, void* cache, bool cache_f16, const int32_t* slots, int64_t n, int64_t tokens,
                     int64_t cache_slots, uint32_t* error_flag, cudaStream_t stream) {
    if (tokens > 0x7FFFFFFF) return cudaErrorInvalidValue;
    if (cache_f16)
        kv_store_kernel<true><<<unsigned(tokens), store_threads, 0, stream>>>(x, cache, slots, n, tokens, cache_slots, error_flag);
    else
        kv_store_kernel<false><<<unsigned(tokens), store_threads, 0, stream>>>(x, cache, slots, n, tokens, cache_slots, error_flag);
    return cudaGetLastError();
}

}  // namespace plinth::cuda::kernels
