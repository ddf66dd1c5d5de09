// ROPE: rotary position embedding. For pair i < n_rot/2 of every head of token t,
//   theta = positions[t] * scale * base^(-2i / n_rot)
// rotates (x[2i], x[2i+1]) (mode 0, adjacent pairs) or (x[i], x[i + n_rot/2]) (mode 2, NeoX);
// the dims past n_rot are copied. Optional frequency factors (src2) divide each pair's angle. The cos/sin of each (token, pair) are computed once into a table
// every head then reads, in float the way the reference does it (theta = position, multiplied by
// base^(-2 / n_rot) from one pair to the next; cosf / sinf of scale * theta), and each rotated
// value with one fused multiply-add (x0 c - x1 s as fma(x0, c, -(x1 s))): a quantized model's
// activation quantizers turn even float-rounding differences into whole code steps.
#include "ops.hpp"

#include <plinth/sdk/rope_angles.hpp>

#include <cmath>
#include <cstring>

namespace plinth::cpu {
namespace {

struct rope_rows {
    const float* src;
    float* dst;
    const float* table;  // per token: half {cos, sin} pairs
    int64_t heads, head_dim, half;
    bool neox;
};

// Rows r0 .. r1 - 1. Inlined into both callers below: where the CPU has FMA the fused
// multiply-adds are instructions instead of calls to libm's fmaf (the calls were 2% of a 134M
// model's batched decode); the results are the same.
[[gnu::always_inline]] inline void rotate_rows(const rope_rows& p, int64_t r0, int64_t r1) {
    const int64_t half = p.half, head_dim = p.head_dim, n_rot = 2 * half;
    for (int64_t r = r0; r < r1; ++r) {
        const float* cs = p.table + (r / p.heads) * half * 2;
        const float* a = p.src + r * head_dim;
        float* b = p.dst + r * head_dim;
        if (p.neox) {
            for (int64_t i = 0; i < half; ++i) {
                const float x0 = a[i], x1 = a[i + half], c = cs[2 * i], s = cs[2 * i + 1];
                b[i] = std::fma(x0, c, -(x1 * s));
                b[i + half] = std::fma(x0, s, x1 * c);
            }
        } else {
            for (int64_t i = 0; i < half; ++i) {
                const float x0 = a[2 * i], x1 = a[2 * i + 1], c = cs[2 * i], s = cs[2 * i + 1];
                b[2 * i] = std::fma(x0, c, -(x1 * s));
                b[2 * i + 1] = std::fma(x0, s, x1 * c);
            }
        }
        if (b != a && n_rot < head_dim) std::memcpy(b + n_rot, a + n_rot, size_t(head_dim - n_rot) * sizeof(float));
    }
}

void rotate_rows_plain(const rope_rows& p, int64_t r0, int64_t r1) { rotate_rows(p, r0, r1); }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("fma"))) void rotate_rows_fma(const rope_rows& p, int64_t r0, int64_t r1) { rotate_rows(p, r0, r1); }
bool have_fma() {
    static const bool yes = __builtin_cpu_supports("fma");
    return yes;
}
#else
void rotate_rows_fma(const rope_rows& p, int64_t r0, int64_t r1) { rotate_rows(p, r0, r1); }
bool have_fma() { return false; }
#endif

}  // namespace

plinth_status op_rope(compute_context& ctx, const node_view& n, plinth_message*) {
    const tensor_view& x = n.src[0];
    const int32_t* pos = n.src[1].as<const int32_t>();
    const int64_t tokens = n.src[1].elements;
    const int64_t head_dim = x.ne0;
    const int64_t heads = x.rows / tokens;
    const int64_t half = n.node->i[0] / 2;
    const bool neox = n.node->i[1] == 2;
    const float base = n.node->f[0];
    const float scale = n.node->f[1];
    const float* factors = n.node->src[2] != PLINTH_NO_TENSOR ? n.src[2].as<const float>() : nullptr;

    // table[t][i] = {cos, sin} of scale * theta_i, theta_0 = positions[t], theta_{i+1} = theta_i * step.
    float* table = static_cast<float*>(ctx.shared.get(size_t(tokens * half) * 2 * sizeof(float)));
    const float step = sdk::rope_step(base, uint32_t(2 * half));
    ctx.pool->parallel_for(tokens, half >= 1024 ? 1 : 1024 / half, [&](int64_t t0, int64_t t1, unsigned) {
        for (int64_t t = t0; t < t1; ++t) sdk::rope_cos_sin(float(pos[t]), step, scale, uint32_t(half), table + t * half * 2, factors);
    });

    const rope_rows rows{x.as<const float>(), n.dst.as<float>(), table, heads, head_dim, half, neox};
    const auto rotate = have_fma() ? rotate_rows_fma : rotate_rows_plain;
    ctx.pool->parallel_for(x.rows, rows_per_chunk(head_dim, 8192), [&](int64_t r0, int64_t r1, unsigned) { rotate(rows, r0, r1); });
    return PLINTH_OK;
}

}  // namespace plinth::cpu
