// ATTENTION: causal, grouped-query, over the paged KV cache (F32 or F16), flash-attention style:
// one thread block per (token t, query head h), kv head g = h / (heads / kv_heads); no score matrix
// is kept, the softmax runs online.
//
// The positions go in chunks of `chunk`:
//   1. scores, in parallel: each warp takes positions of the chunk, its lanes the dims of one q . k
//      (coalesced loads of the K row), added up with warp shuffles. Over an F16 cache q is rounded
//      to F16 first, each product of two F16 values is exact in float and the sum is kept in double
//      (the contract's "as if in double"; such products, 22 significant bits each, add exactly in
//      double unless their magnitudes span ~2^31, so the order is the CPU's bits in practice), then
//      rounded to float once; over an F32 cache the sum is in float, in the CPU's vec_dot order. score = scale * dot, soft-capped as cap * tanh(score * (1 / cap)) when f[1] > 0.
//   2. the online softmax's factors, in position order as the contract states: a score above the
//      running maximum M of the positions before it rescales by exp(M - s) (0 for the first) and
//      becomes M with weight 1; any other weighs exp(s - M) (exp_float: the CPU backend's exp).
//      The maxima are one thread's scan of the chunk; the exps then run one position per thread.
//   3. every thread walks the chunk's factors in order (the same scalar sequence in each) and
//      updates the output dims it owns. Over an F16 cache the accumulator is F16:
//      F16(acc * rescale) when rescale != 1, then F16(fma(v, weight, acc)); over an F32 cache
//      acc * rescale and acc + weight * v (two roundings, as the CPU). sum = sum * rescale +
//      weight, two roundings.
//   4. dst = acc * (1 / sum).
// Every block the token reads must be in the block table and the cache: otherwise the block writes
// nothing and sets the error flag.
#include "kernels/common.cuh"
#include "kernels/kernels.hpp"

#include <type_traits>

