// KV_STORE: the new K or V rows of a batch into their cache slots (F32, or F16 rounded to nearest
// even). The row is split across the threads, each writing its columns for every token in order,
// so two tokens naming one slot leave the later token's row there whatever the thread count.
#include "ops.hpp"
#include "vec.hpp"

#include <cstring>

namespace plinth::cpu {

plinth_status op_kv_store(compute_context& ctx, const node_view& n, plinth_message* err) {
    const tensor_view& src = n.src[0];
    const tensor_view& cache = n.src[1];
    const int32_t* slot = n.src[2].as<const int32_t>();
    const int64_t tokens = src.rows;
    for (int64_t t = 0; t < tokens; ++t)
        if (slot[t] < 0 || slot[t] >= cache.rows)
            return node_error(err, n, "slot %d (token %lld) is outside the cache's %lld slots", slot[t], (long long)t,
                              (long long)cache.rows);
    const int64_t ne0 = src.ne0;
    // Columns per chunk: about 16K elements of work, in whole cache lines of F16 (32 elements).
    int64_t cols = tokens >= 16384 / 32 ? 32 : 16384 / tokens;
    cols = (cols + 31) / 32 * 32;
    const float* x = src.as<const float>();
    ctx.pool->parallel_for(ne0, cols, [&](int64_t c0, int64_t c1, unsigned) {
        for (int64_t t = 0; t < tokens; ++t) {
            const float* from = x + t * ne0 + c0;
            if (cache.type == PLINTH_TYPE_F32)
                std::memcpy(cache.as<float>() + slot[t] * ne0 + c0, from, size_t(c1 - c0) * sizeof(float));
            else
                f32_to_f16(from, cache.as<uint16_t>() + slot[t] * ne0 + c0, c1 - c0);
        }
    });
    return PLINTH_OK;
}

}  // namespace plinth::cpu
