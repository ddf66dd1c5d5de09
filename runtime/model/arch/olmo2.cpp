// OLMo 2: no norms before the blocks; each block's output is normed before the residual add
// (post-norms), and q and k are RMS-normed over all heads together before rope (NeoX).
#include "transformer.hpp"

namespace plinth::arch {
namespace {

class olmo2 final : public transformer {
public:
    explicit olmo2(const model_file& f) {
        const reader r(f, "olmo2");
        t_ = read_transformer_hparams(r, hp_);
        ends_ = read_ends(r);
        for (uint32_t l = 0; l < hp_.n_layer; ++l) {
            layer_weights lw;
            const uint64_t E = hp_.n_embd;
            lw.attn = read_attention(r, l, false, qk_norm_kind::all_heads);
            lw.post_attn_norm = use(l, r.f32_tensor(reader::layer_tensor(l, "post_attention_norm"), {E}), 0);
            lw.ffn = read_ffn(r, l, t_.n_ff);
            lw.post_ffn_norm = use(l, r.f32_tensor(reader::layer_tensor(l, "post_ffw_norm"), {E}), 0);
            layers_w_.push_back(lw);
        }
        describe_common(t_, "NeoX halves");
        feature("norms", "after each block only; RMS over all q heads and all k heads");
    }

    model_graph build_graph(const graph_devices& devices, const std::vector<kv_layer_storage>& kv,
                            const batch_inputs& in) const override {
        graph_builder b(hp_, devices, in);
        attention_params ap;
        ap.rope = {t_.n_rot, 2, t_.rope_base, t_.rope_scale, nullptr};
        ap.scale = 1.0f / std::sqrt(float(hp_.head_dim));
        tensor_id x = b.embed(ends_.token_embd);
        for (uint32_t l = 0; l < hp_.n_layer; ++l) {
            const layer_weights& lw = layers_w_[l];
            b.at_layer(kv[l]);
            x = b.add(x, b.rms_norm(b.self_attention(x, lw.attn, kv[l], ap, t_.rms_eps), lw.post_attn_norm, t_.rms_eps));
            x = b.add(x, b.rms_norm(b.gated_ffn(x, lw.ffn.gate, lw.ffn.up, lw.ffn.down), lw.post_ffn_norm, t_.rms_eps));
        }
        return b.finish(b.output(x, ends_.output_norm, t_.rms_eps, ends_.output));
    }

private:
    struct layer_weights {
        attention_weights attn;
        const tensor_view* post_attn_norm = nullptr;
        ffn_weights ffn;
        const tensor_view* post_ffn_norm = nullptr;
    };
    transformer_hparams t_;
    end_weights ends_;
    std::vector<layer_weights> layers_w_;
};

}  // namespace

std::unique_ptr<architecture> load_olmo2(const model_file& f) { return std::make_unique<olmo2>(f); }

}  // namespace plinth::arch
