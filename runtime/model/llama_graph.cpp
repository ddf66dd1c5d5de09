#include <plinth/llama_graph.hpp>

#include <plinth/weight_types.h>

#include <cmath>

namespace plinth {
namespace {

constexpr uint32_t F32 = PLINTH_TYPE_F32, I32 = PLINTH_TYPE_I32;

}  // namespace

llama_graph build_llama_graph(const llama_hparams& hp, const llama_weights& w, const llama_devices& devices,
                              const std::vector<kv_layer_storage>& kv, const llama_batch_inputs& in) {
    llama_graph out;
    logical_graph& g = out.graph;
    const uint64_t T = in.n_tokens, E = hp.n_embd, D = hp.head_dim, H = hp.n_head, HKV = hp.n_head_kv, F = hp.n_ff;
    const auto weight = [&](const tensor_view* t) { return g.weight(*t); };
    uint32_t here = 0;  // the device of the current layer
    // A matmul or lookup runs where its weight is.
    const auto with_weight = [&](plinth_op op, tensor_id dst, const tensor_view* w_t, tensor_id x_in) {
        const auto moved = devices.override_of ? devices.override_of(*w_t) : std::nullopt;
        g.set_device(moved.value_or(here));
        g.add(op, dst, {weight(w_t), x_in});
        g.set_device(here);
        return dst;
    };
    const auto input = [&](uint64_t offset, uint64_t n0, uint64_t n1 = 1) { return g.input(offset, {n0, n1, 1, 1}); };

    const tensor_id tokens = input(in.tokens, T);
    const tensor_id positions = input(in.positions, T);
    const tensor_id seq_rows = input(in.seq_rows, T);
    const tensor_id slots = input(in.slots, T);
    const tensor_id block_table = input(in.block_table, in.max_blocks, in.n_seq_rows);
    const float attention_scale = 1.0f / std::sqrt(static_cast<float>(D));

    // x: the residual stream [E, T].
    here = devices.embedding;
    g.set_device(here);
    tensor_id x = with_weight(PLINTH_OP_GET_ROWS, g.intermediate(F32, {E, T, 1, 1}), w.token_embd, tokens);

    for (uint32_t l = 0; l < hp.n_layer; ++l) {
        const llama_layer_weights& lw = w.layers[l];
        const kv_layer_storage& cache = kv[l];
        here = cache.device;
        g.set_device(here);

        // Attention block.
        tensor_id h = g.add(PLINTH_OP_RMS_NORM, g.intermediate(F32, {E, T, 1, 1}), {x, weight(lw.attn_norm)}, {}, {hp.rms_eps});
        tensor_id q = with_weight(PLINTH_OP_MATMUL, g.intermediate(F32, {D * H, T, 1, 1}), lw.wq, h);
        tensor_id k = with_weight(PLINTH_OP_MATMUL, g.intermediate(F32, {D * HKV, T, 1, 1}), lw.wk, h);
        tensor_id v = with_weight(PLINTH_OP_MATMUL, g.intermediate(F32, {D * HKV, T, 1, 1}), lw.wv, h);
        const std::initializer_list<int32_t> rope_i = {static_cast<int32_t>(hp.n_rot), hp.rope_mode};
        const std::initializer_list<float> rope_f = {hp.rope_freq_base, hp.rope_freq_scale};
        q = g.add(PLINTH_OP_ROPE, g.intermediate(F32, {D, H, T, 1}), {g.view(q, {D, H, T, 1}), positions}, rope_i, rope_f);
        k = g.add(PLINTH_OP_ROPE, g.intermediate(F32, {D, HKV, T, 1}), {g.view(k, {D, HKV, T, 1}), positions}, rope_i, rope_f);

        const tensor_id k_cache = g.on_device(cache.type, {D * HKV, cache.slots, 1, 1}, cache.k, 0, cache.device);
        const tensor_id v_cache = g.on_device(cache.type, {D * HKV, cache.slots, 1, 1}, cache.v, 0, cache.device);
        g.add(PLINTH_OP_KV_STORE, k_cache, {g.view(k, {D * HKV, T, 1, 1}), k_cache, slots});
        g.add(PLINTH_OP_KV_STORE, v_cache, {v, v_cache, slots});
        const tensor_id attn = g.add(PLINTH_OP_ATTENTION, g.intermediate(F32, {D * H, T, 1, 1}),
                                      {q, k_cache, v_cache, positions, seq_rows, block_table},
                                      {static_cast<int32_t>(H), static_cast<int32_t>(HKV), static_cast<int32_t>(D),
                                       static_cast<int32_t>(cache.block_size)},
                                      {attention_scale});
        const tensor_id o = with_weight(PLINTH_OP_MATMUL, g.intermediate(F32, {E, T, 1, 1}), lw.wo, attn);
        x = g.add(PLINTH_OP_ADD, g.intermediate(F32, {E, T, 1, 1}), {x, o});

        // Feed-forward block (SwiGLU).
        h = g.add(PLINTH_OP_RMS_NORM, g.intermediate(F32, {E, T, 1, 1}), {x, weight(lw.ffn_norm)}, {}, {hp.rms_eps});
        const tensor_id gate = with_weight(PLINTH_OP_MATMUL, g.intermediate(F32, {F, T, 1, 1}), lw.ffn_gate, h);
        const tensor_id up = with_weight(PLINTH_OP_MATMUL, g.intermediate(F32, {F, T, 1, 1}), lw.ffn_up, h);
        const tensor_id act = g.add(PLINTH_OP_SWIGLU, g.intermediate(F32, {F, T, 1, 1}), {gate, up});
        const tensor_id down = with_weight(PLINTH_OP_MATMUL, g.intermediate(F32, {E, T, 1, 1}), lw.ffn_down, act);
        x = g.add(PLINTH_OP_ADD, g.intermediate(F32, {E, T, 1, 1}), {x, down});
    }

    // Only the rows that want logits go through the (large) output projection.
    here = devices.output;
    g.set_device(here);
    const uint64_t N = in.n_outputs;
    const tensor_id output_rows = input(in.output_rows, N);
    tensor_id last = g.add(PLINTH_OP_GET_ROWS, g.intermediate(F32, {E, N, 1, 1}), {x, output_rows});
    last = g.add(PLINTH_OP_RMS_NORM, g.intermediate(F32, {E, N, 1, 1}), {last, weight(w.output_norm)}, {}, {hp.rms_eps});
    out.logits = with_weight(PLINTH_OP_MATMUL, g.intermediate(F32, {hp.n_vocab, N, 1, 1}), w.output, last);
    return out;
}

}  // namespace plinth
