// The activation quantizers MATMUL runs first: F32 columns into the weight type's activation
// format (Q8_0, Q8_1, Q8_K or F16), bytes identical to weight_formats::quantize_row. The per-element
// steps are block_math's; the warps only do the reductions (max and integer sums, both exact, so
// their order does not matter).
#include "kernel_common.cuh"

namespace plinth::cuda {
namespace {

using bm::BlockQ8_0;
using bm::BlockQ8_1;
using bm::BlockQ8_K;

// Q8_0 / Q8_1: one warp per 32-block, lane i quantizes element i. 256 threads = 8 blocks per
// thread block; the blocks of all columns are numbered column-major (column c, block b).
template <class Block>
__global__ void quantize_q8_32(const float* __restrict__ x, uint8_t* __restrict__ out, int64_t K, int64_t blocks,
                               size_t column_bytes) {
    const int64_t blk = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int lane = threadIdx.x & 31;
    if (blk >= blocks) return;  // whole warps leave together: blocks counts warps
    const int64_t per_column = K / 32;
    const int64_t c = blk / per_column, b = blk % per_column;
    const float v = x[c * K + b * 32 + lane];
    const bm::Q8Scale s = bm::q8_scale(warp_max(bm::abs_of(v)));
    const int8_t q = bm::q8_code(v, s.id);
    auto* block = reinterpret_cast<Block*>(out + size_t(c) * column_bytes) + b;
    block->qs[lane] = q;
    if constexpr (sizeof(Block) == sizeof(BlockQ8_1)) {
        const int sum = warp_sum(int(q));
        if (lane == 0) block->s = bm::q8_1_sum(s.d, sum);
    }
    if (lane == 0) block->d = s.d16;
}

// Q8_K: one thread block of 256 threads per super-block, thread i element i: amax over the 8
// warps through shared memory, then the 16-element code sums within half-warps.
__global__ void quantize_q8_k(const float* __restrict__ x, uint8_t* __restrict__ out, int64_t K, size_t column_bytes) {
    __shared__ float warp_amax[8];
    const int64_t per_column = K / 256;
    const int64_t c = int64_t(blockIdx.x) / per_column, b = int64_t(blockIdx.x) % per_column;
    const int i = threadIdx.x, lane = i & 31;
    const float v = x[c * K + b * 256 + i];
    const float m = warp_max(bm::abs_of(v));
    if (lane == 0) warp_amax[i / 32] = m;
    __syncthreads();
    float amax = warp_amax[0];
    for (int w = 1; w < 8; ++w) amax = bm::max_of(amax, warp_amax[w]);
    const float d = bm::q8k_scale(amax);
    const int8_t q = bm::q8k_code(v, d);
    auto* block = reinterpret_cast<BlockQ8_K*>(out + size_t(c) * column_bytes) + b;
    block->qs[i] = q;
    int sum = q;
    for (int o = 8; o > 0; o >>= 1) sum += __shfl_xor_sync(kFullWarp, sum, o);  // within 16 lanes
    if ((i & 15) == 0) block->bsums[i / 16] = int16_t(sum);
    if (i == 0) block->d = d;
}

// F16 activations (F16 weights): F16(x), element by element.
__global__ void quantize_f16(const float* __restrict__ x, uint16_t* __restrict__ out, int64_t count) {
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += int64_t(gridDim.x) * blockDim.x)
        out[i] = bm::f32_to_f16(x[i]);
}

}  // namespace

cudaError_t quantize_activations(uint32_t act_type, const float* x, void* out, int64_t K, int64_t columns,
                                 cudaStream_t stream) {
    if (K <= 0 || columns <= 0) return cudaSuccess;
    auto* bytes = static_cast<uint8_t*>(out);
    const size_t column_bytes = row_bytes_of(act_type, K);
    switch (act_type) {
    case PLINTH_TYPE_Q8_0:
    case PLINTH_TYPE_Q8_1: {
        const int64_t blocks = K / 32 * columns;
        const unsigned grid = unsigned(ceil_div(blocks, 8));
        if (act_type == PLINTH_TYPE_Q8_0)
            quantize_q8_32<BlockQ8_0><<<grid, 256, 0, stream>>>(x, bytes, K, blocks, column_bytes);
        else
            quantize_q8_32<BlockQ8_1><<<grid, 256, 0, stream>>>(x, bytes, K, blocks, column_bytes);
        break;
    }
    case PLINTH_TYPE_Q8_K:
        quantize_q8_k<<<unsigned(K / 256 * columns), 256, 0, stream>>>(x, bytes, K, column_bytes);
        break;
    case PLINTH_TYPE_F16: {
        const int64_t count = K * columns;
        const unsigned grid = unsigned(ceil_div(count, 256) < 65536 ? ceil_div(count, 256) : 65536);
        quantize_f16<<<grid, 256, 0, stream>>>(x, static_cast<uint16_t*>(out), count);
        break;
    }
    default:
        return cudaErrorInvalidValue;
    }
    return cudaGetLastError();
}

}  // namespace plinth::cuda
