// One attention work unit: scores, then the online softmax and the weighted sum of the V rows, in
// the arithmetic op_attention.cpp describes. Two implementations with the same results: plain
// code over the vec.hpp kernels, and (F16 cache, head size a multiple of 8, AVX2 + F16C + FMA) one
// function with every per-position step inline: at head size 64 the calls of the plain path cost
// more than the arithmetic. (256-bit on purpose: 512-bit floating point here slowed decoding by ~5%,
// the matrix-vector products around it running at a lower clock.)
#include "attention_unit.hpp"
#include "vec.hpp"

#include <plinth/weight_formats/half.hpp>

#include "../quant/cpu_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PLINTH_ATTENTION_AVX2 1
#endif

namespace plinth::cpu {
namespace {

// The online softmax's factors of one unit, all at once. Position j's score s_j, against the
// running maximum M of the positions before it, either rescales what came before (s_j > M: by
// exp(M - s_j), and s_j becomes M with weight 1) or is weighed by exp(s_j - M). The maxima are a
// cheap running scan; the exps (the costly part) then run vectorised (vec_softmax_factors). Each
// score is replaced by its factor, a rescale negated: its sign bit marks it (the first position's
// rescale is exp(-inf) = -0).
void softmax_factors(const attention_unit& u) {
    if (u.softcap > 0.0f) {  // Gemma 2: the scores are soft-capped before the softmax (by the reciprocal: faster)
        const float inv = 1.0f / u.softcap;
        for (int64_t i = 0; i < u.nh * u.count; ++i) u.scores[i] = u.softcap * std::tanh(u.scores[i] * inv);
    }
    for (int64_t h = 0; h < u.nh; ++h) {
        float* s = u.scores + h * u.count;
        float max = -INFINITY;
        for (int64_t j = 0; j < u.count; ++j) {
            const float d = s[j] - max;  // > 0: a new maximum (M - s_j = -d exactly)
            if (d > 0) max = s[j];
            s[j] = d;
        }
    }
    vec_softmax_factors(u.scores, u.nh * u.count);
}

struct softmax_step {
    float rescale = 1.0f, weight = 1.0f;
};
inline softmax_step step(float factor) {
    softmax_step r;
    if (std::signbit(factor)) r.rescale = -factor;
    else r.weight = factor;
    return r;
}

// Walks a sequence's positions in order and gives each one's cache row offset, without a division
// per position (the block size is a run-time value).
struct position_cursor {
    const attention_unit& u;
    int64_t b = u.first / u.block, in = u.first % u.block;
    size_t at() const { return size_t(int64_t(u.blocks[b]) * u.block + in) * u.kv_row + u.head_offset; }
    void next() {
        if (++in == u.block) {
            in = 0;
            ++b;
        }
    }
};

void attend_plain(const attention_unit& u) {
    const int64_t D = u.head_dim, count = u.count, block = u.block;
    auto row_at = [&](int64_t j) {
        const int64_t p = u.first + j;
        return size_t(int64_t(u.blocks[p / block]) * block + p % block) * u.kv_row + u.head_offset;
    };
    const auto* k16 = static_cast<const uint16_t*>(u.k);
    const auto* kf = static_cast<const float*>(u.k);

    // Scores; over an F16 cache, four positions at a time.
    int64_t j = 0;
    if (u.f16) {
        for (; j + 4 <= count; j += 4) {
            const float* k4[4];
            for (int r = 0; r < 4; ++r) {
                f16_to_f32(k16 + row_at(j + r), u.kbuf + r * D, D);
                k4[r] = u.kbuf + r * D;
            }
            for (int64_t h = 0; h < u.nh; ++h) {
                float dots[4];
                vec_dot_f16_values4(u.q + h * D, k4, D, dots);
                for (int r = 0; r < 4; ++r) u.scores[h * count + j + r] = u.scale * dots[r];
            }
        }
    }
    for (; j < count; ++j) {
        const float* k = kf + row_at(j);
        if (u.f16) {
            f16_to_f32(k16 + row_at(j), u.kbuf, D);
            k = u.kbuf;
        }
        for (int64_t h = 0; h < u.nh; ++h)
            u.scores[h * count + j] = u.scale * (u.f16 ? vec_dot_f16_values(u.q + h * D, k, D) : vec_dot(u.q + h * D, k, D));
    }

    // Online softmax and the weighted sum of the V rows, position by position.
    softmax_factors(u);
    float sum[kMaxHeadsPerUnit];
    std::fill(sum, sum + u.nh, 0.0f);
    if (u.f16) std::fill(u.acc16, u.acc16 + u.nh * D, uint16_t(0));
    else std::fill(u.out, u.out + u.nh * D, 0.0f);
    for (j = 0; j < count; ++j) {
        const size_t at = row_at(j);
        for (int64_t h = 0; h < u.nh; ++h) {
            const softmax_step st = step(u.scores[h * count + j]);
            if (u.f16) {
                uint16_t* acc = u.acc16 + h * D;
                if (st.rescale != 1.0f) vec_scale_f16(acc, st.rescale, D);
                vec_mad_f16(acc, st.weight, static_cast<const uint16_t*>(u.v) + at, D);
            } else {
                float* acc = u.out + h * D;
                if (st.rescale != 1.0f)
                    for (int64_t i = 0; i < D; ++i) acc[i] *= st.rescale;
                vec_axpy(acc, st.weight, static_cast<const float*>(u.v) + at, D);
            }
            sum[h] = sum[h] * st.rescale + st.weight;
        }
    }
    if (u.f16) f16_to_f32(u.acc16, u.out, u.nh * D);
    for (int64_t h = 0; h < u.nh; ++h) {
        const float inv = 1.0f / sum[h];
        float* o = u.out + h * D;
        for (int64_t i = 0; i < D; ++i) o[i] *= inv;
    }
}

#ifdef PLINTH_ATTENTION_AVX2
bool have_avx2_f16() {
    static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma");
    return yes;
}

#define PLINTH_AVX2_F16 __attribute__((target("avx2,f16c,fma")))
PLINTH_AVX2_F16 inline __m256 widen(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
PLINTH_AVX2_F16 inline void narrow(uint16_t* p, __m256 x) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
}
PLINTH_AVX2_F16 inline __m256 round16(__m256 x) { return _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)); }
// The rows of a paged cache are scattered (a block's rows are a whole K or V row apart, blocks
// anywhere), so the hardware prefetcher does not see the next one coming: the unit asks for its
// head's slice of the row kAhead positions on, in every loop over the positions (perf, a batch of
// 8 decoding sequences on the 134M model: half the attention's samples sat on the row loads).
constexpr int64_t kAhead = 4;
inline void prefetch_slice(const uint16_t* p, int64_t D) {
    for (int64_t i = 0; i < D; i += 32) _mm_prefetch(reinterpret_cast<const char*>(p + i), _MM_HINT_T0);
}
// A cursor kAhead positions ahead of the unit's walk, prefetching the slice of each row it passes
// that the unit will read.
struct row_prefetcher {
    const attention_unit& u;
    const uint16_t* base;
    position_cursor at;
    int64_t j;
    row_prefetcher(const attention_unit& unit, const uint16_t* rows) : u(unit), base(rows), at{unit}, j(0) {
        for (; j < kAhead; ++j) at.next();
    }
    void next() {
        if (j < u.count) prefetch_slice(base + at.at(), u.head_dim);
        at.next();
        ++j;
    }
};

