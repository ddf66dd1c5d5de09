// GET_ROWS: dst[:, t] = row rows[t] of src as F32, each element decoded by block_math (the
// format's formula, rounded as weight_formats::dequantize_row rounds it). One thread block of 256
// threads per output column, threads over the row's elements (consecutive threads, consecutive
// outputs: coalesced stores). A row index out of range writes zeros and raises the error flag.
#include "kernel_common.cuh"

namespace plinth::cuda {
namespace {

constexpr int kThreads = 256;

template <uint32_t Type>
__device__ float decode_element(const uint8_t* row, int64_t i) {
    if constexpr (Type == PLINTH_TYPE_F32) {
        return reinterpret_cast<const float*>(row)[i];
    } else if constexpr (Type == PLINTH_TYPE_F16) {
        return bm::f16_to_f32(reinterpret_cast<const uint16_t*>(row)[i]);
    } else if constexpr (Type == PLINTH_TYPE_BF16) {
        return bm::bf16_to_f32(reinterpret_cast<const uint16_t*>(row)[i]);
    } else {
        using WT = bm::weight<Type>;
        return bm::decode(reinterpret_cast<const typename WT::block*>(row)[i / WT::elems], int(i % WT::elems));
    }
}

template <uint32_t Type>
__global__ void __launch_bounds__(kThreads)
    get_rows_kernel(const uint8_t* __restrict__ src, size_t row_bytes, const int32_t* __restrict__ rows,
                    float* __restrict__ dst, int64_t n, int64_t n_rows, uint32_t* error_flag) {
    const int64_t t = blockIdx.x;
    const int32_t row = rows[t];
    float* out = dst + t * n;
    if (row < 0 || row >= n_rows) {
        for (int64_t i = threadIdx.x; i < n; i += kThreads) out[i] = 0.0f;
        if (threadIdx.x == 0) *error_flag = 1u;
        return;
    }
    const uint8_t* in = src + size_t(row) * row_bytes;
    for (int64_t i = threadIdx.x; i < n; i += kThreads) out[i] = decode_element<Type>(in, i);
}

}  // namespace

cudaError_t get_rows(uint32_t type, const void* src, const int32_t* rows, float* dst, int64_t n, int64_t n_rows,
                     int64_t T, uint32_t* error_flag, cudaStream_t stream) {
    if (!weight_type_supported(type) || n < 0 || n_rows < 0 || T < 0 || n % block_elems(type) != 0)
        return cudaErrorInvalidValue;
    if (T == 0) return cudaSuccess;  // n == 0 still checks the indices
    const size_t row_bytes = row_bytes_of(type, n);
    dispatch_weight_type(type, [&](auto tag) {
        get_rows_kernel<decltype(tag)::value><<<unsigned(T), kThreads, 0, stream>>>(
            static_cast<const uint8_t*>(src), row_bytes, rows, dst, n, n_rows, error_flag);
    });
    return cudaGetLastError();
}

}  // namespace plinth::cuda
