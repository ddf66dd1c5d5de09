// The reference quantizer, f32 row -> blocks.
//
// 32-element blocks: one scale per block, codes rounded to nearest. Scales are rounded to f16 first
// and the codes computed against the rounded scale, so each code is the nearest for what is stored;
// except Q8_0 / Q8_1, the activation formats, which follow the reference's activation quantizer.
// K-quants: a least-squares fit of each sub-block's scale (and min) over a few candidate grids, then
// the sub-block scales are themselves quantized to 4/6/8 bits against the super-block scale and the
// codes are recomputed against the scales as stored.
#include <algorithm>
#include <cmath>
#include <cstring>

#include <plinth/weight_formats.hpp>
#include <plinth/weight_formats/block_layouts.hpp>
#include <plinth/weight_formats/half.hpp>

namespace plinth::weight_formats {
namespace {

constexpr float kF16Max = 65504.0f;

// x rounded to the nearest integer (ties away from zero, like std::lround, and independent of the FP
// rounding mode) and clamped to lo..hi. Clamping first keeps the int conversion in range; the
// truncation and the exact remainder x - trunc(x) are a lot cheaper than a libm call per element.
int round_clamp(float x, int lo, int hi) {
    x = std::clamp(x, float(lo), float(hi));
    const int t = int(x);
    const float frac = x - float(t);
    return t + int(frac >= 0.5f) - int(frac <= -0.5f);
}
// A scale as it is stored: clamped into f16 range and rounded to f16; and its value.
uint16_t to_f16(float x) { return fp32_to_fp16(std::clamp(x, -kF16Max, kF16Max)); }
float as_f16(float x) { return fp16_to_fp32(to_f16(x)); }

float abs_max(const float* x, int n) {
    float m = 0.0f;
    for (int i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
    return m;
}
// The value of largest magnitude, sign kept (the first one on ties).
float signed_abs_max(const float* x, int n) {
    float m = 0.0f;
    for (int i = 0; i < n; ++i)
        if (std::fabs(x[i]) > std::fabs(m)) m = x[i];
    return m;
}

// ---- 32-element blocks --------------------------------------------------------------------------------

// Q8_0 / Q8_1, the activation formats: the reference's (llama.cpp's) activation quantizer, because
// a code one off changes a whole model's logits measurably. d = max|x| / 127 is stored as f16, but
// the codes are q = x * (127 / max|x|) rounded to nearest, ties to even, against the f32 scale: a
// code can be one off the nearest for the stored d (by at most 127 |d - d_f16|). |q| <= 127, never
// -128 (the AVX2 dot relies on it). Q8_1's s is that f32 d times the sum of the codes.
int round_half_even(float x) {  // |x| < 2^23
    int t = int(x);  // toward zero
    const float frac = x - float(t);
    if (frac > 0.5f || (frac == 0.5f && (t & 1))) ++t;
    else if (frac < -0.5f || (frac == -0.5f && (t & 1))) --t;
    return t;
}

template <class Block>
void quantize_q8(const float* x, Block& b) {
    const float amax = abs_max(x, kBlock32);
    const float d = amax / 127.0f;
    const float id = amax > 0.0f ? 127.0f / amax : 0.0f;
    b.d = to_f16(d);
    int sum = 0;
    for (int i = 0; i < kBlock32; ++i) {
        b.qs[i] = int8_t(round_half_even(x[i] * id));
        sum += b.qs[i];
    }
    if constexpr (requires { b.s; }) b.s = to_f16(d * float(sum));
}

// Q4_0 / Q5_0: x = d * (q - half), q in 0 .. 2 half - 1. The value of largest magnitude maps to code 0
// exactly (d takes its sign), which uses the one extra negative level of the asymmetric code range.
template <class Block, int kHalf>
void quantize_symmetric32(const float* x, Block& b) {
    const float d = as_f16(signed_abs_max(x, kBlock32) / -float(kHalf));
    b.d = fp32_to_fp16(d);
    std::memset(b.qs, 0, sizeof b.qs);
    if constexpr (requires { b.qh; }) std::memset(b.qh, 0, sizeof b.qh);
    for (int i = 0; i < kBlock32; ++i) {
        const int q = d != 0.0f ? round_clamp(x[i] / d + float(kHalf), 0, 2 * kHalf - 1) : kHalf;
        if constexpr (requires { b.qh; }) q5_set(b.qs, b.qh, i, q);
        else q4_set(b.qs, i, q);
    }
}

// Q4_1 / Q5_1: x = d * q + m with m = min(x), d = (max - min) / levels.
template <class Block, int kLevels>
void quantize_affine32(const float* x, Block& b) {
    const float lo = *std::min_element(x, x + kBlock32), hi = *std::max_element(x, x + kBlock32);
    const float d = as_f16((hi - lo) / float(kLevels));
    const float m = as_f16(lo);
    b.d = fp32_to_fp16(d);
    b.m = fp32_to_fp16(m);
    std::memset(b.qs, 0, sizeof b.qs);
    if constexpr (requires { b.qh; }) std::memset(b.qh, 0, sizeof b.qh);
    for (int i = 0; i < kBlock32; ++i) {
        const int q = d != 0.0f ? round_clamp((x[i] - m) / d, 0, kLevels) : 0;
        if constexpr (requires { b.qh; }) q5_set(b.qs, b.qh, i, q);
        else q4_set(b.qs, i, q);
    }
}

// ---- sub-block fits for the K-quants ----------------------------------------------------------------

constexpr int kGridSteps = 10;  // candidate grids: the top code moved by -1.0 .. +1.0 in steps of 0.1

// x ~ scale * q - offset with q in 0..qmax, scale >= 0, offset >= 0. The format subtracts the min, so
// the represented minimum -offset is never above 0: an all-positive sub-block still starts at 0.
struct AffineFit {
    float scale = 0.0f, offset = 0.0f;
};

float affine_error(const float* x, int n, int qmax, AffineFit f) {
    float err = 0.0f;
    for (int i = 0; i < n; ++i) {
        const int q = f.scale > 0.0f ? round_clamp((x[i] + f.offset) / f.scale, 0, qmax) : 0;
        const float e = f.scale * float(q) - f.offset - x[i];
        err += e * e;
    }
    return err;
}

AffineFit fit_affine(const float* x, int n, int qmax) {
    const float lo = std::min(0.0f, *std::min_element(x, x + n));
    const float hi = *std::max_element(x, x + n);
    if (hi <= lo) return {0.0f, -lo};  // constant sub-block: code 0 and the offset say it exactly

    AffineFit best{(hi - lo) / float(qmax), -lo};
    float best_err = affine_error(x, n, qmax, best);
    for (int step = -kGridSteps; step <= kGridSteps; ++step) {
        // Codes on a slightly stretched or squeezed grid, then the least-squares (scale, min) for them.
        const float iscale = (float(qmax) + 0.1f * float(step)) / (hi - lo);
        double sq = 0, sqq = 0, sx = 0, sqx = 0;
        for (int i = 0; i < n; ++i) {
            const double q = round_clamp((x[i] - lo) * iscale, 0, qmax);
            sq += q; sqq += q * q; sx += x[i]; sqx += q * x[i];
        }
        const double det = n * sqq - sq * sq;
        if (det <= 0) continue;
        double scale = (n * sqx - sq * sx) / det;
        double min = (sqq * sx - sq * sqx) / det;
        if (min > 0) {  // the format cannot add: refit the scale alone with min = 0
            min = 0;
            scale = sqx / sqq;
        }
        if (scale <= 0) continue;
        const AffineFit f{float(scale), float(-min)};
        const float err = affine_error(x, n, qmax, f);
        if (err < best_err) {
            best_err = err;
            best = f;
        }
    }
    return best;
}

// x ~ scale * q with q in qmin..qmax (qmin = -qmax - 1); the scale may be negative.
float symmetric_error(const float* x, int n, int qmin, int qmax, float scale) {
    float err = 0.0f;
    for (int i = 0; i < n; ++i) {
        const int q = scale != 0.0f ? round_clamp(x[i] / scale, qmin, qmax) : 0;
        const float e = scale * float(q) - x[i];
        err += e * e;
    }
    return err;
}

float fit_symmetric(const float* x, int n, int qmin, int qmax) {
    const float m = signed_abs_max(x, n);
    if (m == 0.0f) return 0.0f;
    float best = m / float(qmin);  // the extreme value on the extra negative level
    float best_err = symmetric_error(x, n, qmin, qmax, best);
    // Put the extreme value near either end of the code range, then refit the scale by least squares.
    for (int end : {qmin, qmax}) {
        for (int step = -kGridSteps; step <= kGridSteps; ++step) {
            const float iscale = (float(end) + 0.1f * float(step)) / m;
            double sqq = 0, sqx = 0;
            for (int i = 0; i < n; ++i) {
                const double q = round_clamp(x[i] * iscale, qmin, qmax);
                sqq += q * q; sqx += q * x[i];
            }
            if (sqq == 0) continue;
            const float scale = float(sqx / sqq);
            const float err = symmetric_error(x, n, qmin, qmax, scale);
            if (err < best_err) {
                best_err = err;
                best = scale;
            }
        }
    }
    return best;
}

// ---- K-quant super-blocks -----------------------------------------------------------------------------

// Affine types (Q2_K, Q4_K, Q5_K): fit each sub-block, store its scale and offset as integers in
// 0..smax of the super-block's d and dmin, then the codes against what is stored.
struct AffineSuperBlock {
    float d = 0, dmin = 0;
    int sc[16] = {}, mn[16] = {};
    int q[kBlock256] = {};
};

AffineSuperBlock quantize_affine_k(const float* x, int sub, int qmax, int smax) {
    const int nsub = kBlock256 / sub;
    AffineFit fits[16];
    float max_scale = 0, max_offset = 0;
    for (int j = 0; j < nsub; ++j) {
        fits[j] = fit_affine(x + j * sub, sub, qmax);
        max_scale = std::max(max_scale, fits[j].scale);
        max_offset = std::max(max_offset, fits[j].offset);
    }
    AffineSuperBlock r;
    r.d = as_f16(max_scale / float(smax));
    r.dmin = as_f16(max_offset / float(smax));
    for (int j = 0; j < nsub; ++j) {
        r.sc[j] = r.d > 0 ? round_clamp(fits[j].scale / r.d, 0, smax) : 0;
        r.mn[j] = r.dmin > 0 ? round_clamp(fits[j].offset / r.dmin, 0, smax) : 0;
        const float scale = r.d * float(r.sc[j]), offset = r.dmin * float(r.mn[j]);
        for (int i = j * sub; i < (j + 1) * sub; ++i)
            r.q[i] = scale > 0 ? round_clamp((x[i] + offset) / scale, 0, qmax) : 0;
    }
    return r;
}

// Symmetric types (Q3_K, Q6_K): sub-block scales in smin..smax of d; d takes the sign that puts the
// largest sub-block scale on smin. Codes are returned with their bias (code = q - qmin).
struct SymmetricSuperBlock {
    float d = 0;
    int sc[16] = {};
    int code[kBlock256] = {};
};

SymmetricSuperBlock quantize_symmetric_k(const float* x, int qmin, int qmax, int smin, int smax) {
    float scales[16];
    for (int j = 0; j < 16; ++j) scales[j] = fit_symmetric(x + 16 * j, 16, qmin, qmax);
    SymmetricSuperBlock r;
    r.d = as_f16(signed_abs_max(scales, 16) / float(smin));
    for (int j = 0; j < 16; ++j) {
        r.sc[j] = r.d != 0 ? round_clamp(scales[j] / r.d, smin, smax) : 0;
        const float scale = r.d * float(r.sc[j]);
        for (int i = 16 * j; i < 16 * (j + 1); ++i)
            r.code[i] = (scale != 0 ? round_clamp(x[i] / scale, qmin, qmax) : 0) - qmin;
    }
    return r;
}

void quantize_q2_k(const float* x, BlockQ2_K& b) {
    const AffineSuperBlock r = quantize_affine_k(x, 16, 3, 15);
    std::memset(&b, 0, sizeof b);
    b.d = fp32_to_fp16(r.d);
    b.dmin = fp32_to_fp16(r.dmin);
    for (int j = 0; j < 16; ++j) b.scales[j] = uint8_t(r.sc[j] | (r.mn[j] << 4));
    for (int i = 0; i < kBlock256; ++i) k2_set(b.qs, i, r.q[i]);
}

void quantize_q3_k(const float* x, BlockQ3_K& b) {
    const SymmetricSuperBlock r = quantize_symmetric_k(x, -4, 3, -32, 31);
    std::memset(&b, 0, sizeof b);
    b.d = fp32_to_fp16(r.d);
    for (int j = 0; j < 16; ++j) q3k_scale_set(b.scales, j, r.sc[j]);
    for (int i = 0; i < kBlock256; ++i) {
        k2_set(b.qs, i, r.code[i] & 3);
        k_top_set(b.hmask, i, r.code[i] >> 2);
    }
}

template <class Block>
void quantize_q45_k(const float* x, Block& b) {
    constexpr bool five_bit = requires { b.qh; };
    const AffineSuperBlock r = quantize_affine_k(x, 32, five_bit ? 31 : 15, 63);
    std::memset(&b, 0, sizeof b);
    b.d = fp32_to_fp16(r.d);
    b.dmin = fp32_to_fp16(r.dmin);
    for (int j = 0; j < 8; ++j) k4_scale_min_set(b.scales, j, r.sc[j], r.mn[j]);
    for (int i = 0; i < kBlock256; ++i) {
        k4_set(b.qs, i, r.q[i] & 0x0F);
        if constexpr (five_bit) k_top_set(b.qh, i, r.q[i] >> 4);
    }
}

void quantize_q6_k(const float* x, BlockQ6_K& b) {
    const SymmetricSuperBlock r = quantize_symmetric_k(x, -32, 31, -128, 127);
    std::memset(&b, 0, sizeof b);
    b.d = fp32_to_fp16(r.d);
    for (int j = 0; j < 16; ++j) b.scales[j] = int8_t(r.sc[j]);
    for (int i = 0; i < kBlock256; ++i) q6k_set(b, i, r.code[i]);
}

// Q8_K (activations): f32 d = max|x| / 127, q in -127..127, and the 16-element sums.
void quantize_q8_k(const float* x, BlockQ8_K& b) {
    b.d = abs_max(x, kBlock256) / 127.0f;
    for (int i = 0; i < kBlock256; ++i) b.qs[i] = int8_t(b.d > 0 ? round_clamp(x[i] / b.d, -127, 127) : 0);
    for (int j = 0; j < 16; ++j) {
        int sum = 0;
        for (int i = 16 * j; i < 16 * (j + 1); ++i) sum += b.qs[i];
        b.bsums[j] = int16_t(sum);
    }
}

template <class Block, class Fn>
void each_block(const float* src, void* dst, int64_t n, int block_size, Fn fn) {
    auto* blocks = static_cast<Block*>(dst);
    for (int64_t b = 0; b < n / block_size; ++b) fn(src + b * block_size, blocks[b]);
}

}  // namespace

void quantize_row(uint32_t type, const float* src, void* dst, int64_t n) {
    check_row(type, n, "quantize_row");
    switch (type) {
    case PLINTH_TYPE_F32:
        std::memcpy(dst, src, size_t(n) * sizeof(float));
        return;
    case PLINTH_TYPE_F16: {
        auto* h = static_cast<uint16_t*>(dst);
        for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_fp16(src[i]);
        return;
    }
    case PLINTH_TYPE_BF16: {
        auto* h = static_cast<uint16_t*>(dst);
        for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_bf16(src[i]);
        return;
    }
    case PLINTH_TYPE_Q4_0: return each_block<BlockQ4_0>(src, dst, n, kBlock32, quantize_symmetric32<BlockQ4_0, 8>);
    case PLINTH_TYPE_Q5_0: return each_block<BlockQ5_0>(src, dst, n, kBlock32, quantize_symmetric32<BlockQ5_0, 16>);
    case PLINTH_TYPE_Q4_1: return each_block<BlockQ4_1>(src, dst, n, kBlock32, quantize_affine32<BlockQ4_1, 15>);
    case PLINTH_TYPE_Q5_1: return each_block<BlockQ5_1>(src, dst, n, kBlock32, quantize_affine32<BlockQ5_1, 31>);
    case PLINTH_TYPE_Q8_0: return each_block<BlockQ8_0>(src, dst, n, kBlock32, quantize_q8<BlockQ8_0>);
    case PLINTH_TYPE_Q8_1: return each_block<BlockQ8_1>(src, dst, n, kBlock32, quantize_q8<BlockQ8_1>);
    case PLINTH_TYPE_Q2_K: return each_block<BlockQ2_K>(src, dst, n, kBlock256, quantize_q2_k);
    case PLINTH_TYPE_Q3_K: return each_block<BlockQ3_K>(src, dst, n, kBlock256, quantize_q3_k);
    case PLINTH_TYPE_Q4_K: return each_block<BlockQ4_K>(src, dst, n, kBlock256, quantize_q45_k<BlockQ4_K>);
    case PLINTH_TYPE_Q5_K: return each_block<BlockQ5_K>(src, dst, n, kBlock256, quantize_q45_k<BlockQ5_K>);
    case PLINTH_TYPE_Q6_K: return each_block<BlockQ6_K>(src, dst, n, kBlock256, quantize_q6_k);
    case PLINTH_TYPE_Q8_K: return each_block<BlockQ8_K>(src, dst, n, kBlock256, quantize_q8_k);
    default:
        return;  // unreachable: check_row threw
    }
}

}  // namespace plinth::weight_formats
