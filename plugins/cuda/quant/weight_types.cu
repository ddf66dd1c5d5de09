// Which weight types the CUDA kernels take, and the scratch their activations need.
#include "kernel_common.cuh"

namespace plinth::cuda {

bool weight_type_supported(uint32_t type) {
    switch (type) {
    case PLINTH_TYPE_F32: case PLINTH_TYPE_F16: case PLINTH_TYPE_BF16:
    case PLINTH_TYPE_Q4_0: case PLINTH_TYPE_Q4_1: case PLINTH_TYPE_Q5_0: case PLINTH_TYPE_Q5_1:
    case PLINTH_TYPE_Q8_0:
    case PLINTH_TYPE_Q2_K: case PLINTH_TYPE_Q3_K: case PLINTH_TYPE_Q4_K: case PLINTH_TYPE_Q5_K:
    case PLINTH_TYPE_Q6_K:
        return true;
    default:
        return false;
    }
}

size_t activation_bytes(uint32_t weight_type, int64_t K, int64_t columns) {
    if (!weight_type_supported(weight_type) || K <= 0 || columns <= 0) return 0;
    const uint32_t act = activation_type_of(weight_type);
    if (act == PLINTH_TYPE_F32) return 0;  // F32 and BF16 weights read the F32 activations as given
    return row_bytes_of(act, K) * size_t(columns);
}

}  // namespace plinth::cuda
