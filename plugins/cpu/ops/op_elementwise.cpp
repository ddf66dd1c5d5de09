// ADD, MUL, SWIGLU, GEGLU, SCALE, SOFTCAP, COPY and RMS_NORM: row by row, rows split across the threads.
#include "ops.hpp"
#include "vec.hpp"

#include <plinth/sdk/gelu.hpp>

#include <cmath>
#include <cstring>
#include <vector>

namespace plinth::cpu {

plinth_status op_add(compute_context& ctx, const node_view& n, plinth_message*) {
    const int64_t ne0 = n.dst.ne0;
    const bool broadcast = n.src[1].rows != n.src[0].rows;  // a bias: one row for every row of src0
    const float* a = n.src[0].as<const float>();
    const float* b = n.src[1].as<const float>();
    float* d = n.dst.as<float>();
    ctx.pool->parallel_for(n.dst.rows, rows_per_chunk(ne0), [&](int64_t r0, int64_t r1, unsigned) {
        if (!broadcast) {
            for (int64_t i = r0 * ne0; i < r1 * ne0; ++i) d[i] = a[i] + b[i];
            return;
        }
        for (int64_t r = r0; r < r1; ++r)
            for (int64_t i = 0; i < ne0; ++i) d[r * ne0 + i] = a[r * ne0 + i] + b[i];
    });
    return PLINTH_OK;
}

// GEGLU's gelu: the tanh form, evaluated once per F16 input value into a 64K-entry table of F16
// results (compute.h's contract: gelu(F16(x)) rounded to F16, x past +-10 its limit). A lookup
// is the cheapest form, and the one the reference uses, so quantized Gemma models see the same
// activation codes.
namespace {

const uint16_t* gelu_table() {
    static const std::vector<uint16_t> table = [] {
        std::vector<uint16_t> t(65536);
        for (uint32_t i = 0; i < 65536; ++i) {
            const uint16_t h = uint16_t(i);
            float x = 0;
            f16_to_f32(&h, &x, 1);
            const float y = sdk::gelu_tanh(x);
            f32_to_f16(&y, &t[i], 1);
        }
        return t;
    }();
    return table.data();
}

inline float gelu_f16(const uint16_t* table, float x) {
    if (x >= 10.0f) return x;
    if (x <= -10.0f) return 0.0f;
    uint16_t h = 0;
    f32_to_f16(&x, &h, 1);
    float y = 0;
    f16_to_f32(&table[h], &y, 1);
    return y;
}

}  // namespace

plinth_status op_geglu(compute_context& ctx, const node_view& n, plinth_message*) {
    const float* g = n.src[0].as<const float>();
    const float* u = n.src[1].as<const float>();
    float* d = n.dst.as<float>();
    const uint16_t* table = gelu_table();
    ctx.pool->parallel_for(n.dst.elements, 8192, [&](int64_t i0, int64_t i1, unsigned) {
        for (int64_t i = i0; i < i1; ++i) d[i] = gelu_f16(table, g[i]) * u[i];
    });
    return PLINTH_OK;
}

plinth_status op_scale(compute_context& ctx, const node_view& n, plinth_message*) {
    const float* x = n.src[0].as<const float>();
    const float f = n.node->f[0];
    float* d = n.dst.as<float>();
    ctx.pool->parallel_for(n.dst.elements, 16384, [&](int64_t i0, int64_t i1, unsigned) {
        for (int64_t i = i0; i < i1; ++i) d[i] = x[i] * f;
    });
    return PLINTH_OK;
}

plinth_status op_softcap(compute_context& ctx, const node_view& n, plinth_message*) {
    const float* x = n.src[0].as<const float>();
    const float cap = n.node->f[0], inv = 1.0f / cap;  // x * (1 / cap): a multiplication, not a division
    float* d = n.dst.as<float>();
    ctx.pool->parallel_for(n.dst.elements, 8192, [&](int64_t i0, int64_t i1, unsigned) {
        for (int64_t i = i0; i < i1; ++i) d[i] = cap * std::tanh(x[i] * inv);
    });
    return PLINTH_OK;
}

plinth_status op_mul(compute_context& ctx, const node_view& n, plinth_message*) {
    const int64_t ne0 = n.dst.ne0;
    const bool broadcast = n.src[1].rows != n.src[0].rows;  // one row for every row of src0
    const float* a = n.src[0].as<const float>();
    const float* b = n.src[1].as<const float>();
    float* d = n.dst.as<float>();
    ctx.pool->parallel_for(n.dst.rows, rows_per_chunk(ne0), [&](int64_t r0, int64_t r1, unsigned) {
        for (int64_t r = r0; r < r1; ++r) {
            const float* x = a + r * ne0;
            const float* y = broadcast ? b : b + r * ne0;
            float* z = d + r * ne0;
            for (int64_t i = 0; i < ne0; ++i) z[i] = x[i] * y[i];
        }
    });
    return PLINTH_OK;
}

plinth_status op_swiglu(compute_context& ctx, const node_view& n, plinth_message*) {
    const int64_t ne0 = n.dst.ne0;
    const float* g = n.src[0].as<const float>();
    const float* u = n.src[1].as<const float>();
    float* d = n.dst.as<float>();
    ctx.pool->parallel_for(n.dst.rows, rows_per_chunk(ne0, 8192), [&](int64_t r0, int64_t r1, unsigned) {
        vec_swiglu(g + r0 * ne0, u + r0 * ne0, d + r0 * ne0, (r1 - r0) * ne0);
    });
    return PLINTH_OK;
}

plinth_status op_rms_norm(compute_context& ctx, const node_view& n, plinth_message*) {
    const int64_t ne0 = n.dst.ne0;
    const float eps = n.node->f[0];
    const float* x = n.src[0].as<const float>();
    const float* w = n.src[1].as<const float>();
    float* d = n.dst.as<float>();
    ctx.pool->parallel_for(n.dst.rows, rows_per_chunk(ne0), [&](int64_t r0, int64_t r1, unsigned) {
        for (int64_t r = r0; r < r1; ++r) {
            const float* xr = x + r * ne0;
            float* dr = d + r * ne0;
            const float mean = float(vec_sum_squares(xr, ne0) / double(ne0));
            const float scale = 1.0f / std::sqrt(mean + eps);
            for (int64_t i = 0; i < ne0; ++i) dr[i] = xr[i] * scale * w[i];
        }
    });
    return PLINTH_OK;
}

plinth_status op_copy(compute_context& ctx, const node_view& n, plinth_message*) {
    const tensor_view& s = n.src[0];
    const tensor_view& d = n.dst;
    if (s.data == d.data && s.type == d.type) return PLINTH_OK;  // in place: nothing to do
    const int64_t count = d.elements;
    const int64_t grain = 1 << 16;
    ctx.pool->parallel_for(count, grain, [&](int64_t i0, int64_t i1, unsigned) {
        if (s.type == d.type) {
            const size_t size = s.type == PLINTH_TYPE_F32 ? 4 : 2;
            std::memcpy(d.data + i0 * size, s.data + i0 * size, size_t(i1 - i0) * size);
        } else if (s.type == PLINTH_TYPE_F32) {
            f32_to_f16(s.as<const float>() + i0, d.as<uint16_t>() + i0, i1 - i0);
        } else {
            f16_to_f32(s.as<const uint16_t>() + i0, d.as<float>() + i0, i1 - i0);
        }
    });
    return PLINTH_OK;
}

}  // namespace plinth::cpu
