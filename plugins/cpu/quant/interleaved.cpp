// Weights in the kernels' interleaved layouts (interleaved_layout.hpp): making the copy, the column
// terms its kernels take, the scalar kernels (the levels without one of their own, and the
// reference the SIMD ones are tested against through gemm), and gemm_interleaved.
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

// The scalar kernels' walk: out[c * out_stride + 16 g + r] = row_dot(group g's first byte, column c's
// activation blocks, its terms, r).
template <class Act, class RowDot>
void scalar_walk(int64_t groups, size_t group_bytes, const uint8_t* packed, int64_t cols, const uint8_t* act,
                 size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride,
                 RowDot&& row_dot) {
    for (int64_t g = 0; g < groups; ++g)
        for (int64_t c = 0; c < cols; ++c)
            for (int64_t r = 0; r < kRows; ++r)
                out[c * out_stride + g * kRows + r] =
                    row_dot(packed + size_t(g) * group_bytes, reinterpret_cast<const Act*>(act + size_t(c) * act_stride),
                            terms + size_t(c) * terms_stride, r);
}

// Lane by lane what the SIMD kernels do: per row the block's exact integer sum plus its bias
// term, times f16(d_w) * d_a, one fused multiply-add chain over the blocks in order.
void gemm_q4_0_scalar(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                      size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    using namespace q4_0;
    scalar_walk<BlockQ8_0>(groups, group_bytes(nb), packed, cols, act, act_stride, terms, terms_stride, out, out_stride,
                    [&](const uint8_t* group, const BlockQ8_0* a, const uint8_t* t, int64_t r) {
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
        return sum;
    });
}

// The lanes order lane by lane: lane k of a block the integer sum over elements 4k .. 4k + 3, one
// fused multiply-add chain by f16(d_w) f16(d_a) per lane, the lanes added as the reference does.
void gemm_q8_0_scalar(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                      size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    using namespace q8_0;
    scalar_walk<BlockQ8_0>(groups, group_bytes(nb), packed, cols, act, act_stride, terms, terms_stride, out, out_stride,
                           [&](const uint8_t* group, const BlockQ8_0* a, const uint8_t*, int64_t r) {
        float lanes[8] = {};
        for (int64_t b = 0; b < nb; ++b) {
            uint16_t dw;
            std::memcpy(&dw, group + scales_at(b) + 2 * r, 2);
            const float d = fp16_to_fp32(dw) * fp16_to_fp32(a[b].d);
            for (int k = 0; k < 8; ++k) {
                int32_t isum = 0;
                for (int i = 0; i < 4; ++i)
                    isum += int32_t(int8_t(group[codes_at(b) + 64 * size_t(k) + 4 * size_t(r) + size_t(i)])) * a[b].qs[4 * k + i];
                lanes[k] = std::fma(d, float(isum), lanes[k]);
            }
        }
        return ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
    });
}

// Per row: isum = sum_j sc_j * (sum of (q - 32) a over sub-block j), kquant_term added block by block.
void gemm_q6_k_scalar(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                      size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    using namespace q6_k;
    scalar_walk<BlockQ8_K>(groups, group_bytes(nb), packed, cols, act, act_stride, terms, terms_stride, out, out_stride,
                    [&](const uint8_t* group, const BlockQ8_K* a, const uint8_t* t, int64_t r) {
        float sum = 0.0f;
        for (int64_t b = 0; b < nb; ++b) {
            const uint8_t* blk = group + size_t(b) * kBlockBytes;
            int32_t dp[16];
            for (int j = 0; j < 16; ++j) dp[j] = term_bias(t, b)[j];
            for (int h = 0; h < 2; ++h)
                for (int tt = 0; tt < 2; ++tt)
                    for (int m = 0; m < 8; ++m)
                        for (int k = 0; k < 4; ++k) {
                            const uint8_t low = blk[low_chunk(h, tt, m) + 4 * size_t(r) + size_t(k)];
                            const uint8_t top = blk[top_chunk(h, m) + 4 * size_t(r) + size_t(k)];
                            const int e = 128 * h + 32 * tt + 4 * m + k;  // the low nibble's element
                            const int q_lo = (low & 0x0F) | (((top >> (2 * tt)) & 3) << 4);
                            const int q_hi = (low >> 4) | (((top >> (2 * tt + 4)) & 3) << 4);
                            dp[e / 16] += q_lo * a[b].qs[e];
                            dp[(e + 64) / 16] += q_hi * a[b].qs[e + 64];
                        }
            int32_t isum = 0;
            for (int j = 0; j < 16; ++j) isum += int32_t(int8_t(blk[scales_at(j) + size_t(r)])) * dp[j];
            uint16_t d;
            std::memcpy(&d, blk + kDAt + 2 * r, 2);
            sum += kquant_term(fp16_to_fp32(d), term_scale(t, nb)[b], isum);
        }
        return sum;
    });
}

