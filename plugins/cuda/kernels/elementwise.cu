// ADD, MUL, SWIGLU, GEGLU, SCALE and SOFTCAP, one thread per element (grid-stride), in float as the
// CPU backend computes them:
//   ADD, MUL   a + b, a * b (b one row for every row of a: the ABI 1.1 broadcast).
//   SWIGLU     a / (1 + exp_float(-a)) * b, the division correctly rounded.
//   GEGLU      g(a) * b, g(a) = the host-made F16 gelu table's entry for F16(a) (sdk::fill_gelu_f16_table),
//              a for a >= 10, 0 for a <= -10.
//   SCALE      a * f.
//   SOFTCAP    f * tanh(a * (1 / f)), 1 / f rounded once (the CPU multiplies by the reciprocal).
#include "kernels/common.cuh"
#include "kernels/kernels.hpp"

namespace plinth::cuda::kernels {
namespace {

__device__ inline float gelu_from_table(float x, const uint16_t* table) {
    if (x >= 10.0f) return x;
    if (x <= -10.0f) return 0.0f;
    const uint16_t h = __half_as_ushort(__float2half_rn(x));
    return __half2float(__ushort_as_half(table[h]));
}

template <elementwise_op Op>
__global__ void elementwise_kernel(const float* a, const float* b, float* dst, int64_t n, int64_t b_n, float f, float inv_f,
                                   const uint16_t* __restrict__ gelu_table) {
    for (int64_t i = global_index(); i < n; i += global_stride()) {
        const float x = a[i];
        float r;
        if constexpr (Op == elementwise_op::add || Op == elementwise_op::mul) {
            const float y = b[b_n == n ? i : i % b_n];
            r = Op == elementwise_op::add ? x + y : x * y;
        } else if constexpr (Op == elementwise_op::swiglu) {
            r = x / (1.0f + exp_float(-x)) * b[i];
        } else if constexpr (Op == elementwise_op::geglu) {
            r = gelu_from_table(x, gelu_table) * b[i];
        } else if constexpr (Op == elementwise_op::scale) {
            r = x * f;
        } else {
            r = f * tanh_float(x * inv_f);
        }
        dst[i] = r;
    }
}

template <elementwise_op Op>
cudaError_t launch(const elementwise_args& e, cudaStream_t stream) {
    const float inv = Op == elementwise_op::softcap ? 1.0f / e.f : 0.0f;
    elementwise_kernel<Op><<<blocks_for(e.elements), threads_per_block, 0, stream>>>(e.a, e.b, e.dst, e.elements,
                                                                                    e.b_elements, e.f, inv, e.gelu_table);
    return cudaGetLastError();
}

}  // namespace

cudaError_t elementwise(const elementwise_args& e, cudaStream_t stream) {
    switch (e.op) {
    case elementwise_op::add: return launch<elementwise_op::add>(e, stream);
    case elementwise_op::mul: return launch<elementwise_op::mul>(e, stream);
    case elementwise_op::swiglu: return launch<elementwise_op::swiglu>(e, stream);
    case elementwise_op::geglu: return launch<elementwise_op::geglu>(e, stream);
    case elementwise_op::scale: return launch<elementwise_op::scale>(e, stream);
    case elementwise_op::softcap: return launch<elementwise_op::softcap>(e, stream);
    }
    return cudaErrorInvalidValue;
}

}  // namespace plinth::cuda::kernels
