// ROPE: rotary position embedding. For pair i < n_rot/2 of every head of token t,
//   theta = positions[t] * scale * base^(-2i / n_rot)
// rotates (x[2i], x[2i+1]) (mode 0, adjacent pairs) or (x[i], x[i + n_rot/2]) (mode 2, NeoX);
// the dims past n_rot are copied. The cos/sin of each (token, pair) are computed once in double
// precision (so large positions stay exact enough) into a table every head then reads.
#include "ops.hpp"

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
    const double base = n.node->f[0];
    const double scale = n.node->f[1];

    // inv_freq[i] = base^(-2i / n_rot), then table[t][i] = {cos, sin} of positions[t] * scale * inv_freq[i].
    char* scratch = static_cast<char*>(ctx.shared.get(size_t(half) * sizeof(double) +
                                                      size_t(tokens * half) * 2 * sizeof(float)));
    double* inv_freq = reinterpret_cast<double*>(scratch);
    float* table = reinterpret_cast<float*>(scratch + size_t(half) * sizeof(double));
    for (int64_t i = 0; i < half; ++i) inv_freq[i] = std::pow(base, -double(2 * i) / double(2 * half));
    ctx.pool->parallel_for(tokens, half >= 1024 ? 1 : 1024 / half, [&](int64_t t0, int64_t t1, unsigned) {
        for (int64_t t = t0; t < t1; ++t) {
            const double p = double(pos[t]) * scale;
            float* cs = table + t * half * 2;
            for (int64_t i = 0; i < half; ++i) {
                const double theta = p * inv_freq[i];
                cs[2 * i] = float(std::cos(theta));
                cs[2 * i + 1] = float(std::sin(theta));
            }
        }
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
                    b[i] = x0 * c - x1 * s;
                    b[i + half] = x0 * s + x1 * c;
                }
            } else {
                for (int64_t i = 0; i < half; ++i) {
                    const float x0 = a[2 * i], x1 = a[2 * i + 1], c = cs[2 * i], s = cs[2 * i + 1];
                    b[2 * i] = x0 * c - x1 * s;
                    b[2 * i + 1] = x0 * s + x1 * c;
                }
            }
            if (b != a && n_rot < head_dim)
                std::memcpy(b + n_rot, a + n_rot, size_t(head_dim - n_rot) * sizeof(float));
        }
    });
    return PLINTH_OK;
}

}  // namespace plinth::cpu
