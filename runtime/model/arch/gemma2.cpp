// Gemma 2: the embedding scaled by sqrt(n_embd); "sandwich" norms (each block's output is normed
// again before the residual add); a GEGLU FFN; q scaled before attention; the attention scores and
// the final logits soft-capped by tanh; a sliding window on every other layer (0, 2, 4, ...);
// the output tied to the embedding.
#include "transformer.hpp"

namespace plinth::arch {
namespace {

class gemma2 final : public transformer {
public:
    explicit gemma2(const model_file& f) {
        const reader r(f, "gemma2");
        t_ = read_transformer_hparams(r, hp_);
        ends_ = read_ends(r);
        // Gemma 2's published configuration gives these when a file omits them.
        attn_softcap_ = r.real("attn_logit_softcapping", 50.0f);
        final_softcap_ = r.real("final_logit_softcapping", 30.0f);
        window_ = r.count("attention.sliding_window", 4096);
        if (!(attn_softcap_ >= 0.0f) || !(final_softcap_ >= 0.0f)) r.fail("the soft-caps must not be negative");
        for (uint32_t l = 0; l < hp_.n_layer; ++l) layers_w_.push_back(read_sandwich_layer(r, l, qk_norm_kind::none, t_.n_ff));
        describe_common(t_, "NeoX halves");
        feature("feed-forward activation", "GELU (tanh form)");
        feature("norms", "pre and post each block; embedding scaled by sqrt(n_embd)");
        feature("sliding window", std::to_string(window_) + " on even layers");
        feature("soft-cap", "attention " + std::to_string(attn_softcap_) + ", final logits " + std::to_string(final_softcap_));
    }

    model_graph build_graph(const graph_devices& devices, const std::vector<kv_layer_storage>& kv,
                            const batch_inputs& in) const override {
        graph_builder b(hp_, devices, in);
        attention_params ap;
        ap.rope = {t_.n_rot, 2, t_.rope_base, t_.rope_scale, nullptr};
        ap.scale = 1.0f / std::sqrt(float(hp_.head_dim));
        ap.scale_q = true;
        ap.softcap = attn_softcap_;
        tensor_id x = b.scale(b.embed(ends_.token_embd), std::sqrt(float(hp_.n_embd)));
        for (uint32_t l = 0; l < hp_.n_layer; ++l) {
            b.at_layer(kv[l]);
            ap.window = l % 2 == 0 ? window_ : 0;
            x = sandwich_layer(b, x, layers_w_[l], kv[l], ap, t_.rms_eps);
        }
        tensor_id logits = b.output(x, ends_.output_norm, t_.rms_eps, ends_.output);
        if (final_softcap_ > 0.0f) logits = b.softcap(logits, final_softcap_);
        return b.finish(logits);
    }

private:
    transformer_hparams t_;
    end_weights ends_;
    float attn_softcap_ = 0.0f, final_softcap_ = 0.0f;
    uint32_t window_ = 0;
    std::vector<sandwich_weights> layers_w_;
};

}  // namespace

std::unique_ptr<architecture> load_gemma2(const model_file& f) { return std::make_unique<gemma2>(f); }

}  // namespace plinth::arch