// Per row: isum = sum_j sc_j * (sum of q a over sub-block j), msum = sum_j mn_j * (sum of a over
// it), kquant_term_min added block by block (Q4_K: L = k45<false>; Q5_K: k45<true>).
template <class L>
void gemm_k45_scalar(int64_t groups, int64_t nb, const uint8_t* packed, int64_t cols, const uint8_t* act,
                     size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride) {
    using namespace q4_k;
    scalar_walk<BlockQ8_K>(groups, L::group_bytes(nb), packed, cols, act, act_stride, terms, terms_stride, out, out_stride,
                           [&](const uint8_t* group, const BlockQ8_K* a, const uint8_t* t, int64_t r) {
        float sum = 0.0f;
        for (int64_t b = 0; b < nb; ++b) {
            const uint8_t* blk = group + size_t(b) * L::kBlockBytes;
            int32_t dp[8] = {};
            for (int p = 0; p < 4; ++p)
                for (int m = 0; m < 8; ++m)
                    for (int k = 0; k < 4; ++k) {
                        const uint8_t code = blk[L::chunk(p, m) + 4 * size_t(r) + size_t(k)];
                        const uint8_t top = L::kHasTop ? blk[L::top_chunk(m) + 4 * size_t(r) + size_t(k)] : 0;
                        const int e = 64 * p + 4 * m + k;
                        dp[2 * p] += ((code & 0x0F) | (((top >> (2 * p)) & 1) << 4)) * a[b].qs[e];
                        dp[2 * p + 1] += ((code >> 4) | (((top >> (2 * p + 1)) & 1) << 4)) * a[b].qs[e + 32];
                    }
            int32_t isum = 0, msum = 0;
            for (int j = 0; j < 8; ++j) {
                isum += int32_t(blk[L::scales_at(j) + size_t(r)]) * dp[j];
                const int32_t sums = term_sums(t, b)[j / 2];
                const int32_t asum = j % 2 == 0 ? int16_t(sums & 0xFFFF) : int16_t(uint32_t(sums) >> 16);
                msum += int32_t(blk[L::mins_at(j / 2) + 2 * size_t(r) + size_t(j % 2)]) * asum;
            }
            uint16_t d, dmin;
            std::memcpy(&d, blk + L::kDAt + 2 * r, 2);
            std::memcpy(&dmin, blk + L::kDminAt + 2 * r, 2);
            sum += kquant_term_min(term_scale(t, nb)[b], fp16_to_fp32(d), fp16_to_fp32(dmin), isum, msum);
        }
        return sum;
    });
}

}  // namespace

InterleavedFn reference_interleaved_kernel(uint32_t weight_type) {
    switch (weight_type) {
    case PLINTH_TYPE_Q4_0: return gemm_q4_0_scalar;
    case PLINTH_TYPE_Q8_0: return gemm_q8_0_scalar;
    case PLINTH_TYPE_Q4_K: return gemm_k45_scalar<k45<false>>;
    case PLINTH_TYPE_Q5_K: return gemm_k45_scalar<k45<true>>;
    case PLINTH_TYPE_Q6_K: return gemm_q6_k_scalar;
    default: return nullptr;
    }
}

}  // namespace detail

