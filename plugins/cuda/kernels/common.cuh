#pragma once
// Device helpers shared by the kernels: launch sizes, F16 rounding, and the CPU backend's exp and
// tanh, so that softmaxes and gates give its bits (plinth/compute.h asks for ~1 ulp; the same
// evaluation gives the same floats, which a quantizer downstream turns into the same codes).
//
// The plugin is compiled with --fmad=false: a * b + c is two roundings here, as on the CPU
// (-ffp-contract=off); fmaf is written where the contract fuses.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace plinth::cuda::kernels {

constexpr int threads_per_block = 256;

// Blocks for a grid-stride loop over n items (capped: each thread then takes several).
inline unsigned blocks_for(int64_t n, int per_block = threads_per_block) {
    const int64_t blocks = (n + per_block - 1) / per_block;
    return unsigned(blocks < 1 ? 1 : blocks > (int64_t(1) << 20) ? (int64_t(1) << 20) : blocks);
}

__device__ inline int64_t global_index() { return int64_t(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ inline int64_t global_stride() { return int64_t(gridDim.x) * blockDim.x; }

// v rounded to the nearest F16 (ties to even, overflow to inf), back as a float.
__device__ inline float f16_round(float v) { return __half2float(__float2half_rn(v)); }

// The CPU backend's exp_float (plugins/cpu/ops/vec.hpp), operation for operation: x clamped to
// [-104, 88.8]; k = x log2(e) rounded to even in float; r = (x - k ln2_hi) - k ln2_lo in double;
// exp(r) by its Taylor series to r^13 / 13! in Horner form; times 2^k; rounded to float once.
__device__ inline float exp_float(float x_in) {
    float x = x_in != x_in ? 0.0f : x_in;
    x = x < -104.0f ? -104.0f : x;
    x = x > 88.8f ? 88.8f : x;
    const float k_float = __fsub_rn(__fadd_rn(__fmul_rn(x, 1.44269504f), 12582912.0f), 12582912.0f);
    const int k_int = int(k_float);
    const double k = double(k_float);
    const double r = __dsub_rn(__dsub_rn(double(x), __dmul_rn(k, 6.93147180369123816490e-01)),
                               __dmul_rn(k, 1.90821492927058770002e-10));
    double p = 1.0 / 6227020800.0;
    p = __dadd_rn(__dmul_rn(p, r), 1.0 / 479001600.0);
    p = __dadd_rn(__dmul_rn(p, r), 1.0 / 39916800.0);
    p = __dadd_rn(__dmul_rn(p, r), 1.0 / 3628800.0);
    p = __dadd_rn(__dmul_rn(p, r), 1.0 / 362880.0);
    p = __dadd_rn(__dmul_rn(p, r), 1.0 / 40320.0);
    p = __dadd_rn(__dmul_rn(p, r), 1.0 / 5040.0);
    p = __dadd_rn(__dmul_rn(p, r), 1.0 / 720.0);
    p = __dadd_rn(__dmul_rn(p, r), 1.0 / 120.0);
    p = __dadd_rn(__dmul_rn(p, r), 1.0 / 24.0);
    p = __dadd_rn(__dmul_rn(p, r), 1.0 / 6.0);
    p = __dadd_rn(__dmul_rn(p, r), 0.5);
    p = __dadd_rn(__dmul_rn(p, r), 1.0);
    p = __dadd_rn(__dmul_rn(p, r), 1.0);
    const double scale = __longlong_as_double((long long)(k_int + 1023) << 52);  // 2^k, a normal double
    return x_in != x_in ? x_in : float(__dmul_rn(p, scale));
}

// tanh to within an ulp: the double tanh rounded to float (the CPU takes tanhf from the C library;
// both are nearly always the correctly rounded value).
__device__ inline float tanh_float(float x) { return float(tanh(double(x))); }

// Sums across a warp (every lane gets the total). Doubles for the sums the contract keeps "as if
// in double".
__device__ inline double warp_sum(double v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xFFFFFFFFu, v, offset);
    return v;
}
__device__ inline float warp_sum(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xFFFFFFFFu, v, offset);
    return v;
}

}  // namespace plinth::cuda::kernels
