#include "transformer.hpp"

namespace plinth::arch {

const tensor_view* transformer::use(uint32_t layer, const tensor_view* t, uint32_t op) {
    if (t == nullptr) return t;
    if (layers_.size() <= layer) layers_.resize(layer + 1);
    layers_[layer].push_back({t, op});
    return t;
}

const tensor_view* transformer::use_global(const tensor_view* t, uint32_t op) {
    if (t) globals_.push_back({t, op});
    return t;
}

const tensor_view* transformer::use_slice(uint32_t layer, const tensor_view* t, uint64_t first_row, uint64_t rows) {
    slices_.push_back(row_slice(*t, first_row, rows));
    return use(layer, &slices_.back());
}

void transformer::describe_common(const transformer_hparams& t, const char* rope_style) {
    feature("attention", std::to_string(hp_.n_head) + " query heads, " + std::to_string(hp_.n_head_kv) + " KV heads of " +
                             std::to_string(hp_.head_dim));
    feature("rope", std::string(rope_style) + ", " + std::to_string(t.n_rot) + " dims, base " + std::to_string(int64_t(t.rope_base)));
    feature("norm", "RMS, eps " + std::to_string(t.rms_eps));
    if (t.n_expert)
        feature("feed-forward", "mixture of " + std::to_string(t.n_expert) + " experts, " + std::to_string(t.n_expert_used) +
                                    " per token, width " + std::to_string(t.n_ff_expert));
    else
        feature("feed-forward", "gated, width " + std::to_string(t.n_ff));
}

attention_weights transformer::read_attention(const reader& r, uint32_t l, bool biases, qk_norm_kind norm) {
    const uint64_t E = hp_.n_embd, Q = uint64_t(hp_.n_head) * hp_.head_dim, KV = uint64_t(hp_.n_head_kv) * hp_.head_dim;
    attention_weights w;
    w.wq = use(l, r.tensor(reader::layer_tensor(l, "attn_q"), {E, Q}));
    w.wk = use(l, r.tensor(reader::layer_tensor(l, "attn_k"), {E, KV}));
    w.wv = use(l, r.tensor(reader::layer_tensor(l, "attn_v"), {E, KV}));
    w.wo = use(l, r.tensor(reader::layer_tensor(l, "attn_output"), {Q, E}));
    if (biases) {
        w.bq = use(l, r.f32_tensor(reader::layer_tensor(l, "attn_q.bias"), {Q}), 0);
        w.bk = use(l, r.f32_tensor(reader::layer_tensor(l, "attn_k.bias"), {KV}), 0);
        w.bv = use(l, r.f32_tensor(reader::layer_tensor(l, "attn_v.bias"), {KV}), 0);
    }
    if (norm != qk_norm_kind::none) {
        const bool per_head = norm == qk_norm_kind::per_head;
        w.q_norm = use(l, r.f32_tensor(reader::layer_tensor(l, "attn_q_norm"), {per_head ? hp_.head_dim : Q}), 0);
        w.k_norm = use(l, r.f32_tensor(reader::layer_tensor(l, "attn_k_norm"), {per_head ? hp_.head_dim : KV}), 0);
    }
    return w;
}

transformer::ffn_weights transformer::read_ffn(const reader& r, uint32_t l, uint32_t n_ff) {
    const uint64_t E = hp_.n_embd, F = n_ff;
    ffn_weights w;
    w.gate = use(l, r.tensor(reader::layer_tensor(l, "ffn_gate"), {E, F}));
    w.up = use(l, r.tensor(reader::layer_tensor(l, "ffn_up"), {E, F}));
    w.down = use(l, r.tensor(reader::layer_tensor(l, "ffn_down"), {F, E}));
    return w;
}

transformer::moe_weights transformer::read_moe(const reader& r, uint32_t l, const transformer_hparams& t) {
    const uint64_t E = hp_.n_embd, F = t.n_ff_expert, X = t.n_expert;
    moe_weights w;
    w.router = use(l, r.tensor(reader::layer_tensor(l, "ffn_gate_inp"), {E, X}));
    w.gate = use(l, r.tensor(reader::layer_tensor(l, "ffn_gate_exps"), {E, F, X}), PLINTH_OP_MATMUL_EXPERTS);
    w.up = use(l, r.tensor(reader::layer_tensor(l, "ffn_up_exps"), {E, F, X}), PLINTH_OP_MATMUL_EXPERTS);
    w.down = use(l, r.tensor(reader::layer_tensor(l, "ffn_down_exps"), {F, E, X}), PLINTH_OP_MATMUL_EXPERTS);
    return w;
}

transformer::sandwich_weights transformer::read_sandwich_layer(const reader& r, uint32_t l, qk_norm_kind norm, uint32_t n_ff) {
    const uint64_t E = hp_.n_embd;
    sandwich_weights lw;
    lw.attn_norm = use(l, r.f32_tensor(reader::layer_tensor(l, "attn_norm"), {E}), 0);
    lw.attn = read_attention(r, l, false, norm);
    lw.post_attn_norm = use(l, r.f32_tensor(reader::layer_tensor(l, "post_attention_norm"), {E}), 0);
    lw.ffn_norm = use(l, r.f32_tensor(reader::layer_tensor(l, "ffn_norm"), {E}), 0);
    lw.ffn = read_ffn(r, l, n_ff);
    lw.post_ffn_norm = use(l, r.f32_tensor(reader::layer_tensor(l, "post_ffw_norm"), {E}), 0);
    return lw;
}

tensor_id transformer::sandwich_layer(graph_builder& b, tensor_id x, const sandwich_weights& lw, const kv_layer_storage& kv,
                                      const attention_params& ap, float eps) {
    const tensor_id a = b.self_attention(b.rms_norm(x, lw.attn_norm, eps), lw.attn, kv, ap, eps);
    x = b.add(x, b.rms_norm(a, lw.post_attn_norm, eps));
    const tensor_id f = b.gated_ffn(b.rms_norm(x, lw.ffn_norm, eps), lw.ffn.gate, lw.ffn.up, lw.ffn.down, true);
    return b.add(x, b.rms_norm(f, lw.post_ffn_norm, eps));
}

transformer::end_weights transformer::read_ends(const reader& r) {
    const uint64_t E = hp_.n_embd, V = hp_.n_vocab;
    end_weights w;
    w.token_embd = use_global(r.tensor("token_embd.weight", {E, V}), PLINTH_OP_GET_ROWS);
    w.output_norm = use_global(r.f32_tensor("output_norm.weight", {E}), 0);
    w.output = r.optional_tensor("output.weight", {E, V});
    if (w.output == nullptr) feature("output", "tied to the token embedding");
    w.output = use_global(w.output ? w.output : w.token_embd, PLINTH_OP_MATMUL);
    return w;
}

}  // namespace plinth::arch
