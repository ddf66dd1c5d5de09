// PLACEHOLDER, replaced at merge by the weight kernels' own file (weight_types.cu refuses every type).
#include "quant/weight_kernels.hpp"

namespace plinth::cuda {

cudaError_t matmul_experts(uint32_t, const void*, const float*, const float*, float*, int64_t, int64_t, int64_t, int64_t,
                           int64_t, bool, bool, void*, uint32_t*, cudaStream_t) {
    return cudaErrorNotSupported;
}

}  // namespace plinth::cuda
