// The reference dot products: plain scalar code, the definition every SIMD kernel is held to.
//
// For block types the integer part is exact: per block (or sub-block) sum the code x activation-code
// products in int, then apply the float scales once per block and sum the blocks in float, in order.
// Codes are read through the accessors of block_layouts.hpp, so this file reads as the formulas there.
// It is also the CPU backend's "scalar" dispatch level (reference_dot_kernel).
#include <cmath>

#include <plinth/weight_formats.hpp>
#include <plinth/weight_formats/block_layouts.hpp>
#include <plinth/weight_formats/half.hpp>

namespace plinth::weight_formats {
namespace {

// ---- float weights x f32 activations ----------------------------------------------------------------

template <float (*Widen)(uint16_t)>
float dot_half(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const uint16_t*>(wv);
    const auto* a = static_cast<const float*>(av);
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) sum += Widen(w[i]) * a[i];
    return sum;
}

// F16 x F16 (what F16 weights meet): every product is exact in float; the sum is kept in double and
// rounded once.
float dot_f16_f16(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const uint16_t*>(wv);
    const auto* a = static_cast<const uint16_t*>(av);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += double(fp16_to_fp32(w[i]) * fp16_to_fp32(a[i]));
    return float(sum);
}

float dot_f32(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const float*>(wv);
    const auto* a = static_cast<const float*>(av);
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) sum += w[i] * a[i];
    return sum;
}

// ---- 32-element blocks x Q8_0 / Q8_1 ----------------------------------------------------------------

// sum over blocks of d_w * d_a * sum_i code_i * a_i, plus m_w * s_a for the offset types
// (s_a = d_a * sum_i a_i, precomputed in the Q8_1 block).
//
// The symmetric types (Q4_0, Q5_0, Q8_0 x Q8_0) are summed in the reference's (llama.cpp's) order,
// which the SIMD kernels follow exactly: 8 lanes, lane k of a block the integer sum over elements
// 4k .. 4k + 3; each lane one chain of fused multiply-adds by d_w d_a over the blocks in order; the
// lanes added as ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)). A quantized model feeds every
// result to the next activation quantizer, where a float-rounding difference can become a code step.
template <class W, class A, int (*Code)(const W&, int)>
float dot_blocks32(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const W*>(wv);
    const auto* a = static_cast<const A*>(av);
    if constexpr (!requires { w->m; }) {
        float lanes[8] = {};
        for (int64_t b = 0; b < n / kBlock32; ++b) {
            const float d = fp16_to_fp32(w[b].d) * fp16_to_fp32(a[b].d);
            for (int k = 0; k < 8; ++k) {
                int isum = 0;
                for (int i = 4 * k; i < 4 * k + 4; ++i) isum += Code(w[b], i) * a[b].qs[i];
                lanes[k] = std::fma(d, float(isum), lanes[k]);
            }
        }
        return ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
    }
    float sum = 0.0f;
    for (int64_t b = 0; b < n / kBlock32; ++b) {
        int isum = 0;
        for (int i = 0; i < kBlock32; ++i) isum += Code(w[b], i) * a[b].qs[i];
        sum += fp16_to_fp32(w[b].d) * fp16_to_fp32(a[b].d) * float(isum);
        if constexpr (requires { w[b].m; }) sum += fp16_to_fp32(w[b].m) * fp16_to_fp32(a[b].s);
    }
    return sum;
}

// sum_order::blocks for the symmetric types: each block's integer dot whole, then one chain of fused
// multiply-adds by d_w d_a over the blocks in order (how the reference sums a Q4_0 matrix it has
// interleaved into groups of 8 rows).
template <class W, int (*Code)(const W&, int)>
float dot_blocks32_chain(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const W*>(wv);
    const auto* a = static_cast<const BlockQ8_0*>(av);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / kBlock32; ++b) {
        int isum = 0;
        for (int i = 0; i < kBlock32; ++i) isum += Code(w[b], i) * a[b].qs[i];
        sum = std::fma(float(isum), fp16_to_fp32(w[b].d) * fp16_to_fp32(a[b].d), sum);
    }
    return sum;
}

int code_q4_0(const BlockQ4_0& b, int i) { return q4_code(b.qs, i) - 8; }
int code_q4_1(const BlockQ4_1& b, int i) { return q4_code(b.qs, i); }
int code_q5_0(const BlockQ5_0& b, int i) { return q5_code(b.qs, b.qh, i) - 16; }
int code_q5_1(const BlockQ5_1& b, int i) { return q5_code(b.qs, b.qh, i); }
int code_q8_0(const BlockQ8_0& b, int i) { return b.qs[i]; }
int code_q8_1(const BlockQ8_1& b, int i) { return b.qs[i]; }

// ---- K-quant super-blocks x Q8_K ----------------------------------------------------------------------
// isum = sum_j sc_j * sum_{i in j} q_i a_i (signed codes), msum = sum_j mn_j * sum_{i in j} a_i;
// the super-block adds kquant_term(_min) (block_layouts.hpp), the float side every level shares.

int activation_sum(const BlockQ8_K& a, int first, int count) {
    int s = 0;
    for (int i = first; i < first + count; ++i) s += a.qs[i];
    return s;
}

float dot_q2_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ2_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        int isum = 0, msum = 0;
        for (int j = 0; j < 16; ++j) {
            int s = 0;
            for (int i = 16 * j; i < 16 * (j + 1); ++i) s += q2k_code(w[b], i) * a[b].qs[i];
            isum += (w[b].scales[j] & 0x0F) * s;
            msum += (w[b].scales[j] >> 4) * activation_sum(a[b], 16 * j, 16);
        }
        sum += kquant_term_min(a[b].d, fp16_to_fp32(w[b].d), fp16_to_fp32(w[b].dmin), isum, msum);
    }
    return sum;
}

