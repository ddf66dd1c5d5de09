#pragma once
// Small vector kernels of the non-matmul ops. Each is compiled for several x86 levels (AVX-512,
// AVX2+FMA, baseline) and the loader picks the best this CPU runs; elsewhere it is plain C++.
#include <cmath>
#include <cstdint>

namespace plinth::cpu {

// exp(x) for float x, evaluated in double and rounded once: the float nearest the exact value but
// for about one argument in 2^28. A C library's expf misrounds more often (glibc: 6 in 10^4
// arguments in [-20, 5], each library its own), and those last bits are what a GPU backend could
// not reproduce; the Vulkan shaders' exp_float (shaders/common.glsl) is this function, operation
// for operation, so both give the same bits. The goldens are unchanged by it.
//   x clamped to [-104, 88.8] (the ends give 0 and inf, as exp does); k = x * log2(e) rounded to
//   an even integer in float; r = (x - k ln2_hi) - k ln2_lo in double (ln2_hi has 32 bits, so k ln2_hi is
//   exact); exp(r), |r| <= 0.35, by its Taylor series to r^13 / 13! (truncation below 1e-17) in
//   Horner form; times 2^k, exact.
inline double exp_float_wide(float x_in) {
    // (A NaN is carried through at the end: converting it to an integer below would be undefined.)
    float x = x_in != x_in ? 0.0f : x_in;
    x = x < -104.0f ? -104.0f : x;
    x = x > 88.8f ? 88.8f : x;
    // Rounded to even by adding and taking away 1.5 * 2^23 (|x log2(e)| < 2^22).
    const float k_float = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
    const int32_t k_int = int32_t(k_float);
    const double k = double(k_float);
    const double r = (double(x) - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // 2^k as a double built from its bits (k is in [-151, 129]: always a normal double).
    const uint64_t bits = uint64_t(int64_t(k_int) + 1023) << 52;
    double scale;
    __builtin_memcpy(&scale, &bits, sizeof(scale));
    return x_in != x_in ? double(x_in) : p * scale;
}
inline float exp_float(float x) { return float(exp_float_wide(x)); }

// dst[i] = g[i] / (1 + exp_float(-g[i])) * u[i] (silu(g) * u), vectorised.
void vec_swiglu(const float* g, const float* u, float* dst, int64_t n);
// The online softmax's factors from d = score - running maximum (attention_unit.cpp): d > 0 gives
// -exp_float(-d) (a rescale, marked by its sign), else exp_float(d). In place, vectorised.
void vec_softmax_factors(float* d, int64_t n);

float vec_dot(const float* a, const float* b, int64_t n);
// y[i] += a * x[i]
void vec_axpy(float* y, float a, const float* x, int64_t n);
// q . k for values that are F16 widened to float: every product is exact in float, the sum is kept
// in double (4 lanes, lane j taking elements j, j + 4, ...) and rounded once, as the reference's F16
// dot product does it for short rows.
float vec_dot_f16_values(const float* q, const float* k, int64_t n);
// The same for one q and four k rows at once (out[r] = vec_dot_f16_values(q, k[r], n), bit for bit):
// four independent sums, so they do not wait on each other's additions.
void vec_dot_f16_values4(const float* q, const float* const k[4], int64_t n, float out[4]);
// sum of x[i]^2: each square rounded to float, the sum kept in double (as the reference's RMS norm)
double vec_sum_squares(const float* x, int64_t n);

// IEEE half <-> float, round to nearest even (F16C where the CPU has it; identical results).
void f16_to_f32(const uint16_t* src, float* dst, int64_t n);
void f32_to_f16(const float* src, uint16_t* dst, int64_t n);

// F16 accumulators (attention over an F16 cache, as the reference does it), each result rounded
// to F16 once: y[i] = f16(y[i] + a * x[i]) with the multiply-add fused, and y[i] = f16(y[i] * a).
void vec_mad_f16(uint16_t* y, float a, const uint16_t* x, int64_t n);
void vec_scale_f16(uint16_t* y, float a, int64_t n);

}  // namespace plinth::cpu
