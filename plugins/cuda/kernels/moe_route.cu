// MOE_ROUTE, one thread per token, the CPU backend's arithmetic (op_moe.cpp) step for step:
// p = exp_float(l - max) summed in expert order, each divided by the sum (correctly rounded); the k
// largest picked one after another (the lower expert first on a tie), their sum in pick order; the
// picked ones divided by it (renormalise) or kept as they are, every other expert 0. dst holds p in
// between (it does not overlap the logits: the node checks refuse that).
#include "kernels/common.cuh"
#include "kernels/kernels.hpp"

namespace plinth::cuda::kernels {
namespace {

__global__ void moe_route_kernel(const float* __restrict__ logits, float* __restrict__ dst, int64_t experts, int64_t tokens,
                                 int32_t k, bool renormalise) {
    for (int64_t t = global_index(); t < tokens; t += global_stride()) {
        const float* l = logits + t * experts;
        float* o = dst + t * experts;
        float mx = l[0];
        for (int64_t e = 1; e < experts; ++e) mx = mx < l[e] ? l[e] : mx;  // std::max's choice
        float sum = 0.0f;
        for (int64_t e = 0; e < experts; ++e) {
            const float p = exp_float(l[e] - mx);
            o[e] = p;
            sum = sum + p;
        }
        for (int64_t e = 0; e < experts; ++e) o[e] = o[e] / sum;
        // The i-th pick is the first expert, in (p descending, index ascending) order, after the last.
        float last_p = 0.0f, kept = 0.0f;
        int64_t last_e = -1;
        for (int32_t i = 0; i < k; ++i) {
            int64_t best = -1;
            float best_p = 0.0f;
            for (int64_t e = 0; e < experts; ++e) {
                const float p = o[e];
                const bool after = last_e < 0 || p < last_p || (p == last_p && e > last_e);
                if (after && (best < 0 || p > best_p)) {
                    best = e;
                    best_p = p;
                }
            }
            kept = kept + best_p;
            last_p = best_p;
            last_e = best;
        }
        for (int64_t e = 0; e < experts; ++e) {
            const float p = o[e];
            const bool picked = p > last_p || (p == last_p && e <= last_e);
            o[e] = !picked ? 0.0f : renormalise ? p / kept : p;
        }
    }
}

}  // namespace

cudaError_t moe_route(const float* logits, float* dst, int64_t experts, int64_t tokens, int32_t k, bool renormalise,
                      cudaStream_t stream) {
    moe_route_kernel<<<blocks_for(tokens, 64), 64, 0, stream>>>(logits, dst, experts, tokens, k, renormalise);
    return cudaGetLastError();
}

}  // namespace plinth::cuda::kernels
