// RMS_NORM, one thread block per row. The precision contract: each x*x rounded to float, their sum
// kept in double (any order), the mean sum / n rounded to float once, scale = 1 / sqrt(mean + eps)
// in float (correctly rounded sqrt and division: nvcc's defaults, never fast math), then
// (x * scale) * w.
#include "kernels/common.cuh"
#include "kernels/kernels.hpp"

namespace plinth::cuda::kernels {
namespace {

constexpr int norm_threads = 256;

__global__ void rms_norm_kernel(const float* x_all, const float* w, float* dst_all, int64_t n,
                                float eps) {
    const float* x = x_all + int64_t(blockIdx.x) * n;
    float* dst = dst_all + int64_t(blockIdx.x) * n;
    double sum = 0.0;
    for (int64_t i = threadIdx.x; i < n; i += norm_threads) {
        const float v = x[i];
        sum += double(v * v);
    }
    sum = warp_sum(sum);
    __shared__ double partial[norm_threads / 32];
    __shared__ float scale_shared;
    if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = sum;
    __syncthreads();
    if (threadIdx.x == 0) {
        double total = 0.0;
        for (int k = 0; k < norm_threads / 32; ++k) total += partial[k];
        const float mean = float(total / double(n));
        scale_shared = 1.0f / sqrtf(mean + eps);
    }
    __syncthreads();
    const float scale = scale_shared;
    for (int64_t i = threadIdx.x; i < n; i += norm_threads) dst[i] = (x[i] * scale) * w[i];
}

}  // namespace

cudaError_t rms_norm(const float* x, const float* w, float* dst, int64_t n, int64_t rows, float eps, cudaStream_t stream) {
    // Rows beyond the grid's first dimension go in several launches (2^31 - 1 rows each).
    for (int64_t first = 0; first < rows;) {
        const int64_t count = rows - first < 0x7FFFFFFF ? rows - first : 0x7FFFFFFF;
        rms_norm_kernel<<<unsigned(count), norm_threads, 0, stream>>>(x + first * n, w, dst + first * n, n, eps);
        const cudaError_t e = cudaGetLastError();
        if (e != cudaSuccess) return e;
        first += count;
    }
    return cudaSuccess;
}

}  // namespace plinth::cuda::kernels
