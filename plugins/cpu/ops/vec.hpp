#pragma once
// Small vector kernels of the non-matmul ops. Each is compiled for several x86 levels (AVX-512,
// AVX2+FMA, baseline) and the loader picks the best this CPU runs; elsewhere it is plain C++.
#include <cmath>
#include <cstdint>

namespace plinth::cpu {

// exp(x) rounded to float from the C library's double exp: the float nearest the exact value but
// for about one argument in 2^28. A C library's expf misrounds more (glibc: 6 in 10^4 of arguments
// in [-20, 5], each library its own), and those last bits are the one thing a GPU backend could not
// reproduce; the Vulkan shaders' exp_float gives these bits. The goldens are unchanged by it.
inline float exp_float(float x) { return float(std::exp(double(x))); }

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
