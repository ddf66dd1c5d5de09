// Row dequantization: the formula of each block layout (block_layouts.hpp), element by element.
// Plain code on purpose: it is the definition the quantizer and every dot kernel are tested against.
#include <cstring>

#include <plinth/weight_formats.hpp>
#include <plinth/weight_formats/block_layouts.hpp>
#include <plinth/weight_formats/half.hpp>

namespace plinth::weight_formats {
namespace {

template <class Block, class Fn>
void each_block(const void* src, float* dst, int64_t n, int block_size, Fn fn) {
    const auto* blocks = static_cast<const Block*>(src);
    for (int64_t b = 0; b < n / block_size; ++b) fn(blocks[b], dst + b * block_size);
}

}  // namespace

void dequantize_row(uint32_t type, const void* src, float* dst, int64_t n) {
    check_row(type, n, "dequantize_row");
    switch (type) {
    case PLINTH_TYPE_F32:
        std::memcpy(dst, src, size_t(n) * sizeof(float));
        return;
    case PLINTH_TYPE_F16: {
        const auto* h = static_cast<const uint16_t*>(src);
        for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(h[i]);
        return;
    }
    case PLINTH_TYPE_BF16: {
        const auto* h = static_cast<const uint16_t*>(src);
        for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(h[i]);
        return;
    }

    // ---- 32-element blocks
    case PLINTH_TYPE_Q4_0:
        return each_block<BlockQ4_0>(src, dst, n, kBlock32, [](const BlockQ4_0& b, float* y) {
            const float d = fp16_to_fp32(b.d);
            for (int i = 0; i < kBlock32; ++i) y[i] = d * float(q4_code(b.qs, i) - 8);
        });
    case PLINTH_TYPE_Q4_1:
        return each_block<BlockQ4_1>(src, dst, n, kBlock32, [](const BlockQ4_1& b, float* y) {
            const float d = fp16_to_fp32(b.d), m = fp16_to_fp32(b.m);
            for (int i = 0; i < kBlock32; ++i) y[i] = d * float(q4_code(b.qs, i)) + m;
        });
    case PLINTH_TYPE_Q5_0:
        return each_block<BlockQ5_0>(src, dst, n, kBlock32, [](const BlockQ5_0& b, float* y) {
            const float d = fp16_to_fp32(b.d);
            for (int i = 0; i < kBlock32; ++i) y[i] = d * float(q5_code(b.qs, b.qh, i) - 16);
        });
    case PLINTH_TYPE_Q5_1:
        return each_block<BlockQ5_1>(src, dst, n, kBlock32, [](const BlockQ5_1& b, float* y) {
            const float d = fp16_to_fp32(b.d), m = fp16_to_fp32(b.m);
            for (int i = 0; i < kBlock32; ++i) y[i] = d * float(q5_code(b.qs, b.qh, i)) + m;
        });
    case PLINTH_TYPE_Q8_0:
        return each_block<BlockQ8_0>(src, dst, n, kBlock32, [](const BlockQ8_0& b, float* y) {
            const float d = fp16_to_fp32(b.d);
            for (int i = 0; i < kBlock32; ++i) y[i] = d * float(b.qs[i]);
        });
    case PLINTH_TYPE_Q8_1:
        return each_block<BlockQ8_1>(src, dst, n, kBlock32, [](const BlockQ8_1& b, float* y) {
            const float d = fp16_to_fp32(b.d);
            for (int i = 0; i < kBlock32; ++i) y[i] = d * float(b.qs[i]);
        });

    // ---- 256-element super-blocks
    case PLINTH_TYPE_Q2_K:
        return each_block<BlockQ2_K>(src, dst, n, kBlock256, [](const BlockQ2_K& b, float* y) {
            const float d = fp16_to_fp32(b.d), dmin = fp16_to_fp32(b.dmin);
            for (int i = 0; i < kBlock256; ++i) {
                const uint8_t s = b.scales[i / 16];
                y[i] = d * float(s & 0x0F) * float(q2k_code(b, i)) - dmin * float(s >> 4);
            }
        });
    case PLINTH_TYPE_Q3_K:
        return each_block<BlockQ3_K>(src, dst, n, kBlock256, [](const BlockQ3_K& b, float* y) {
            const float d = fp16_to_fp32(b.d);
            for (int i = 0; i < kBlock256; ++i)
                y[i] = d * float(q3k_scale(b.scales, i / 16)) * float(q3k_code(b, i) - 4);
        });
    case PLINTH_TYPE_Q4_K:
        return each_block<BlockQ4_K>(src, dst, n, kBlock256, [](const BlockQ4_K& b, float* y) {
            const float d = fp16_to_fp32(b.d), dmin = fp16_to_fp32(b.dmin);
            for (int i = 0; i < kBlock256; ++i) {
                uint8_t sc, mn;
                k4_scale_min(b.scales, i / 32, &sc, &mn);
                y[i] = d * float(sc) * float(q4k_code(b, i)) - dmin * float(mn);
            }
        });
    case PLINTH_TYPE_Q5_K:
        return each_block<BlockQ5_K>(src, dst, n, kBlock256, [](const BlockQ5_K& b, float* y) {
            const float d = fp16_to_fp32(b.d), dmin = fp16_to_fp32(b.dmin);
            for (int i = 0; i < kBlock256; ++i) {
                uint8_t sc, mn;
                k4_scale_min(b.scales, i / 32, &sc, &mn);
                y[i] = d * float(sc) * float(q5k_code(b, i)) - dmin * float(mn);
            }
        });
    case PLINTH_TYPE_Q6_K:
        return each_block<BlockQ6_K>(src, dst, n, kBlock256, [](const BlockQ6_K& b, float* y) {
            const float d = fp16_to_fp32(b.d);
            for (int i = 0; i < kBlock256; ++i) y[i] = d * float(b.scales[i / 16]) * float(q6k_code(b, i) - 32);
        });
    case PLINTH_TYPE_Q8_K:
        return each_block<BlockQ8_K>(src, dst, n, kBlock256, [](const BlockQ8_K& b, float* y) {
            for (int i = 0; i < kBlock256; ++i) y[i] = b.d * float(b.qs[i]);
        });
    default:
        return;  // unreachable: check_row threw
    }
}

}  // namespace plinth::weight_formats
