#include "graph_builder.hpp"

#include <plinth/weight_types.h>

namespace plinth::arch {
namespace {
constexpr uint32_t F32 = PLINTH_TYPE_F32;
}  // namespace

graph_builder::graph_builder(const model_hparams& hp, const graph_devices& devices, const batch_inputs& in)
    : hp_(hp), devices_(devices), T_(in.n_tokens), N_(in.n_outputs) {
    logical_graph& g = out_.graph;
    here_ = devices.embedding;
    g.set_device(here_);
    tokens_ = g.input(in.tokens, {T_, 1, 1, 1});
    positions_ = g.input(in.positions, {T_, 1, 1, 1});
    seq_rows_ = g.input(in.seq_rows, {T_, 1, 1, 1});
    slots_ = g.input(in.slots, {T_, 1, 1, 1});
    block_table_ = g.input(in.block_table, {in.max_blocks, in.n_seq_rows, 1, 1});
    output_rows_ = g.input(in.output_rows, {N_, 1, 1, 1});
}

tensor_id graph_builder::f32(uint64_t n0, uint64_t n1, uint64_t n2) { return out_.graph.intermediate(F32, {n0, n1, n2, 1}); }

uint64_t graph_builder::rows_of(tensor_id t) const { return out_.graph.tensors()[t].shape[0]; }

void graph_builder::at_layer(const kv_layer_storage& kv) {
    here_ = kv.device;
    out_.graph.set_device(here_);
}

void graph_builder::at_output() {
    here_ = devices_.output;
    out_.graph.set_device(here_);
}

tensor_id graph_builder::with_weight(plinth_op op, tensor_id dst, const tensor_view* w, std::initializer_list<tensor_id> rest,
                                     std::initializer_list<int32_t> i) {
    logical_graph& g = out_.graph;
    const auto moved = devices_.override_of ? devices_.override_of(*w) : std::nullopt;
    g.set_device(moved.value_or(here_));
    std::vector<tensor_id> src{g.weight(*w)};
    src.insert(src.end(), rest.begin(), rest.end());
    if (src.size() == 2) g.add(op, dst, {src[0], src[1]}, i);
    else g.add(op, dst, {src[0], src[1], src[2]}, i);
    g.set_device(here_);
    return dst;
}

tensor_id graph_builder::embed(const tensor_view* token_embd) {
    return with_weight(PLINTH_OP_GET_ROWS, f32(token_embd->shape[0], T_), token_embd, {tokens_});
}

tensor_id graph_builder::matmul(const tensor_view* w, tensor_id x) {
    const uint64_t cols = out_.graph.tensors()[x].shape[1] * out_.graph.tensors()[x].shape[2];
    return with_weight(PLINTH_OP_MATMUL, f32(w->shape[1], cols), w, {x});
}

tensor_id graph_builder::rms_norm(tensor_id x, const tensor_view* w, float eps) {
    const auto& s = out_.graph.tensors()[x].shape;
    return out_.graph.add(PLINTH_OP_RMS_NORM, f32(s[0], s[1], s[2]), {x, out_.graph.weight(*w)}, {}, {eps});
}

tensor_id graph_builder::rms_norm_rows(tensor_id x, uint64_t width, const tensor_view* w, float eps) {
    const auto& s = out_.graph.tensors()[x].shape;
    const uint64_t all = s[0] * s[1] * s[2];
    const tensor_id rows = out_.graph.view(x, {width, all / width, 1, 1});
    const tensor_id normed = out_.graph.add(PLINTH_OP_RMS_NORM, f32(width, all / width), {rows, out_.graph.weight(*w)}, {}, {eps});
    return out_.graph.view(normed, {s[0], s[1], s[2], 1});
}

tensor_id graph_builder::add(tensor_id a, tensor_id b) {
    const auto& s = out_.graph.tensors()[a].shape;
    return out_.graph.add(PLINTH_OP_ADD, f32(s[0], s[1], s[2]), {a, b});
}

tensor_id graph_builder::add_bias(tensor_id x, const tensor_view* bias) {
    if (bias == nullptr) return x;
    const auto& s = out_.graph.tensors()[x].shape;
    return out_.graph.add(PLINTH_OP_ADD, f32(s[0], s[1], s[2]), {x, out_.graph.weight(*bias)});
}

tensor_id graph_builder::scale(tensor_id x, float factor) {
    const auto& s = out_.graph.tensors()[x].shape;
    return out_.graph.add(PLINTH_OP_SCALE, f32(s[0], s[1], s[2]), {x}, {}, {factor});
}

tensor_id graph_builder::softcap(tensor_id x, float cap) {
    const auto& s = out_.graph.tensors()[x].shape;
    return out_.graph.add(PLINTH_OP_SOFTCAP, f32(s[0], s[1], s[2]), {x}, {}, {cap});
}

tensor_id graph_builder::attention(tensor_id q, tensor_id k, tensor_id v, const kv_layer_storage& kv, const attention_params& p) {
    logical_graph& g = out_.graph;
    const uint64_t D = hp_.head_dim, H = hp_.n_head, HKV = hp_.n_head_kv;
    const std::initializer_list<int32_t> rope_i = {static_cast<int32_t>(p.rope.n_rot), p.rope.mode};
    const std::initializer_list<float> rope_f = {p.rope.base, p.rope.scale};
    const auto rope = [&](tensor_id x, uint64_t heads) {
        const tensor_id in = g.view(x, {D, heads, T_, 1});
        if (p.rope.factors) return g.add(PLINTH_OP_ROPE, f32(D, heads, T_), {in, positions_, g.weight(*p.rope.factors)}, rope_i, rope_f);
        return g.add(PLINTH_OP_ROPE, f32(D, heads, T_), {in, positions_}, rope_i, rope_f);
    };
    q = rope(q, H);
    k = rope(k, HKV);
    const tensor_id k_cache = g.on_device(kv.type, {D * HKV, kv.slots, 1, 1}, kv.k, 0, kv.device);
    const tensor_id v_cache = g.on_device(kv.type, {D * HKV, kv.slots, 1, 1}, kv.v, 0, kv.device);
    g.add(PLINTH_OP_KV_STORE, k_cache, {g.view(k, {D * HKV, T_, 1, 1}), k_cache, slots_});
    g.add(PLINTH_OP_KV_STORE, v_cache, {g.view(v, {D * HKV, T_, 1, 1}), v_cache, slots_});
    return g.add(PLINTH_OP_ATTENTION, f32(D * H, T_), {q, k_cache, v_cache, positions_, seq_rows_, block_table_},
                 {static_cast<int32_t>(H), static_cast<int32_t>(HKV), static_cast<int32_t>(D), static_cast<int32_t>(kv.block_size),
                  static_cast<int32_t>(p.window)},
                 {p.scale, p.softcap});
}

tensor_id graph_builder::self_attention(tensor_id h, const attention_weights& w, const kv_layer_storage& kv,
                                        const attention_params& p, float norm_eps) {
    tensor_id q = add_bias(matmul(w.wq, h), w.bq);
    tensor_id k = add_bias(matmul(w.wk, h), w.bk);
    const tensor_id v = add_bias(matmul(w.wv, h), w.bv);
    if (w.q_norm) q = rms_norm_rows(q, w.q_norm->shape[0], w.q_norm, norm_eps);
    if (w.k_norm) k = rms_norm_rows(k, w.k_norm->shape[0], w.k_norm, norm_eps);
    attention_params ap = p;
    if (p.scale_q) {
        q = scale(q, p.scale);
        ap.scale = 1.0f;
    }
    return matmul(w.wo, attention(q, k, v, kv, ap));
}

tensor_id graph_builder::gated_ffn(tensor_id x, const tensor_view* gate, const tensor_view* up, const tensor_view* down, bool gelu) {
    const tensor_id g = matmul(gate, x);
    const tensor_id u = matmul(up, x);
    const auto& s = out_.graph.tensors()[g].shape;
    const tensor_id act = out_.graph.add(gelu ? PLINTH_OP_GEGLU : PLINTH_OP_SWIGLU, f32(s[0], s[1]), {g, u});
    return matmul(down, act);
}

tensor_id graph_builder::moe_ffn(tensor_id x, const tensor_view* router, const tensor_view* gate_exps, const tensor_view* up_exps,
                                 const tensor_view* down_exps, uint32_t n_used) {
    logical_graph& g = out_.graph;
    const uint64_t n_expert = router->shape[1], F = gate_exps->shape[1], E = down_exps->shape[1];
    const tensor_id logits = matmul(router, x);
    const tensor_id weights = g.add(PLINTH_OP_MOE_ROUTE, f32(n_expert, T_), {logits}, {static_cast<int32_t>(n_used), 1});
    const int32_t k = static_cast<int32_t>(n_used);
    const tensor_id gate = with_weight(PLINTH_OP_MATMUL_EXPERTS, f32(F, n_used, T_), gate_exps, {x, weights}, {0, k});
    const tensor_id up = with_weight(PLINTH_OP_MATMUL_EXPERTS, f32(F, n_used, T_), up_exps, {x, weights}, {0, k});
    const tensor_id act = g.add(PLINTH_OP_SWIGLU, f32(F, n_used, T_), {gate, up});
    return with_weight(PLINTH_OP_MATMUL_EXPERTS, f32(E, T_), down_exps, {act, weights}, {1, k});
}

tensor_id graph_builder::output(tensor_id x, const tensor_view* norm, float eps, const tensor_view* output) {
    at_output();
    logical_graph& g = out_.graph;
    const uint64_t E = rows_of(x);
    // Only the rows that want logits go through the (large) output projection.
    tensor_id last = g.add(PLINTH_OP_GET_ROWS, f32(E, N_), {x, output_rows_});
    last = rms_norm(last, norm, eps);
    return matmul(output, last);
}

model_graph graph_builder::finish(tensor_id logits) {
    out_.logits = logits;
    return std::move(out_);
}

}  // namespace plinth::arch