PLINTH_AVX2_F16 inline float finish(__m256d acc) {  // (l0 + l1) + (l2 + l3), rounded to float once
    alignas(32) double l[4];
    _mm256_store_pd(l, acc);
    return float((l[0] + l[1]) + (l[2] + l[3]));
}

// The softmax and weighted sum for head size 8 NV, head by head with the F16 accumulator in
// registers (as floats that are F16 values: each step rounds to F16 and back), instead of loading
// and storing it at every position. The same operations per element as the loop below it.
template <int NV>
PLINTH_AVX2_F16 void weighted_sum_in_registers(const attention_unit& u, const uint16_t* v16) {
    const int64_t count = u.count;
    for (int64_t h = 0; h < u.nh; ++h) {
        __m256 acc[NV];
        for (int c = 0; c < NV; ++c) acc[c] = _mm256_setzero_ps();
        float sum = 0.0f;
        position_cursor pos{u};
        row_prefetcher ahead(u, v16);
        for (int64_t j = 0; j < count; ++j, pos.next()) {
            ahead.next();
            const uint16_t* v = v16 + pos.at();
            const softmax_step st = step(u.scores[h * count + j]);
            if (st.rescale != 1.0f) {
                const __m256 s = _mm256_set1_ps(st.rescale);
                for (int c = 0; c < NV; ++c) acc[c] = round16(_mm256_mul_ps(acc[c], s));
            }
            const __m256 w = _mm256_set1_ps(st.weight);
            for (int c = 0; c < NV; ++c) acc[c] = round16(_mm256_fmadd_ps(widen(v + 8 * c), w, acc[c]));
            sum = sum * st.rescale + st.weight;
        }
        const __m256 inv = _mm256_set1_ps(1.0f / sum);
        for (int c = 0; c < NV; ++c) _mm256_storeu_ps(u.out + h * 8 * NV + 8 * c, _mm256_mul_ps(acc[c], inv));
    }
}

