#include "vec.hpp"

#include <plinth/weight_formats/half.hpp>

#include <cmath>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PLINTH_X86_DISPATCH 1
#endif

#if defined(PLINTH_X86_DISPATCH) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
// One body, several compiled copies, chosen by the dynamic loader (ifunc).
#define PLINTH_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define PLINTH_CLONES
#endif

namespace plinth::cpu {

// The loops keep 16 independent partial sums so the compiler can vectorise them without
// reassociating (no -ffast-math needed): the summation order is fixed by the code, not the ISA.
PLINTH_CLONES float vec_dot(const float* a, const float* b, int64_t n) {
    float acc[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j) acc[j] += a[i + j] * b[i + j];
    for (int j = 0; i < n; ++i, ++j) acc[j] += a[i] * b[i];
    for (int j = 0; j < 8; ++j) acc[j] += acc[j + 8];
    for (int j = 0; j < 4; ++j) acc[j] += acc[j + 4];
    return (acc[0] + acc[2]) + (acc[1] + acc[3]);
}

PLINTH_CLONES void vec_swiglu(const float* g, const float* u, float* dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const float x = g[i];
        dst[i] = x / (1.0f + exp_float(-x)) * u[i];
    }
}

PLINTH_CLONES void vec_softmax_factors(float* d, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const float x = d[i];
        const float e = exp_float(x > 0 ? -x : x);
        d[i] = x > 0 ? -e : e;
    }
}

PLINTH_CLONES void vec_axpy(float* y, float a, const float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

PLINTH_CLONES double vec_sum_squares(const float* x, int64_t n) {
    double acc[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j) {
            const float sq = x[i + j] * x[i + j];
            acc[j] += double(sq);
        }
    for (int j = 0; i < n; ++i, ++j) {
        const float sq = x[i] * x[i];
        acc[j] += double(sq);
    }
    for (int j = 0; j < 8; ++j) acc[j] += acc[j + 8];
    for (int j = 0; j < 4; ++j) acc[j] += acc[j + 4];
    return (acc[0] + acc[2]) + (acc[1] + acc[3]);
}

namespace {

#ifdef PLINTH_X86_DISPATCH
__attribute__((target("avx,f16c"))) void f16_to_f32_f16c(const uint16_t* src, float* dst, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
    for (; i < n; ++i) dst[i] = weight_formats::fp16_to_fp32(src[i]);
}

__attribute__((target("avx,f16c"))) void f32_to_f16_f16c(const float* src, uint16_t* dst, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; ++i) dst[i] = weight_formats::fp32_to_fp16(src[i]);
}

__attribute__((target("avx,f16c,fma"))) void vec_mad_f16_fma(uint16_t* y, float a, const uint16_t* x, int64_t n) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 vx = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i)));
        const __m256 vy = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(y + i)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i),
                         _mm256_cvtps_ph(_mm256_fmadd_ps(vx, va, vy), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; ++i)
        y[i] = weight_formats::fp32_to_fp16(std::fma(weight_formats::fp16_to_fp32(x[i]), a, weight_formats::fp16_to_fp32(y[i])));
}

// Lane j of a 4-double vector takes elements j, j + 4, ...: the order of the plain loops below.
__attribute__((target("avx"))) void dot_f16_values_avx(const float* q, const float* const* k, int rows, int64_t n, float* out) {
    __m256d acc[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m128 qv = _mm_loadu_ps(q + i);
        for (int r = 0; r < rows; ++r) acc[r] = _mm256_add_pd(acc[r], _mm256_cvtps_pd(_mm_mul_ps(qv, _mm_loadu_ps(k[r] + i))));
    }
    for (int r = 0; r < rows; ++r) {
        alignas(32) double lane[4];
        _mm256_store_pd(lane, acc[r]);
        for (int64_t t = i; t < n; ++t) lane[0] += double(q[t] * k[r][t]);
        out[r] = float((lane[0] + lane[1]) + (lane[2] + lane[3]));
    }
}

__attribute__((target("avx,f16c"))) void vec_scale_f16_f16c(uint16_t* y, float a, int64_t n) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 vy = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(y + i)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm256_cvtps_ph(_mm256_mul_ps(vy, va), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; ++i) y[i] = weight_formats::fp32_to_fp16(weight_formats::fp16_to_fp32(y[i]) * a);
}

bool have_f16c() {
    static const bool yes = __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
    return yes;
}

bool have_f16c_fma() {
    static const bool yes = have_f16c() && __builtin_cpu_supports("fma");
    return yes;
}
#endif

}  // namespace

void f16_to_f32(const uint16_t* src, float* dst, int64_t n) {
#ifdef PLINTH_X86_DISPATCH
    if (have_f16c()) return f16_to_f32_f16c(src, dst, n);
#endif
    for (int64_t i = 0; i < n; ++i) dst[i] = weight_formats::fp16_to_fp32(src[i]);
}

void f32_to_f16(const float* src, uint16_t* dst, int64_t n) {
#ifdef PLINTH_X86_DISPATCH
    if (have_f16c()) return f32_to_f16_f16c(src, dst, n);
#endif
    for (int64_t i = 0; i < n; ++i) dst[i] = weight_formats::fp32_to_fp16(src[i]);
}

namespace {
void dot_f16_values_plain(const float* q, const float* const* k, int rows, int64_t n, float* out) {
    for (int r = 0; r < rows; ++r) {
        double acc[4] = {};
        int64_t i = 0;
        for (; i + 4 <= n; i += 4)
            for (int j = 0; j < 4; ++j) acc[j] += double(q[i + j] * k[r][i + j]);
        for (; i < n; ++i) acc[0] += double(q[i] * k[r][i]);
        out[r] = float((acc[0] + acc[1]) + (acc[2] + acc[3]));
    }
}
void dot_f16_values(const float* q, const float* const* k, int rows, int64_t n, float* out) {
#ifdef PLINTH_X86_DISPATCH
    if (have_f16c()) return dot_f16_values_avx(q, k, rows, n, out);
#endif
    dot_f16_values_plain(q, k, rows, n, out);
}
}  // namespace

float vec_dot_f16_values(const float* q, const float* k, int64_t n) {
    float out;
    dot_f16_values(q, &k, 1, n, &out);
    return out;
}

void vec_dot_f16_values4(const float* q, const float* const k[4], int64_t n, float out[4]) { dot_f16_values(q, k, 4, n, out); }

void vec_mad_f16(uint16_t* y, float a, const uint16_t* x, int64_t n) {
#ifdef PLINTH_X86_DISPATCH
    if (have_f16c_fma()) return vec_mad_f16_fma(y, a, x, n);
#endif
    for (int64_t i = 0; i < n; ++i)
        y[i] = weight_formats::fp32_to_fp16(std::fma(weight_formats::fp16_to_fp32(x[i]), a, weight_formats::fp16_to_fp32(y[i])));
}

void vec_scale_f16(uint16_t* y, float a, int64_t n) {
#ifdef PLINTH_X86_DISPATCH
    if (have_f16c()) return vec_scale_f16_f16c(y, a, n);
#endif
    for (int64_t i = 0; i < n; ++i) y[i] = weight_formats::fp32_to_fp16(weight_formats::fp16_to_fp32(y[i]) * a);
}

}  // namespace plinth::cpu