float dot_q3_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ3_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        int isum = 0;
        for (int j = 0; j < 16; ++j) {
            int s = 0;
            for (int i = 16 * j; i < 16 * (j + 1); ++i) s += (q3k_code(w[b], i) - 4) * a[b].qs[i];
            isum += q3k_scale(w[b].scales, j) * s;
        }
        sum += kquant_term(fp16_to_fp32(w[b].d), a[b].d, isum);
    }
    return sum;
}

template <class W, int (*Code)(const W&, int)>
float dot_q45_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const W*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        int isum = 0, msum = 0;
        for (int j = 0; j < 8; ++j) {
            uint8_t sc, mn;
            k4_scale_min(w[b].scales, j, &sc, &mn);
            int s = 0;
            for (int i = 32 * j; i < 32 * (j + 1); ++i) s += Code(w[b], i) * a[b].qs[i];
            isum += sc * s;
            msum += mn * activation_sum(a[b], 32 * j, 32);
        }
        sum += kquant_term_min(a[b].d, fp16_to_fp32(w[b].d), fp16_to_fp32(w[b].dmin), isum, msum);
    }
    return sum;
}

float dot_q6_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ6_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        int isum = 0;
        for (int j = 0; j < 16; ++j) {
            int s = 0;
            for (int i = 16 * j; i < 16 * (j + 1); ++i) s += (q6k_code(w[b], i) - 32) * a[b].qs[i];
            isum += w[b].scales[j] * s;
        }
        sum += kquant_term(fp16_to_fp32(w[b].d), a[b].d, isum);
    }
    return sum;
}

float dot_q8_k(int64_t n, const void* wv, const void* av) {
    const auto* w = static_cast<const BlockQ8_K*>(wv);
    const auto* a = static_cast<const BlockQ8_K*>(av);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / kBlock256; ++b) {
        int isum = 0;
        for (int i = 0; i < kBlock256; ++i) isum += w[b].qs[i] * a[b].qs[i];
        sum += kquant_term(w[b].d, a[b].d, isum);
    }
    return sum;
}

// The kernels by type and order (null: none).
struct kernel_table {
    dot_kernel lanes[PLINTH_TYPE_COUNT_];
    dot_kernel blocks[PLINTH_TYPE_COUNT_];
};

constexpr kernel_table make_table() {
    kernel_table t{};
    t.lanes[PLINTH_TYPE_F32] = dot_f32;
    t.lanes[PLINTH_TYPE_F16] = dot_f16_f16;
    t.lanes[PLINTH_TYPE_BF16] = dot_half<bf16_to_fp32>;
    t.lanes[PLINTH_TYPE_Q4_0] = dot_blocks32<BlockQ4_0, BlockQ8_0, code_q4_0>;
    t.lanes[PLINTH_TYPE_Q4_1] = dot_blocks32<BlockQ4_1, BlockQ8_1, code_q4_1>;
    t.lanes[PLINTH_TYPE_Q5_0] = dot_blocks32<BlockQ5_0, BlockQ8_0, code_q5_0>;
    t.lanes[PLINTH_TYPE_Q5_1] = dot_blocks32<BlockQ5_1, BlockQ8_1, code_q5_1>;
    t.lanes[PLINTH_TYPE_Q8_0] = dot_blocks32<BlockQ8_0, BlockQ8_0, code_q8_0>;
    t.lanes[PLINTH_TYPE_Q8_1] = dot_blocks32<BlockQ8_1, BlockQ8_0, code_q8_1>;
    t.lanes[PLINTH_TYPE_Q2_K] = dot_q2_k;
    t.lanes[PLINTH_TYPE_Q3_K] = dot_q3_k;
    t.lanes[PLINTH_TYPE_Q4_K] = dot_q45_k<BlockQ4_K, q4k_code>;
    t.lanes[PLINTH_TYPE_Q5_K] = dot_q45_k<BlockQ5_K, q5k_code>;
    t.lanes[PLINTH_TYPE_Q6_K] = dot_q6_k;
    t.lanes[PLINTH_TYPE_Q8_K] = dot_q8_k;
    t.blocks[PLINTH_TYPE_Q4_0] = dot_blocks32_chain<BlockQ4_0, code_q4_0>;
    t.blocks[PLINTH_TYPE_Q5_0] = dot_blocks32_chain<BlockQ5_0, code_q5_0>;
    t.blocks[PLINTH_TYPE_Q8_0] = dot_blocks32_chain<BlockQ8_0, code_q8_0>;
    return t;
}

constexpr kernel_table kReference = make_table();

}  // namespace

dot_kernel reference_dot_kernel(uint32_t weight_type, sum_order order) {
    if (weight_type >= PLINTH_TYPE_COUNT_) return nullptr;
    return order == sum_order::blocks ? kReference.blocks[weight_type] : kReference.lanes[weight_type];
}

float dot_reference(uint32_t weight_type, int64_t n, const void* w_row, const void* act_row, sum_order order) {
    check_row(weight_type, n, "dot_reference");
    const dot_kernel blocks = kReference.blocks[weight_type];
    return (order == sum_order::blocks && blocks ? blocks : kReference.lanes[weight_type])(n, w_row, act_row);
}

}  // namespace plinth::weight_formats