// Scores of positions j .. j + R - 1 from K rows already widened to double: lane j of the 4-double
// sums takes q_i k_i for i = j, j + 4, ..., each product exact in double, so one fused
// multiply-add per 4 elements gives the same sums as product-then-add (scores_group below).
template <int R>
PLINTH_AVX2_F16 void scores_group_wide(const attention_unit& u, const double* qd, int64_t h, int64_t j) {
    const int64_t D = u.head_dim;
    const double* k[R];
    for (int r = 0; r < R; ++r) k[r] = u.k_wide + size_t(j + r) * u.kv_row + u.head_offset;
    __m256d acc[R];
    for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_pd();
    for (int64_t i = 0; i < D; i += 4) {
        const __m256d qv = _mm256_loadu_pd(qd + i);
        for (int r = 0; r < R; ++r) acc[r] = _mm256_fmadd_pd(qv, _mm256_loadu_pd(k[r] + i), acc[r]);
    }
    for (int r = 0; r < R; ++r) u.scores[h * u.count + j + r] = u.scale * finish(acc[r]);
}

// Scores of positions j .. j + R - 1 for every head of the unit (R fixed, so the R sums stay in
// registers); kpos is at position j and is left after them.
template <int R>
PLINTH_AVX2_F16 void scores_group(const attention_unit& u, const uint16_t* k16, position_cursor& kpos, row_prefetcher& ahead, int64_t j) {
    const int64_t D = u.head_dim;
    for (int r = 0; r < R; ++r, kpos.next()) {
        ahead.next();
        const uint16_t* k = k16 + kpos.at();
        for (int64_t i = 0; i < D; i += 8) _mm256_storeu_ps(u.kbuf + r * D + i, widen(k + i));
    }
    for (int64_t h = 0; h < u.nh; ++h) {
        const float* q = u.q + h * D;
        __m256d acc[R];
        for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_pd();
        for (int64_t i = 0; i < D; i += 8) {
            const __m256 qv = _mm256_loadu_ps(q + i);
            for (int r = 0; r < R; ++r) {
                const __m256 p = _mm256_mul_ps(qv, _mm256_loadu_ps(u.kbuf + r * D + i));
                acc[r] = _mm256_add_pd(acc[r], _mm256_cvtps_pd(_mm256_castps256_ps128(p)));
                acc[r] = _mm256_add_pd(acc[r], _mm256_cvtps_pd(_mm256_extractf128_ps(p, 1)));
            }
        }
        for (int r = 0; r < R; ++r) u.scores[h * u.count + j + r] = u.scale * finish(acc[r]);
    }
}

