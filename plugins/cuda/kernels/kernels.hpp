#pragma once
// The CUDA plugin's own kernels, one file per op family (the weight kernels are quant/'s). Each
// function checks nothing (cuda_node_checks did), enqueues its work on `stream` and returns the
// launch's error. Index values are checked on the device: an out-of-range one is skipped and sets
// *error_flag (a device word) to 1. Their arithmetic is plinth/compute.h's precision contract:
// the files say how they follow it.
#include <cuda_runtime.h>

#include <cstdint>

namespace plinth::cuda::kernels {

// RMS_NORM: dst = (x * (1 / sqrt(mean(x^2) + eps))) * w per row of n; dst may be x.
cudaError_t rms_norm(const float* x, const float* w, float* dst, int64_t n, int64_t rows, float eps, cudaStream_t stream);

// The element-wise ops over F32: dst[i] = a[i] op b[i % b_elements] for the two-source ones (ADD
// and MUL take one row of b for every row of a), b unused by SCALE and SOFTCAP. dst may be a or b.
enum class elementwise_op { add, mul, swiglu, geglu, scale, softcap };
struct elementwise_args {
    elementwise_op op = elementwise_op::add;
    const float* a = nullptr;
    const float* b = nullptr;
    float* dst = nullptr;
    int64_t elements = 0;
    int64_t b_elements = 0;
    float f = 0;                            // SCALE's factor, SOFTCAP's cap
    const uint16_t* gelu_table = nullptr;   // GEGLU: 64K F16 values (sdk::fill_gelu_f16_table)
};
cudaError_t elementwise(const elementwise_args& args, cudaStream_t stream);

// ROPE over rows of head_dim (heads rows per token); positions [rows / heads].
struct rope_args {
    const float* x = nullptr;
    float* dst = nullptr;  // may be x
    const int32_t* positions = nullptr;
    const float* factors = nullptr;  // src2, n_rot / 2 of them; null: none
    const float* table = nullptr;    // cos, sin per (position, pair) for positions < table_positions
    uint32_t table_positions = 0;
    int64_t rows = 0;
    uint32_t head_dim = 0, n_rot = 0, heads = 0;
    bool neox = false;  // mode 2: pairs (i, i + n_rot / 2); else (2i, 2i + 1)
    float step = 0, scale = 0;  // theta_{i+1} = theta_i * step; angle = scale * theta_i (/ factor_i)
};
cudaError_t rope(const rope_args& args, cudaStream_t stream);

// KV_STORE: row t of x (F32, n each) into the cache (F32 or F16) at slot slots[t] < cache_slots; a
// slot named twice keeps the later token's row.
cudaError_t kv_store(const float* x, void* cache, bool cache_f16, const int32_t* slots, int64_t n, int64_t tokens,
                     int64_t cache_slots, uint32_t* error_flag, cudaStream_t stream);

// ATTENTION (plinth/compute.h), one thread block per (token, query head).
struct attention_args {
    const float* q = nullptr;         // [head_dim, heads, T]
    const void* k = nullptr;          // [head_dim * kv_heads, cache_slots], F32 or F16
    const void* v = nullptr;
    const int32_t* positions = nullptr;
    const int32_t* sequences = nullptr;
    const int32_t* table = nullptr;   // [max_blocks, table_rows]
    float* dst = nullptr;             // [head_dim * heads, T]
    int64_t tokens = 0, cache_slots = 0;
    int32_t heads = 0, kv_heads = 0, head_dim = 0, block = 0, max_blocks = 0, table_rows = 0, window = 0;
    float scale = 0, softcap = 0;
    bool f16 = false;
    uint32_t* error_flag = nullptr;
};
constexpr int32_t attention_max_head_dim = 512;
cudaError_t attention(const attention_args& args, cudaStream_t stream);

// COPY: n elements, F32 or F16 each side; F32 -> F16 rounds to nearest even.
cudaError_t copy(const void* src, bool src_f16, void* dst, bool dst_f16, int64_t n, cudaStream_t stream);

// MOE_ROUTE: per token, the softmax of its `experts` logits, the k largest kept (divided by their
// sum when renormalise), every other 0.
cudaError_t moe_route(const float* logits, float* dst, int64_t experts, int64_t tokens, int32_t k, bool renormalise,
                      cudaStream_t stream);

}  // namespace plinth::cuda::kernels
