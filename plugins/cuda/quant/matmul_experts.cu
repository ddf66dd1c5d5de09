// MATMUL_EXPERTS (plinth/compute.h): each chosen expert's product exactly as MATMUL (the same
// activation format, quantized column by column first, and the same warp row dot, row_dot.cuh).
// One warp per (output row j, token t), 4 warps per thread block; the warp finds the token's chosen
// experts in expert order (route[e, t] != 0) and walks its k slots: slot s is the s-th chosen
// expert. Per-slot output writes each product (0 in an unused slot); the weighted sum adds
// route[e, t] * product over the slots in order, the product rounded first, starting from 0, as
// the CPU adds them. A token with more than k chosen experts gets zeros and raises the error flag.
#include "row_dot.cuh"

namespace plinth::cuda {
namespace {

constexpr int kRowsPerBlock = 4;

struct ExpertShape {
    int64_t K, N, E, T, k;
    size_t w_row_bytes, w_expert_bytes, act_stride;
    bool x_per_slot, weighted_sum;
    bool staged;  // every row 16-byte aligned: RowDot may stage 32-blocks with 16-byte loads
};

template <uint32_t Type>
__global__ void __launch_bounds__(32 * kRowsPerBlock)
    experts_kernel(const uint8_t* __restrict__ w, const uint8_t* __restrict__ act, const float* __restrict__ route,
                   float* __restrict__ dst, ExpertShape s, uint32_t* error_flag) {
    __shared__ uint4 stage[kRowsPerBlock][stage_words_alloc<Type>()];
    const int lane = threadIdx.x & 31;
    const int64_t row_groups = ceil_div(s.N, kRowsPerBlock);
    const int64_t j = int64_t(blockIdx.x % row_groups) * kRowsPerBlock + threadIdx.x / 32;
    const int64_t t = int64_t(blockIdx.x / row_groups);
    if (j >= s.N) return;  // a whole warp
    const float* gates = route + t * s.E;

    int chosen = 0;
    for (int64_t e = lane; e < s.E; e += 32) chosen += gates[e] != 0.0f;
    chosen = warp_sum(chosen);
    if (chosen > s.k) {
        if (lane == 0) {
            if (s.weighted_sum) dst[t * s.N + j] = 0.0f;
            else
                for (int64_t slot = 0; slot < s.k; ++slot) dst[(t * s.k + slot) * s.N + j] = 0.0f;
            if (j == 0) *error_flag = 1u;
        }
        return;
    }

    float sum = 0.0f;
    int64_t e = -1;
    for (int64_t slot = 0; slot < s.k; ++slot) {
        do ++e;
        while (e < s.E && gates[e] == 0.0f);  // the same on every lane
        if (e >= s.E) {  // fewer than k chosen: the rest of the slots are unused
            if (lane == 0 && !s.weighted_sum) dst[(t * s.k + slot) * s.N + j] = 0.0f;
            continue;
        }
        const int64_t column = s.x_per_slot ? t * s.k + slot : t;
        float out[kMaxCols];
        RowDot<Type>::run(w + size_t(e) * s.w_expert_bytes + size_t(j) * s.w_row_bytes,
                          act + size_t(column) * s.act_stride, s.act_stride, 1, s.K, lane, out,
                          s.staged && stage_words<Type>() > 0 ? stage[threadIdx.x / 32] : nullptr);
        if (s.weighted_sum) sum = bm::add(sum, bm::mul(gates[e], out[0]));
        else if (lane == 0) dst[(t * s.k + slot) * s.N + j] = out[0];
    }
    if (s.weighted_sum && lane == 0) dst[t * s.N + j] = sum;
}

}  // namespace

cudaError_t matmul_experts(uint32_t type, const void* w, const float* x, const float* route, float* dst, int64_t K,
                           int64_t N, int64_t E, int64_t T, int64_t k, bool x_per_slot, bool weighted_sum,
                           void* scratch, uint32_t* error_flag, cudaStream_t stream) {
    if (!weight_type_supported(type) || K < 0 || N < 0 || E < 0 || T < 0 || k < 0 || K % block_elems(type) != 0)
        return cudaErrorInvalidValue;
    if (N == 0 || T == 0) return cudaSuccess;

    const int64_t columns = x_per_slot ? k * T : T;
    const uint32_t act_type = activation_type_of(type);
    const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
    ExpertShape s{K, N, E, T, k, row_bytes_of(type, K), row_bytes_of(type, K) * size_t(N), size_t(K) * sizeof(float),
                  x_per_slot, weighted_sum, rows_aligned16(w, row_bytes_of(type, K))};
    if (act_type != PLINTH_TYPE_F32 && K > 0 && columns > 0) {
        if (const cudaError_t e = quantize_activations(act_type, x, scratch, K, columns, stream); e != cudaSuccess)
            return e;
        act = static_cast<const uint8_t*>(scratch);
        s.act_stride = row_bytes_of(act_type, K);
    }
    const int64_t blocks = ceil_div(N, kRowsPerBlock) * T;
    dispatch_weight_type(type, [&](auto tag) {
        experts_kernel<decltype(tag)::value><<<unsigned(blocks), 32 * kRowsPerBlock, 0, stream>>>(
            static_cast<const uint8_t*>(w), act, route, dst, s, error_flag);
    });
    return cudaGetLastError();
}

}  // namespace plinth::cuda
