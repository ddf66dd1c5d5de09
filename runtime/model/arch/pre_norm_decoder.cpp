#include "pre_norm_decoder.hpp"

namespace plinth::arch {

pre_norm_decoder::pre_norm_decoder(const model_file& f, const pre_norm_options& options) : options_(options) {
    const reader r(f, f.get_string("general.architecture").value_or(""));
    t_ = read_transformer_hparams(r, hp_);
    ends_ = read_ends(r);
    rope_factors_ = use_global(r.optional_f32_tensor("rope_freqs.weight", {t_.n_rot / 2}), 0);
    for (uint32_t l = 0; l < hp_.n_layer; ++l) {
        layer_weights lw;
        lw.attn_norm = use(l, r.f32_tensor(reader::layer_tensor(l, "attn_norm"), {hp_.n_embd}), 0);
        lw.attn = read_attention(r, l, options.qkv_bias, options.qk_norm);
        lw.ffn_norm = use(l, r.f32_tensor(reader::layer_tensor(l, "ffn_norm"), {hp_.n_embd}), 0);
        if (t_.n_expert) lw.moe = read_moe(r, l, t_);
        else lw.ffn = read_ffn(r, l, t_.n_ff);
        layers_w_.push_back(lw);
    }
    describe_common(t_, options.rope_style);
    if (options.qkv_bias) feature("attention biases", "Q, K and V");
    if (options.qk_norm == qk_norm_kind::per_head) feature("q/k norm", "RMS per head, before rope");
    if (rope_factors_) feature("rope scaling", "per-frequency factors (rope_freqs)");
}

model_graph pre_norm_decoder::build_graph(const graph_devices& devices, const std::vector<kv_layer_storage>& kv,
                                          const batch_inputs& in) const {
    graph_builder b(hp_, devices, in);
    attention_params ap;
    ap.rope = {t_.n_rot, options_.rope_mode, t_.rope_base, t_.rope_scale, rope_factors_};
    ap.scale = 1.0f / std::sqrt(float(hp_.head_dim));
    tensor_id x = b.embed(ends_.token_embd);
    for (uint32_t l = 0; l < hp_.n_layer; ++l) {
        const layer_weights& lw = layers_w_[l];
        b.at_layer(kv[l]);
        x = b.add(x, b.self_attention(b.rms_norm(x, lw.attn_norm, t_.rms_eps), lw.attn, kv[l], ap, t_.rms_eps));
        const tensor_id h = b.rms_norm(x, lw.ffn_norm, t_.rms_eps);
        x = b.add(x, t_.n_expert ? b.moe_ffn(h, lw.moe.router, lw.moe.gate, lw.moe.up, lw.moe.down, t_.n_expert_used)
                                 : b.gated_ffn(h, lw.ffn.gate, lw.ffn.up, lw.ffn.down));
    }
    return b.finish(b.output(x, ends_.output_norm, t_.rms_eps, ends_.output));
}

}  // namespace plinth::arch
