#pragma once
// The Vulkan backend's kernels as the host code sees them: the shader variants (named as in
// CMakeLists.txt), which weight types they decode, the activation pass a MATMUL needs, the work
// sizes the shaders are written for, and their push constants.
#include <cstddef>
#include <cstdint>

#include <plinth/weight_types.h>

namespace plinth::vk {

enum kernel : uint32_t {
    K_GET_ROWS = 0,  // + weight slot (6 variants)
    K_MATMUL = 6,    // + weight slot (6 variants)
    K_RMS_NORM = 12,
    K_ELEMENTWISE,
    K_ROPE,
    K_KV_STORE_F32,
    K_KV_STORE_F16,
    K_ATTENTION_F32,
    K_ATTENTION_F16,
    K_COPY,
    K_QUANTIZE_F16,   // activations for F16 weights
    K_QUANTIZE_Q8_0,  // ... for Q4_0 / Q8_0 weights
    K_QUANTIZE_Q8_K,  // ... for the K-quants
    K_MOE_ROUTE,
    K_MATMUL_EXPERTS,                      // + weight slot (6 variants)
    K_COUNT = K_MATMUL_EXPERTS + 6
};

inline const char* const kernel_names[K_COUNT] = {
    "get_rows_f32", "get_rows_f16", "get_rows_q4_0", "get_rows_q8_0", "get_rows_q4_k", "get_rows_q6_k",
    "matmul_f32",   "matmul_f16",   "matmul_q4_0",   "matmul_q8_0",   "matmul_q4_k",   "matmul_q6_k",
    "rms_norm",     "elementwise",  "rope",          "kv_store_f32",  "kv_store_f16",  "attention_f32",
    "attention_f16", "copy",         "quantize_f16",  "quantize_q8_0", "quantize_q8_k", "moe_route",
    "matmul_experts_f32", "matmul_experts_f16", "matmul_experts_q4_0", "matmul_experts_q8_0", "matmul_experts_q4_k",
    "matmul_experts_q6_k"};

// The weight types the GET_ROWS and MATMUL shaders decode, in kernel order; -1 for the others.
inline int weight_slot(uint32_t type) {
    switch (type) {
    case PLINTH_TYPE_F32: return 0;
    case PLINTH_TYPE_F16: return 1;
    case PLINTH_TYPE_Q4_0: return 2;
    case PLINTH_TYPE_Q8_0: return 3;
    case PLINTH_TYPE_Q4_K: return 4;
    case PLINTH_TYPE_Q6_K: return 5;
    default: return -1;
    }
}

// The activation pass a MATMUL's weight type needs (plinth/compute.h, precision contract):
// K_QUANTIZE_* or K_COUNT for none (F32 weights).
inline uint32_t activation_kernel(uint32_t weight_type) {
    switch (weight_type) {
    case PLINTH_TYPE_F16: return K_QUANTIZE_F16;
    case PLINTH_TYPE_Q4_0: case PLINTH_TYPE_Q8_0: return K_QUANTIZE_Q8_0;
    case PLINTH_TYPE_Q4_K: case PLINTH_TYPE_Q6_K: return K_QUANTIZE_Q8_K;
    default: return K_COUNT;
    }
}

// Bytes of the quantized activations of K x T values (K a multiple of the block for Q8_*):
// F16-rounded values as F32; or the codes (one byte each) then one F32 scale per block.
inline uint64_t activation_bytes(uint32_t kernel, int64_t K, int64_t T) {
    const uint64_t n = uint64_t(K) * uint64_t(T);
    switch (kernel) {
    case K_QUANTIZE_F16: return 4 * n;
    case K_QUANTIZE_Q8_0: return n + n / 32 * 4;
    case K_QUANTIZE_Q8_K: return n + n / 256 * 4;
    default: return 0;
    }
}

inline constexpr uint32_t workgroup = 64;     // local_size_x of every shader (WG in common.glsl)
inline constexpr uint32_t matmul_tile_t = 8;  // TILE_T in matmul.comp
inline constexpr int64_t max_head_dim = 256;  // MAX_HEAD_DIM in attention.comp
// The aux buffer starts with a header: word 0 is the first node a shader found an index out of
// range in, or no_error.
inline constexpr uint32_t aux_header_words = 4;
inline constexpr uint32_t no_error = 0xFFFFFFFFu;

// Mirrors `Params` in common.glsl.
struct push_constants {
    uint32_t off[7];
    uint32_t node;
    uint32_t total;
    uint32_t aux_off;
    uint32_t u[12];
    float f[4];
};
static_assert(sizeof(push_constants) == 104, "push constants must match common.glsl");

}  // namespace plinth::vk
