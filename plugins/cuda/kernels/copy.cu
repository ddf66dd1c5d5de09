// COPY between F32 and F16 (either way, or the same type), bit-exact: F32 -> F16 is the hardware's
// round-to-nearest-even conversion (overflow to inf), F16 -> F32 exact.
#include "kernels/common.cuh"
#include "kernels/kernels.hpp"

namespace plinth::cuda::kernels {
namespace {

template <bool SrcF16, bool DstF16>
__global__ void copy_kernel(const void* src_v, void* dst_v, int64_t n) {
    for (int64_t i = global_index(); i < n; i += global_stride()) {
        if constexpr (SrcF16 == DstF16) {
            if constexpr (SrcF16) static_cast<uint16_t*>(dst_v)[i] = static_cast<const uint16_t*>(src_v)[i];
            else static_cast<uint32_t*>(dst_v)[i] = static_cast<const uint32_t*>(src_v)[i];
        } else if constexpr (SrcF16) {
            static_cast<float*>(dst_v)[i] = __half2float(static_cast<const __half*>(src_v)[i]);
        } else {
            static_cast<__half*>(dst_v)[i] = __float2half_rn(static_cast<const float*>(src_v)[i]);
        }
    }
}

}  // namespace

cudaError_t copy(const void* src, bool src_f16, void* dst, bool dst_f16, int64_t n, cudaStream_t stream) {
    const unsigned blocks = blocks_for(n);
    if (src_f16 && dst_f16) copy_kernel<true, true><<<blocks, threads_per_block, 0, stream>>>(src, dst, n);
    else if (src_f16) copy_kernel<true, false><<<blocks, threads_per_block, 0, stream>>>(src, dst, n);
    else if (dst_f16) copy_kernel<false, true><<<blocks, threads_per_block, 0, stream>>>(src, dst, n);
    else copy_kernel<false, false><<<blocks, threads_per_block, 0, stream>>>(src, dst, n);
    return cudaGetLastError();
}

}  // namespace plinth::cuda::kernels
