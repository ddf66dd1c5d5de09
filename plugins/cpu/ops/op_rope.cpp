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

    const float* src = x.as<const float>();
    float* dst = n.dst.as<float>();
    const int64_t n_rot = 2 * half;
    ctx.pool->parallel_for(x.rows, rows_per_chunk(head_dim, 8192), [&](int64_t r0, int64_t r1, unsigned) {
        for (int64_t r = r0; r < r1; ++r) {
            const float* cs = table + (r / heads) * half * 2;
            const float* a = src + r * head_dim;
            float* b = dst + r * head_dim;
            if (neox) {
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
            if (b != a && n_rot < head_dim)
                std::memcpy(b + n_rot, a + n_rot, size_t(head_dim - n_rot) * sizeof(float));
        }
    });
    return PLINTH_OK;
}

}  // namespace plinth::cpu
