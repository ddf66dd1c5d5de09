// GET_ROWS: dst[:, t] = src0[:, src1[t]] widened to F32 (the token embedding lookup). Tokens are
// split across the threads; a quantized table is dequantized row by row by plinth_weight_formats.
#include "ops.hpp"

#include <plinth/weight_formats.hpp>

#include <cstring>

namespace plinth::cpu {

plinth_status op_get_rows(compute_context& ctx, const node_view& n, plinth_message* err) {
    const tensor_view& table = n.src[0];
    const int32_t* index = n.src[1].as<const int32_t>();
    const int64_t tokens = n.src[1].elements;
    for (int64_t t = 0; t < tokens; ++t)
        if (index[t] < 0 || index[t] >= table.rows)
            return node_error(err, n, "index %d (token %lld) is outside src0's %lld rows", index[t], (long long)t,
                              (long long)table.rows);
    const int64_t ne0 = table.ne0;
    float* d = n.dst.as<float>();
    ctx.pool->parallel_for(tokens, rows_per_chunk(ne0), [&](int64_t t0, int64_t t1, unsigned) {
        for (int64_t t = t0; t < t1; ++t) {
            const char* row = table.row(index[t]);
            if (table.type == PLINTH_TYPE_F32) std::memcpy(d + t * ne0, row, size_t(ne0) * sizeof(float));
            else weight_formats::dequantize_row(table.type, row, d + t * ne0, ne0);
        }
    });
    return PLINTH_OK;
}

}  // namespace plinth::cpu
