// PLACEHOLDER, replaced at merge by the weight kernels' own file (weight_types.cu refuses every type).
#include "quant/weight_kernels.hpp"

namespace plinth::cuda {

cudaError_t get_rows(uint32_t, const void*, const int32_t*, float*, int64_t, int64_t, int64_t, uint32_t*, cudaStream_t) {
    return cudaErrorNotSupported;
}

}  // namespace plinth::cuda
