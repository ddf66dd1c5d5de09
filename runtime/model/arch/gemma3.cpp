// Gemma 3: Gemma 2's block (embedding scale, sandwich norms, GEGLU, q scaled first) without the
// soft-caps, with an RMS norm on each q and k head, and local (sliding-window) and global layers
// in a pattern: layer l is local unless l % pattern == pattern - 1. Local layers use their own
// rope base (rope.freq_base_swa); a linear rope scaling, when the file has one, is the global
// layers'.
#include "transformer.hpp"

namespace plinth::arch {
namespace {

class gemma3 final : public transformer {
public:
    explicit gemma3(const model_file& f) {
        const reader r(f, "gemma3");
        t_ = read_transformer_hparams(r, hp_);
        ends_ = read_ends(r);
        window_ = r.count("attention.sliding_window", 4096);
        pattern_ = r.count("attention.sliding_window_pattern", 6);  // Gemma 3's published default
        global_base_ = r.real("rope.freq_base", 1000000.0f);
        local_base_ = r.real("rope.freq_base_swa", 10000.0f);
        if (f.get_string("gemma3.rope.scaling.type").value_or("") == "linear")
            global_scale_ = 1.0f / r.real("rope.scaling.factor", 1.0f);
        if (!(local_base_ > 0.0f) || !(global_scale_ > 0.0f)) r.fail("rope.freq_base_swa and rope.scaling.factor must be positive");
        for (uint32_t l = 0; l < hp_.n_layer; ++l) layers_w_.push_back(read_sandwich_layer(r, l, qk_norm_kind::per_head, t_.n_ff));
        describe_common(t_, "NeoX halves");
        feature("feed-forward activation", "GELU (tanh form)");
        feature("norms", "pre and post each block, RMS per q/k head; embedding scaled by sqrt(n_embd)");
        feature("sliding window", std::to_string(window_) + " on local layers; every " + std::to_string(pattern_) +
                                      "th layer is global");
        feature("rope bases", "global " + std::to_string(int64_t(global_base_)) + ", local " + std::to_string(int64_t(local_base_)));
    }

    bool local(uint32_t l) const { return l % pattern_ < pattern_ - 1; }

    model_graph build_graph(const graph_devices& devices, const std::vector<kv_layer_storage>& kv,
                            const batch_inputs& in) const override {
        graph_builder b(hp_, devices, in);
        attention_params ap;
        ap.scale = 1.0f / std::sqrt(float(hp_.head_dim));
        ap.scale_q = true;
        tensor_id x = b.scale(b.embed(ends_.token_embd), std::sqrt(float(hp_.n_embd)));
        for (uint32_t l = 0; l < hp_.n_layer; ++l) {
            b.at_layer(kv[l]);
            ap.window = local(l) ? window_ : 0;
            ap.rope = {t_.n_rot, 2, local(l) ? local_base_ : global_base_, local(l) ? 1.0f : global_scale_, nullptr};
            x = sandwich_layer(b, x, layers_w_[l], kv[l], ap, t_.rms_eps);
        }
        return b.finish(b.output(x, ends_.output_norm, t_.rms_eps, ends_.output));
    }

private:
    transformer_hparams t_;
    end_weights ends_;
    uint32_t window_ = 0, pattern_ = 6;
    float global_base_ = 1e6f, local_base_ = 1e4f, global_scale_ = 1.0f;
    std::vector<sandwich_weights> layers_w_;
};

}  // namespace

std::unique_ptr<architecture> load_gemma3(const model_file& f) { return std::make_unique<gemma3>(f); }

}  // namespace plinth::arch