namespace {

namespace il = detail::interleaved;
using weight_formats::BlockQ4_0;
using weight_formats::BlockQ4_K;
using weight_formats::BlockQ5_K;
using weight_formats::BlockQ6_K;
using weight_formats::BlockQ8_0;
using weight_formats::BlockQ8_K;

void check_interleavable(uint32_t weight_type, int64_t rows, int64_t n, const char* what) {
    if (!interleavable(weight_type, rows, n))
        throw std::invalid_argument(std::string(what) + ": no interleaved layout for type " + std::to_string(weight_type) +
                                    " with " + std::to_string(rows) + " rows of " + std::to_string(n));
}

int64_t blocks_per_row(uint32_t weight_type, int64_t n) {
    const bool small = weight_type == PLINTH_TYPE_Q4_0 || weight_type == PLINTH_TYPE_Q8_0;
    return n / (small ? weight_formats::kBlock32 : weight_formats::kBlock256);
}

size_t bytes_per_group(uint32_t weight_type, int64_t n) {
    const int64_t nb = blocks_per_row(weight_type, n);
    switch (weight_type) {
    case PLINTH_TYPE_Q8_0: return il::q8_0::group_bytes(nb);
    case PLINTH_TYPE_Q4_K: return il::k45<false>::group_bytes(nb);
    case PLINTH_TYPE_Q5_K: return il::k45<true>::group_bytes(nb);
    case PLINTH_TYPE_Q6_K: return il::q6_k::group_bytes(nb);
    default: return il::q4_0::group_bytes(nb);
    }
}

// Q4_0 and Q8_0: blocks in pairs (the layout's functions as template arguments), chunk
// k of a block holding qs[4k .. 4k + 3] of each row, the F16 scales after the pair's codes.
template <class W, int kChunks, size_t (*group_bytes)(int64_t), size_t (*codes_at)(int64_t), size_t (*scales_at)(int64_t)>
void interleave_pairs(int64_t groups, int64_t nb, const uint8_t* w, size_t stride, uint8_t* out) {
    for (int64_t g = 0; g < groups; ++g) {
        uint8_t* group = out + size_t(g) * group_bytes(nb);
        if (nb % 2 != 0) std::memset(group + codes_at(nb), 0, group_bytes(nb) - codes_at(nb));  // the empty half pair
        for (int64_t r = 0; r < il::kRows; ++r) {
            const auto* row = reinterpret_cast<const W*>(w + size_t(g * il::kRows + r) * stride);
            for (int64_t b = 0; b < nb; ++b) {
                std::memcpy(group + scales_at(b) + 2 * r, &row[b].d, 2);
                for (int k = 0; k < kChunks; ++k) std::memcpy(group + codes_at(b) + 64 * k + 4 * r, row[b].qs + 4 * k, 4);
            }
        }
    }
}

void interleave_q6_k(int64_t groups, int64_t nb, const uint8_t* w, size_t stride, uint8_t* out) {
    using namespace il::q6_k;
    for (int64_t g = 0; g < groups; ++g) {
        for (int64_t r = 0; r < il::kRows; ++r) {
            const auto* row = reinterpret_cast<const BlockQ6_K*>(w + size_t(g * il::kRows + r) * stride);
            for (int64_t b = 0; b < nb; ++b) {
                uint8_t* blk = out + size_t(g) * group_bytes(nb) + size_t(b) * kBlockBytes;
                if (r == 0) std::memset(blk + kDAt, 0, kBlockBytes - kDAt);  // d and the padding
                for (int h = 0; h < 2; ++h)
                    for (int m = 0; m < 8; ++m) {
                        for (int t = 0; t < 2; ++t)
                            std::memcpy(blk + low_chunk(h, t, m) + 4 * r, row[b].ql + 64 * h + 32 * t + 4 * m, 4);
                        std::memcpy(blk + top_chunk(h, m) + 4 * r, row[b].qh + 32 * h + 4 * m, 4);
                    }
                for (int j = 0; j < 16; ++j) std::memcpy(blk + scales_at(j) + r, &row[b].scales[j], 1);
                std::memcpy(blk + kDAt + 2 * r, &row[b].d, 2);
            }
        }
    }
}

// Q4_K (kFifthBit false) and Q5_K: the same fields but Q5_K's qh.
template <class W, bool kFifthBit>
void interleave_k45(int64_t groups, int64_t nb, const uint8_t* w, size_t stride, uint8_t* out) {
    using L = il::k45<kFifthBit>;
    for (int64_t g = 0; g < groups; ++g) {
        for (int64_t r = 0; r < il::kRows; ++r) {
            const auto* row = reinterpret_cast<const W*>(w + size_t(g * il::kRows + r) * stride);
            for (int64_t b = 0; b < nb; ++b) {
                uint8_t* blk = out + size_t(g) * L::group_bytes(nb) + size_t(b) * L::kBlockBytes;
                for (int p = 0; p < 4; ++p)
                    for (int m = 0; m < 8; ++m) std::memcpy(blk + L::chunk(p, m) + 4 * r, row[b].qs + 32 * p + 4 * m, 4);
                if constexpr (kFifthBit)
                    for (int m = 0; m < 8; ++m) std::memcpy(blk + L::top_chunk(m) + 4 * r, row[b].qh + 4 * m, 4);
                for (int j = 0; j < 8; ++j) {
                    uint8_t sc, mn;
                    weight_formats::k4_scale_min(row[b].scales, j, &sc, &mn);
                    blk[L::scales_at(j) + size_t(r)] = sc;
                    blk[L::mins_at(j / 2) + 2 * size_t(r) + size_t(j % 2)] = mn;
                }
                std::memcpy(blk + L::kDAt + 2 * r, &row[b].d, 2);
                std::memcpy(blk + L::kDminAt + 2 * r, &row[b].dmin, 2);
            }
        }
    }
}

}  // namespace

