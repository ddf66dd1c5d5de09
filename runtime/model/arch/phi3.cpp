// Phi-3 / Phi-4 mini: the pre-norm decoder with NeoX rope, a fused QKV projection (rows: Q, then
// K, then V) and a fused gate-and-up matrix (rows: gate, then up), split here into row slices in
// place; a sliding window on every layer when the file names one.
#include "transformer.hpp"

namespace plinth::arch {
namespace {

class phi3 final : public transformer {
public:
    explicit phi3(const model_file& f) {
        const reader r(f, "phi3");
        t_ = read_transformer_hparams(r, hp_);
        ends_ = read_ends(r);
        window_ = r.count("attention.sliding_window", 0);
        const uint64_t E = hp_.n_embd, Q = uint64_t(hp_.n_head) * hp_.head_dim, KV = uint64_t(hp_.n_head_kv) * hp_.head_dim,
                       F = t_.n_ff;
        for (uint32_t l = 0; l < hp_.n_layer; ++l) {
            layer_weights lw;
            lw.attn_norm = use(l, r.f32_tensor(reader::layer_tensor(l, "attn_norm"), {E}), 0);
            const tensor_view* qkv = r.tensor(reader::layer_tensor(l, "attn_qkv"), {E, Q + 2 * KV});
            lw.attn.wq = use_slice(l, qkv, 0, Q);
            lw.attn.wk = use_slice(l, qkv, Q, KV);
            lw.attn.wv = use_slice(l, qkv, Q + KV, KV);
            lw.attn.wo = use(l, r.tensor(reader::layer_tensor(l, "attn_output"), {Q, E}));
            lw.ffn_norm = use(l, r.f32_tensor(reader::layer_tensor(l, "ffn_norm"), {E}), 0);
            const tensor_view* gate_up = r.tensor(reader::layer_tensor(l, "ffn_up"), {E, 2 * F});
            lw.gate = use_slice(l, gate_up, 0, F);
            lw.up = use_slice(l, gate_up, F, F);
            lw.down = use(l, r.tensor(reader::layer_tensor(l, "ffn_down"), {F, E}));
            layers_w_.push_back(lw);
        }
        describe_common(t_, "NeoX halves");
        feature("fused weights", "QKV in one matrix, gate and up in one matrix");
        if (window_) feature("sliding window", std::to_string(window_) + " on every layer");
    }

    model_graph build_graph(const graph_devices& devices, const std::vector<kv_layer_storage>& kv,
                            const batch_inputs& in) const override {
        graph_builder b(hp_, devices, in);
        attention_params ap;
        ap.rope = {t_.n_rot, 2, t_.rope_base, t_.rope_scale, nullptr};
        ap.scale = 1.0f / std::sqrt(float(hp_.head_dim));
        ap.window = window_;
        ap.scale_q = true;  // q is scaled before attention (as the reference graph does)
        tensor_id x = b.embed(ends_.token_embd);
        for (uint32_t l = 0; l < hp_.n_layer; ++l) {
            const layer_weights& lw = layers_w_[l];
            b.at_layer(kv[l]);
            x = b.add(x, b.self_attention(b.rms_norm(x, lw.attn_norm, t_.rms_eps), lw.attn, kv[l], ap, t_.rms_eps));
            x = b.add(x, b.gated_ffn(b.rms_norm(x, lw.ffn_norm, t_.rms_eps), lw.gate, lw.up, lw.down));
        }
        return b.finish(b.output(x, ends_.output_norm, t_.rms_eps, ends_.output));
    }

private:
    struct layer_weights {
        const tensor_view* attn_norm = nullptr;
        attention_weights attn;
        const tensor_view* ffn_norm = nullptr;
        const tensor_view *gate = nullptr, *up = nullptr, *down = nullptr;
    };
    transformer_hparams t_;
    end_weights ends_;
    uint32_t window_ = 0;
    std::vector<layer_weights> layers_w_;
};

}  // namespace

std::unique_ptr<architecture> load_phi3(const model_file& f) { return std::make_unique<phi3>(f); }

}  // namespace plinth::arch
