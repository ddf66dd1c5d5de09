#pragma once
// The plain pre-norm decoder that Llama, Mistral, Qwen 2 and Qwen 3 share: per layer
//   x = x + attn(rms_norm(x)),  x = x + ffn(rms_norm(x))
// with a SwiGLU or mixture-of-experts FFN. What differs between them is a few options: the rope
// layout, Q/K/V biases, per-head q/k norms, and Llama 3's rope frequency factors.
#include "transformer.hpp"

namespace plinth::arch {

struct pre_norm_options {
    int32_t rope_mode = 0;           // 0: adjacent pairs (Llama files), 2: NeoX halves
    const char* rope_style = "adjacent pairs";
    bool qkv_bias = false;
    qk_norm_kind qk_norm = qk_norm_kind::none;
};

class pre_norm_decoder final : public transformer {
public:
    pre_norm_decoder(const model_file& f, const pre_norm_options& options);
    model_graph build_graph(const graph_devices& devices, const std::vector<kv_layer_storage>& kv,
                            const batch_inputs& in) const override;

private:
    struct layer_weights {
        const tensor_view* attn_norm = nullptr;
        attention_weights attn;
        const tensor_view* ffn_norm = nullptr;
        ffn_weights ffn;
        moe_weights moe;
    };
    pre_norm_options options_;
    transformer_hparams t_;
    end_weights ends_;
    const tensor_view* rope_factors_ = nullptr;
    std::vector<layer_weights> layers_w_;
};

}  // namespace plinth::arch
