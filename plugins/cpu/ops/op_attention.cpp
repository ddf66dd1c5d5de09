// ATTENTION: causal grouped-query attention over the paged KV cache.
//
// For token t (position p, sequence row s) and query head h, with kv head g = h / (heads / kv_heads):
//   score[j] = scale * q[t, h] . K[slot(s, j), g]     for j = 0..p
//   dst[t, h] = sum_j softmax(score)[j] * V[slot(s, j), g]
// where slot(s, j) = table[s][j / block] * block + j % block.
//
// The arithmetic is the reference's (llama.cpp's flash attention on the CPU), because a quantized
// model feeds the result to an activation quantizer that turns small differences into whole code
// steps: over an F16 cache, q is rounded to F16 before the dot products (summed in double), and the weighted sum of
// the V rows is kept in an F16 accumulator, rounded after every step. The softmax is the online
// one, in position order: a new maximum M rescales the accumulator and the running sum S by
// exp(M_old - M), each row adds exp(score - M) * V, and the end multiplies by 1 / S. The running
// sum is S = S * rescale + weight with two roundings, as the reference's C code does it (a fused
// multiply-add there changes the last bit of whole heads). Over an F32 cache the same in F32.
//
// A sliding window (i[4]) starts each token's positions later; a soft-cap (f[1]) bends each score
// before the softmax.
//
// Work units are (token, kv head, a range of that kv head's query heads); the threads take them
// from a shared counter. The query heads of one unit read each K and V row once (an F16 K row is
// widened once for all of them). With few tokens the query heads of a group are split across
// units so that every thread has work; each head's arithmetic is the same whatever the split, so
// the result does not depend on the thread count. A short context takes several units per chunk
// (kMinChunkWork), which only changes which thread runs a unit.
#include "ops.hpp"
#include "attention_unit.hpp"
#include "vec.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace plinth::cpu {
namespace {
constexpr int64_t kMinChunkWork = 16384;

}  // namespace