namespace plinth::cuda::kernels {
namespace {

constexpr int attention_threads = 128;
constexpr int attention_warps = attention_threads / 32;
constexpr int chunk = 64;
constexpr int dims_per_thread = attention_max_head_dim / attention_threads;

// q . k over an F32 cache in the CPU backend's vec_dot order, so that the scores have its bits:
// 16 lanes, lane l summing elements l, l + 16, ... of the 16-wide body in order, then the tail's
// elements one per lane; folded 16 -> 8 -> 4, then (l0 + l2) + (l1 + l3). Lanes 16..31 idle.
__device__ inline float dot_f32_cpu_order(const float* q, const float* k, int n, int lane) {
    const int body = n / 16 * 16;
    float acc = 0.0f;
    if (lane < 16) {
        for (int d = lane; d < body; d += 16) acc = acc + q[d] * k[d];
        if (body + lane < n) acc = acc + q[body + lane] * k[body + lane];
    }
    acc = acc + __shfl_down_sync(0xFFFFFFFFu, acc, 8);
    acc = acc + __shfl_down_sync(0xFFFFFFFFu, acc, 4);
    const float l0 = __shfl_sync(0xFFFFFFFFu, acc, 0), l1 = __shfl_sync(0xFFFFFFFFu, acc, 1);
    const float l2 = __shfl_sync(0xFFFFFFFFu, acc, 2), l3 = __shfl_sync(0xFFFFFFFFu, acc, 3);
    return (l0 + l2) + (l1 + l3);
}

template <bool F16>
__global__ void __launch_bounds__(attention_threads) attention_kernel(attention_args a) {
    using cache_t = typename std::conditional<F16, __half, float>::type;
    __shared__ float q_sh[attention_max_head_dim];
    __shared__ float score_sh[chunk];
    __shared__ int64_t slot_sh[chunk];
    __shared__ float prev_max_sh[chunk];  // the running maximum before each position
    __shared__ bool new_max_sh[chunk];    // the position's score raises it
    __shared__ float rescale_sh[chunk], weight_sh[chunk];

    const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
    const int64_t t = blockIdx.x / a.heads;
    const int32_t h = int32_t(blockIdx.x % a.heads);
    const int32_t g = h / (a.heads / a.kv_heads);
    const int64_t kv_row = int64_t(a.head_dim) * a.kv_heads;
    const int32_t head_dim = a.head_dim, block = a.block;

    // The token's position and sequence, and every block up to its position, checked.
    const int32_t pos = a.positions[t], seq = a.sequences[t];
    bool bad = pos < 0 || seq < 0 || seq >= a.table_rows || pos / block >= a.max_blocks;
    const int32_t* blocks = a.table + (bad ? 0 : int64_t(seq) * a.max_blocks);
    if (!bad) {
        const int32_t last = pos / block;
        for (int32_t b = tid; b <= last; b += attention_threads) {
            const int32_t entry = blocks[b];
            const int64_t used = b < last ? block : pos % block + 1;
            if (entry < 0 || int64_t(entry) * block + used > a.cache_slots) bad = true;
        }
    }
    if (__syncthreads_or(bad)) {
        if (tid == 0) *a.error_flag = 1;
        return;
    }

    const float* q = a.q + (t * a.heads + h) * head_dim;
    for (int d = tid; d < head_dim; d += attention_threads) q_sh[d] = F16 ? f16_round(q[d]) : q[d];
    __syncthreads();

    const cache_t* k_cache = static_cast<const cache_t*>(a.k) + int64_t(g) * head_dim;
    const cache_t* v_cache = static_cast<const cache_t*>(a.v) + int64_t(g) * head_dim;
    const float scale = a.scale, cap = a.softcap, inv_cap = cap > 0.0f ? 1.0f / cap : 0.0f;
    // A sliding window of W positions starts at pos - W + 1; n_pos positions from `first`.
    const int64_t first = a.window > 0 && int64_t(pos) + 1 > a.window ? int64_t(pos) + 1 - a.window : 0;
    const int64_t n_pos = int64_t(pos) + 1 - first;

    float acc[dims_per_thread];
    for (int r = 0; r < dims_per_thread; ++r) acc[r] = 0.0f;
    float run_max = 0.0f;  // thread 0's (step 2)
    float run_sum = 0.0f;

    for (int64_t base = 0; base < n_pos; base += chunk) {
        const int count = int(n_pos - base < chunk ? n_pos - base : chunk);
        // 1. Scores.
        for (int j = warp; j < count; j += attention_warps) {
            const int64_t p = first + base + j;
            const int64_t slot = int64_t(blocks[p / block]) * block + p % block;
            const cache_t* k = k_cache + slot * kv_row;
            float dot;
            if constexpr (F16) {
                double part = 0.0;
                for (int d = lane; d < head_dim; d += 32) part += double(q_sh[d] * __half2float(k[d]));
                dot = float(warp_sum(part));
            } else {
                dot = dot_f32_cpu_order(q_sh, k, head_dim, lane);
            }
            float s = scale * dot;
            if (cap > 0.0f) s = cap * tanh_float(s * inv_cap);
            if (lane == 0) {
                score_sh[j] = s;
                slot_sh[j] = slot;
            }
        }
        __syncthreads();
        // 2. The softmax factors. Position j's depend only on the running maximum before it (a
        //    prefix maximum, one thread's short scan), so their exps run in parallel.
        if (tid == 0) {
            for (int j = 0; j < count; ++j) {
                const float s = score_sh[j];
                prev_max_sh[j] = run_max;
                const bool raises = base + j == 0 || s > run_max;
                new_max_sh[j] = raises;
                if (raises) run_max = s;
            }
        }
        __syncthreads();
        for (int j = tid; j < count; j += attention_threads) {
            const float s = score_sh[j], m = prev_max_sh[j];
            float rescale = 1.0f, weight = 1.0f;
            if (base + j == 0) rescale = 0.0f;  // the first position: nothing to rescale
            else if (new_max_sh[j]) rescale = exp_float(m - s);
            else weight = exp_float(s - m);
            rescale_sh[j] = rescale;
            weight_sh[j] = weight;
        }
        __syncthreads();
        // 3. The V rows, in position order.
        for (int j = 0; j < count; ++j) {
            const float rescale = rescale_sh[j], weight = weight_sh[j];
            const cache_t* v = v_cache + slot_sh[j] * kv_row;
#pragma unroll
            for (int r = 0; r < dims_per_thread; ++r) {
                const int d = tid + r * attention_threads;
                if (d < head_dim) {
                    if constexpr (F16) {
                        const float vd = __half2float(v[d]);
                        if (rescale != 1.0f) acc[r] = f16_round(acc[r] * rescale);
                        acc[r] = f16_round(fmaf(vd, weight, acc[r]));
                    } else {
                        if (rescale != 1.0f) acc[r] = acc[r] * rescale;
                        acc[r] = acc[r] + weight * v[d];
                    }
                }
            }
            run_sum = run_sum * rescale + weight;
        }
        __syncthreads();  // score_sh and slot_sh are rewritten by the next chunk
    }

    // 4. The normalised output.
    const float inv = 1.0f / run_sum;
    float* out = a.dst + (t * a.heads + h) * head_dim;
#pragma unroll
    for (int r = 0; r < dims_per_thread; ++r) {
        const int d = tid + r * attention_threads;
        if (d < head_dim) out[d] = acc[r] * inv;
    }
}

}  // namespace

cudaError_t attention(const attention_args& args, cudaStream_t stream) {
    const int64_t blocks = args.tokens * args.heads;
    if (blocks > 0x7FFFFFFF || args.head_dim > attention_max_head_dim) return cudaErrorInvalidValue;
    if (args.f16) attention_kernel<true><<<unsigned(blocks), attention_threads, 0, stream>>>(args);
    else attention_kernel<false><<<unsigned(blocks), attention_threads, 0, stream>>>(args);
    return cudaGetLastError();
}

}  // namespace plinth::cuda::kernels