bool interleavable(uint32_t weight_type, int64_t rows, int64_t n) {
    if (rows <= 0 || rows % il::kRows != 0 || n <= 0) return false;
    if (weight_type == PLINTH_TYPE_Q4_0 || weight_type == PLINTH_TYPE_Q8_0) return n % weight_formats::kBlock32 == 0;
    if (weight_type == PLINTH_TYPE_Q4_K || weight_type == PLINTH_TYPE_Q5_K || weight_type == PLINTH_TYPE_Q6_K)
        return n % weight_formats::kBlock256 == 0;
    return false;
}

bool interleaving_pays(uint32_t weight_type) {
    const detail::InterleavedFn fn = detail::best_table().interleaved[weight_type];
    return fn != nullptr && fn != detail::reference_interleaved_kernel(weight_type);
}

size_t interleaved_bytes(uint32_t weight_type, int64_t rows, int64_t n) {
    check_interleavable(weight_type, rows, n, "interleaved_bytes");
    return size_t(rows / il::kRows) * bytes_per_group(weight_type, n);
}

void interleave(uint32_t weight_type, int64_t rows, int64_t n, const void* w, size_t w_row_stride_bytes, void* out) {
    check_interleavable(weight_type, rows, n, "interleave");
    const int64_t groups = rows / il::kRows, nb = blocks_per_row(weight_type, n);
    const auto* src = static_cast<const uint8_t*>(w);
    auto* dst = static_cast<uint8_t*>(out);
    switch (weight_type) {
    case PLINTH_TYPE_Q8_0:
        return interleave_pairs<BlockQ8_0, 8, il::q8_0::group_bytes, il::q8_0::codes_at, il::q8_0::scales_at>(
            groups, nb, src, w_row_stride_bytes, dst);
    case PLINTH_TYPE_Q4_K: return interleave_k45<BlockQ4_K, false>(groups, nb, src, w_row_stride_bytes, dst);
    case PLINTH_TYPE_Q5_K: return interleave_k45<BlockQ5_K, true>(groups, nb, src, w_row_stride_bytes, dst);
    case PLINTH_TYPE_Q6_K: return interleave_q6_k(groups, nb, src, w_row_stride_bytes, dst);
    default:
        return interleave_pairs<BlockQ4_0, 4, il::q4_0::group_bytes, il::q4_0::codes_at, il::q4_0::scales_at>(
            groups, nb, src, w_row_stride_bytes, dst);
    }
}

size_t column_terms_bytes(uint32_t weight_type, int64_t n) {
    check_interleavable(weight_type, il::kRows, n, "column_terms_bytes");
    const int64_t nb = blocks_per_row(weight_type, n);
    switch (weight_type) {
    case PLINTH_TYPE_Q8_0: return il::q8_0::terms_bytes(nb);
    case PLINTH_TYPE_Q4_K:
    case PLINTH_TYPE_Q5_K: return il::q4_k::terms_bytes(nb);
    case PLINTH_TYPE_Q6_K: return il::q6_k::terms_bytes(nb);
    default: return il::q4_0::terms_bytes(nb);
    }
}

