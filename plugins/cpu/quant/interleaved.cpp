// Weights in the kernels' interleaved layout (interleaved_layout.hpp): making the copy, the column
// terms its kernels take, the scalar kernel (the levels without one of their own, and the reference
// the SIMD ones are tested against through gemm), and the dispatch of gemm_interleaved.
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include <plinth/weight_formats/block_layouts.hpp>
#include <plinth/weight_formats/half.hpp>

#include "cpu_kernels.hpp"
#include "interleaved_layout.hpp"
#include "kernel_tables.hpp"

namespace plinth::quant {

namespace detail {
namespace {

using namespace interleaved;

// Lane by lane what the SIMD kernels do: per row the block's exact integer sum plus its bias
// term, times f16(d_w) * d_a, one fused multiply-add chain over the blocks in order.
void gemm_q4_0_scalar(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                      size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    for (int64_t g = 0; g < groups; ++g) {
        const uint8_t* group = packed + size_t(g) * group_bytes(nb);
        for (int64_t c = 0; c < cols; ++c) {
            const auto* a = reinterpret_cast<const BlockQ8_0*>(act + size_t(c) * act_stride);
            const uint8_t* t = terms + size_t(c) * terms_stride;
            for (int64_t r = 0; r < kRows; ++r) {
                float sum = 0.0f;
                for (int64_t b = 0; b < nb; ++b) {
                    const uint8_t* blk = group + codes_at(b);
                    int32_t isum = term_bias(t)[b];
                    for (int m = 0; m < 4; ++m)
                        for (int j = 0; j < 4; ++j) {
                            const uint8_t code = blk[64 * m + 4 * r + j];
                            isum += int32_t(code & 0x0F) * a[b].qs[4 * m + j] + int32_t(code >> 4) * a[b].qs[16 + 4 * m + j];
                        }
                    uint16_t d;
                    std::memcpy(&d, group + scales_at(b) + 2 * r, 2);
                    sum = std::fma(float(isum), fp16_to_fp32(d) * term_scale(t, nb)[b], sum);
                }
                out[c * out_stride + g * kRows + r] = sum;
            }
        }
    }
}

}  // namespace

InterleavedFn reference_interleaved_kernel(uint32_t weight_type) {
    return weight_type == PLINTH_TYPE_Q4_0 ? gemm_q4_0_scalar : nullptr;
}

}  // namespace detail

namespace {

using namespace detail::interleaved;

void check_interleavable(uint32_t weight_type, int64_t rows, int64_t n, const char* what) {
    if (!interleavable(weight_type, rows, n))
        throw std::invalid_argument(std::string(what) + ": no interleaved layout for type " + std::to_string(weight_type) +
                                    " with " + std::to_string(rows) + " rows of " + std::to_string(n));
}

}  // namespace

bool interleavable(uint32_t weight_type, int64_t rows, int64_t n) {
    return weight_type == PLINTH_TYPE_Q4_0 && rows > 0 && rows % kRows == 0 && n > 0 && n % weight_formats::kBlock32 == 0;
}

size_t interleaved_bytes(uint32_t weight_type, int64_t rows, int64_t n) {
    check_interleavable(weight_type, rows, n, "interleaved_bytes");
    return size_t(rows / kRows) * group_bytes(n / weight_formats::kBlock32);
}

void interleave(uint32_t weight_type, int64_t rows, int64_t n, const void* w, size_t w_row_stride_bytes, void* out) {
    check_interleavable(weight_type, rows, n, "interleave");
    using weight_formats::BlockQ4_0;
    const int64_t nb = n / weight_formats::kBlock32;
    for (int64_t g = 0; g < rows / kRows; ++g) {
        uint8_t* group = static_cast<uint8_t*>(out) + size_t(g) * group_bytes(nb);
        if (nb % 2 != 0) std::memset(group + codes_at(nb), 0, group_bytes(nb) - codes_at(nb));  // the empty half pair
        for (int64_t r = 0; r < kRows; ++r) {
            const auto* row = reinterpret_cast<const BlockQ4_0*>(static_cast<const uint8_t*>(w) + size_t(g * kRows + r) * w_row_stride_bytes);
            for (int64_t b = 0; b < nb; ++b) {
                std::memcpy(group + scales_at(b) + 2 * r, &row[b].d, 2);
                for (int m = 0; m < 4; ++m) std::memcpy(group + codes_at(b) + 64 * m + 4 * r, row[b].qs + 4 * m, 4);
            }
        }
    }
}

size_t column_terms_bytes(uint32_t weight_type, int64_t n) {
    check_interleavable(weight_type, kRows, n, "column_terms_bytes");
    return terms_bytes(n / weight_formats::kBlock32);
}

void column_terms(uint32_t weight_type, int64_t n, const void* act, void* terms) {
    check_interleavable(weight_type, kRows, n, "column_terms");
    const int64_t nb = n / weight_formats::kBlock32;
    const auto* a = static_cast<const weight_formats::BlockQ8_0*>(act);
    auto* bias = static_cast<int32_t*>(terms);
    auto* scale = reinterpret_cast<float*>(static_cast<uint8_t*>(terms) + 4 * nb);
    for (int64_t b = 0; b < nb; ++b) {
        int32_t sum = 0;
        for (int i = 0; i < weight_formats::kBlock32; ++i) sum += a[b].qs[i];
        bias[b] = -8 * sum;
        scale[b] = weight_formats::fp16_to_fp32(a[b].d);
    }
}

}  // namespace plinth::quant