// The plain path's arithmetic, 8 elements per step: widening F16 and rounding to F16 are exact
// per element, products are formed in float, the q . k sums kept in 4 double lanes with lane j
// taking elements j, j + 4, ... in order, the F16 accumulators updated by one fused multiply-add
// and one rounding per element.
PLINTH_AVX2_F16 void attend_f16_avx2(const attention_unit& u) {
    const int64_t D = u.head_dim, count = u.count;
    const auto* k16 = static_cast<const uint16_t*>(u.k);
    const auto* v16 = static_cast<const uint16_t*>(u.v);

    // Scores, four positions at a time (their K rows widened once for all heads, or already).
    int64_t j = 0;
    if (u.k_wide != nullptr) {
        double* qd = reinterpret_cast<double*>(u.kbuf);  // (4 D floats of scratch hold D doubles)
        for (int64_t h = 0; h < u.nh; ++h) {
            for (int64_t i = 0; i < D; i += 4) _mm256_storeu_pd(qd + i, _mm256_cvtps_pd(_mm_loadu_ps(u.q + h * D + i)));
            for (j = 0; j + 4 <= count; j += 4) scores_group_wide<4>(u, qd, h, j);
            switch (count - j) {
            case 3: scores_group_wide<3>(u, qd, h, j); break;
            case 2: scores_group_wide<2>(u, qd, h, j); break;
            case 1: scores_group_wide<1>(u, qd, h, j); break;
            default: break;
            }
        }
    } else {
        position_cursor kpos{u};
        row_prefetcher ahead(u, k16);
        for (; j + 4 <= count; j += 4) scores_group<4>(u, k16, kpos, ahead, j);
        switch (count - j) {
        case 3: scores_group<3>(u, k16, kpos, ahead, j); break;
        case 2: scores_group<2>(u, k16, kpos, ahead, j); break;
        case 1: scores_group<1>(u, k16, kpos, ahead, j); break;
        default: break;
        }
    }

    // Online softmax and the weighted sum of the V rows in F16 accumulators.
    softmax_factors(u);
    if (D == 64) return weighted_sum_in_registers<8>(u, v16);
    if (D == 32) return weighted_sum_in_registers<4>(u, v16);
    float sum[kMaxHeadsPerUnit];
    std::fill(sum, sum + u.nh, 0.0f);
    std::fill(u.acc16, u.acc16 + u.nh * D, uint16_t(0));
    position_cursor vpos{u};
    for (j = 0; j < count; ++j, vpos.next()) {
        const uint16_t* v = v16 + vpos.at();
        for (int64_t h = 0; h < u.nh; ++h) {
            const softmax_step st = step(u.scores[h * count + j]);
            uint16_t* acc = u.acc16 + h * D;
            const __m256 w = _mm256_set1_ps(st.weight);
            if (st.rescale != 1.0f) {
                const __m256 s = _mm256_set1_ps(st.rescale);
                for (int64_t i = 0; i < D; i += 8) narrow(acc + i, _mm256_mul_ps(widen(acc + i), s));
            }
            for (int64_t i = 0; i < D; i += 8) narrow(acc + i, _mm256_fmadd_ps(widen(v + i), w, widen(acc + i)));
            sum[h] = sum[h] * st.rescale + st.weight;
        }
    }
    for (int64_t h = 0; h < u.nh; ++h) {
        const __m256 inv = _mm256_set1_ps(1.0f / sum[h]);
        for (int64_t i = 0; i < D; i += 8) _mm256_storeu_ps(u.out + h * D + i, _mm256_mul_ps(widen(u.acc16 + h * D + i), inv));
    }
}

PLINTH_AVX2_F16 void widen_f16_to_f64_avx2(const uint16_t* src, double* dst, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = widen(src + i);
        _mm256_storeu_pd(dst + i, _mm256_cvtps_pd(_mm256_castps256_ps128(x)));
        _mm256_storeu_pd(dst + i + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)));
    }
    for (; i < n; ++i) dst[i] = double(_cvtsh_ss(src[i]));
}
#endif

bool use_avx2(bool f16, int64_t head_dim) {
#ifdef PLINTH_ATTENTION_AVX2
    // With the kernels' level (the CPU plugin's 'simd' option) set to scalar, the plain path.
    return f16 && head_dim % 8 == 0 && std::strcmp(quant::dispatch_name(), "scalar") != 0 && have_avx2_f16();
#else
    return false;
#endif
}

}  // namespace

bool attend_uses_wide_k(bool f16, int64_t head_dim) { return use_avx2(f16, head_dim); }

void widen_f16_to_f64(const uint16_t* src, double* dst, int64_t n) {
#ifdef PLINTH_ATTENTION_AVX2
    if (have_avx2_f16()) return widen_f16_to_f64_avx2(src, dst, n);
#endif
    for (int64_t i = 0; i < n; ++i) dst[i] = double(weight_formats::fp16_to_fp32(src[i]));
}

void attend(const attention_unit& u) {
#ifdef PLINTH_ATTENTION_AVX2
    if (use_avx2(u.f16, u.head_dim)) return attend_f16_avx2(u);
#endif
    attend_plain(u);  // (k_wide is only ever built for the AVX2 path)
}

}  // namespace plinth::cpu