void column_terms(uint32_t weight_type, int64_t n, const void* act, void* terms) {
    check_interleavable(weight_type, il::kRows, n, "column_terms");
    const int64_t nb = blocks_per_row(weight_type, n);
    auto* bias = static_cast<int32_t*>(terms);
    if (weight_type == PLINTH_TYPE_Q8_0) {
        const auto* a = static_cast<const BlockQ8_0*>(act);
        auto* scale = reinterpret_cast<float*>(static_cast<uint8_t*>(terms) + 32 * nb);
        for (int64_t b = 0; b < nb; ++b) {
            for (int k = 0; k < 8; ++k)
                bias[8 * b + k] = -128 * (a[b].qs[4 * k] + a[b].qs[4 * k + 1] + a[b].qs[4 * k + 2] + a[b].qs[4 * k + 3]);
            scale[b] = weight_formats::fp16_to_fp32(a[b].d);
        }
        return;
    }
    if (weight_type == PLINTH_TYPE_Q4_K || weight_type == PLINTH_TYPE_Q5_K) {
        const auto* a = static_cast<const BlockQ8_K*>(act);
        auto* scale = reinterpret_cast<float*>(static_cast<uint8_t*>(terms) + 16 * nb);
        for (int64_t b = 0; b < nb; ++b) {
            for (int q = 0; q < 4; ++q) {  // sub-blocks 2q, 2q + 1: bsums 4q .. 4q + 3
                const int32_t lo = a[b].bsums[4 * q] + a[b].bsums[4 * q + 1], hi = a[b].bsums[4 * q + 2] + a[b].bsums[4 * q + 3];
                bias[4 * b + q] = int32_t((uint32_t(uint16_t(int16_t(lo)))) | (uint32_t(uint16_t(int16_t(hi))) << 16));
            }
            scale[b] = a[b].d;
        }
        return;
    }
    if (weight_type == PLINTH_TYPE_Q6_K) {
        const auto* a = static_cast<const BlockQ8_K*>(act);
        auto* scale = reinterpret_cast<float*>(static_cast<uint8_t*>(terms) + 64 * nb);
        for (int64_t b = 0; b < nb; ++b) {
            for (int j = 0; j < 16; ++j) bias[16 * b + j] = -32 * int32_t(a[b].bsums[j]);
            scale[b] = a[b].d;
        }
        return;
    }
    const auto* a = static_cast<const BlockQ8_0*>(act);
    auto* scale = reinterpret_cast<float*>(static_cast<uint8_t*>(terms) + 4 * nb);
    for (int64_t b = 0; b < nb; ++b) {
        int32_t sum = 0;
        for (int i = 0; i < weight_formats::kBlock32; ++i) sum += a[b].qs[i];
        bias[b] = -8 * sum;
        scale[b] = weight_formats::fp16_to_fp32(a[b].d);
    }
}

void gemm_interleaved(uint32_t weight_type, int64_t n, const void* packed, int64_t row0, int64_t rows, int64_t cols,
                      const void* act, size_t act_col_stride_bytes, const void* terms, size_t terms_col_stride_bytes,
                      float* out, int64_t out_col_stride) {
    if (!interleavable(weight_type, rows, n) || row0 % il::kRows != 0)
        throw std::invalid_argument("gemm_interleaved: rows " + std::to_string(row0) + " .. " + std::to_string(row0 + rows) +
                                    " are not whole groups of an interleaved matrix of type " + std::to_string(weight_type));
    const auto* first = static_cast<const uint8_t*>(packed) + size_t(row0 / il::kRows) * bytes_per_group(weight_type, n);
    detail::active_table().interleaved[weight_type](rows / il::kRows, blocks_per_row(weight_type, n), first, cols,
                                                    static_cast<const uint8_t*>(act), act_col_stride_bytes,
                                                    static_cast<const uint8_t*>(terms), terms_col_stride_bytes, out,
                                                    out_col_stride);
}

}  // namespace plinth::quant