plinth_status op_attention(compute_context& ctx, const node_view& n, plinth_message* err) {
    const plinth_node& node = *n.node;
    const int64_t heads = node.i[0], kv_heads = node.i[1], head_dim = node.i[2], block = node.i[3];
    const float scale = node.f[0];
    const int64_t window = node.i[4];  // 0: every earlier position
    const float softcap = node.f[1];
    const tensor_view& kc = n.src[1];
    const tensor_view& vc = n.src[2];
    const int32_t* pos = n.src[3].as<const int32_t>();
    const int32_t* seq = n.src[4].as<const int32_t>();
    const int32_t* table = n.src[5].as<const int32_t>();
    const int64_t tokens = n.src[3].elements;
    const int64_t max_blocks = n.src[5].ne0, sequences = n.src[5].rows;
    const int64_t slots = kc.rows;

    // The index tensors, before anything is written: every position reachable, every block
    // of it in the cache. Each sequence's blocks are checked once, up to its last position.
    int64_t longest = 0;
    for (int64_t t = 0; t < tokens; ++t) {
        if (seq[t] < 0 || seq[t] >= sequences)
            return node_error(err, n, "token %lld is in sequence row %d; the block table src5 has %lld", (long long)t,
                              seq[t], (long long)sequences);
        if (pos[t] < 0 || pos[t] / block >= max_blocks)
            return node_error(err, n, "token %lld has position %d; the block table holds %lld blocks of %lld", (long long)t,
                              pos[t], (long long)max_blocks, (long long)block);
        longest = std::max<int64_t>(longest, int64_t(pos[t]) + 1);
    }
    const bool f16 = kc.type == PLINTH_TYPE_F16;
    const int64_t kv_row = kv_heads * head_dim, q_row = heads * head_dim;
    // Each sequence's last position and number of query tokens.
    std::vector<int64_t> last(size_t(sequences), -1), queries(size_t(sequences), 0);
    for (int64_t t = 0; t < tokens; ++t) {
        last[size_t(seq[t])] = std::max<int64_t>(last[size_t(seq[t])], pos[t]);
        ++queries[size_t(seq[t])];
    }
    // A sequence with several query tokens (prefill) has every one of its units read the same K
    // rows: they are widened to double once (position p of sequence row s at row s * longest + p),
    // not per unit. One query token each (a batch of decoding sequences) reads each row once:
    // widening them first would only add a pass over the cache.
    const bool can_widen = f16 && attend_uses_wide_k(f16, head_dim);  // once, not per unit
    const auto wide = [&](int64_t s) { return can_widen && queries[size_t(s)] >= 4; };
    bool widen_k = false;
    for (int64_t s = 0; s < sequences; ++s) widen_k = widen_k || wide(s);
    for (int64_t s = 0; s < sequences; ++s) {
        if (last[size_t(s)] < 0) continue;
        for (int64_t b = 0; b <= last[size_t(s)] / block; ++b) {
            const int64_t first = int64_t(table[s * max_blocks + b]) * block;
            const int64_t used = b < last[size_t(s)] / block ? block : last[size_t(s)] % block + 1;
            if (table[s * max_blocks + b] < 0 || first + used > slots)
                return node_error(err, n, "block %lld of sequence row %lld is cache block %d, outside the %lld slots of the cache",
                                  (long long)b, (long long)s, table[s * max_blocks + b], (long long)slots);
        }
    }

    const int64_t group = heads / kv_heads;
    const unsigned threads = ctx.pool->size();
    int64_t per_unit = std::min<int64_t>(group, kMaxHeadsPerUnit);  // query heads per work unit
    while (per_unit > 1 && tokens * kv_heads * ((group + per_unit - 1) / per_unit) < int64_t(threads) * 4)
        per_unit = (per_unit + 1) / 2;
    const int64_t splits = (group + per_unit - 1) / per_unit;
    const int64_t units = tokens * kv_heads * splits;
    // Units per chunk: at least kMinChunkWork multiply-adds (K and V rows times the unit's heads),
    // so that a short context (a small model, the first tokens of a decode) runs on the calling
    // thread instead of paying for a hand-off to the pool that costs more than it saves.
    const int64_t unit_work = std::max<int64_t>(1, per_unit * longest * head_dim * 2);
    const int64_t grain = std::max<int64_t>(1, kMinChunkWork / unit_work);

    const float* q_all = n.src[0].as<const float>();
    float* dst = n.dst.as<float>();
    // Per thread: the unit's scores, four widened K rows, its q rows rounded to F16, its F16 accumulators.
    const size_t scratch_bytes = (size_t(per_unit) * (size_t(longest) + size_t(head_dim)) + 4 * size_t(head_dim)) * sizeof(float) +
                                 size_t(per_unit) * size_t(head_dim) * sizeof(uint16_t);

    double* k_wide = nullptr;
    if (widen_k) {
        k_wide = static_cast<double*>(ctx.shared.get(size_t(sequences * longest * kv_row) * sizeof(double)));
        ctx.pool->parallel_for(sequences * longest, std::max<int64_t>(1, 4096 / kv_row), [&](int64_t r0, int64_t r1, unsigned) {
            for (int64_t r = r0; r < r1; ++r) {
                const int64_t s = r / longest, p = r % longest;
                if (p > last[size_t(s)] || !wide(s)) continue;
                const int64_t slot = int64_t(table[s * max_blocks + p / block]) * block + p % block;
                widen_f16_to_f64(kc.as<const uint16_t>() + size_t(slot * kv_row), k_wide + size_t(r * kv_row), kv_row);
            }
        });
    }

    ctx.pool->parallel_for(units, grain, [&](int64_t u0, int64_t u1, unsigned thread) {
        float* scores_all = static_cast<float*>(ctx.per_thread[thread].get(scratch_bytes));
        float* kbuf = scores_all + size_t(per_unit) * size_t(longest);
        float* qbuf = kbuf + 4 * head_dim;
        uint16_t* acc16 = reinterpret_cast<uint16_t*>(qbuf + size_t(per_unit) * size_t(head_dim));
        for (int64_t u = u0; u < u1; ++u) {
            const int64_t t = u / (kv_heads * splits);
            const int64_t g = (u / splits) % kv_heads;
            const int64_t h0 = g * group + (u % splits) * per_unit;
            const int64_t h1 = std::min(h0 + per_unit, (g + 1) * group);
            const int64_t nh = h1 - h0;
            const int64_t first = window > 0 ? std::max<int64_t>(0, int64_t(pos[t]) - window + 1) : 0;
            const int64_t count = int64_t(pos[t]) + 1 - first;  // positions first..pos[t]
            const int32_t* blocks = table + int64_t(seq[t]) * max_blocks;
            float* out = dst + t * q_row + h0 * head_dim;
            const float* q = q_all + t * q_row + h0 * head_dim;
            if (f16) {  // q as F16, like the cache it meets
                f32_to_f16(q, acc16, nh * head_dim);
                f16_to_f32(acc16, qbuf, nh * head_dim);
                q = qbuf;
            }

            attend(attention_unit{q, nh, head_dim, first, count, block, blocks, f16 ? static_cast<const void*>(kc.as<const uint16_t>()) : kc.as<const float>(),
                                  f16 ? static_cast<const void*>(vc.as<const uint16_t>()) : vc.as<const float>(), size_t(kv_row),
                                  size_t(g * head_dim), scale, softcap, f16, scores_all, kbuf, acc16, out,
                                  k_wide && wide(seq[t]) ? k_wide + size_t((seq[t] * longest + first) * kv_row) : nullptr});
        }
    });
    return PLINTH_OK;
}

}  // namespace plinth::cpu
