// ADD, MUL, SWIGLU, COPY and RMS_NORM: row by row, rows split across the threads.
#include "ops.hpp"
#include "vec.hpp"

#include <cmath>
#include <cstring>

namespace plinth::cpu {

plinth_status op_add(compute_context& ctx, const node_view& n, plinth_message*) {
    const int64_t ne0 = n.dst.ne0;
    const float* a = n.src[0].as<const float>();
    const float* b = n.src[1].as<const float>();
    float* d = n.dst.as<float>();
    ctx.pool->parallel_for(n.dst.rows, rows_per_chunk(ne0), [&](int64_t r0, int64_t r1, unsigned) {
        for (int64_t i = r0 * ne0; i < r1 * ne0; ++i) d[i] = a[i] + b[i];
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
