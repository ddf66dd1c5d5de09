#pragma once
// The common base of the decoder-only transformers in this folder: it keeps, while a subclass
// loads, which weights each layer holds and which op reads them (for placement), the row slices
// of fused tensors, and the features `plinth inspect` lists.
#include "arch_reader.hpp"
#include "graph_builder.hpp"

#include <cmath>
#include <deque>

namespace plinth::arch {

enum class qk_norm_kind { none, per_head, all_heads };

class transformer : public architecture {
public:
    std::vector<weight_use> layer_weights(uint32_t layer) const override { return layers_.at(layer); }
    std::vector<weight_use> global_weights() const override { return globals_; }
    std::vector<std::pair<std::string, std::string>> describe() const override { return features_; }

protected:
    // Records t (may be null: an optional weight that is absent) as read by `op` in `layer`.
    const tensor_view* use(uint32_t layer, const tensor_view* t, uint32_t op = PLINTH_OP_MATMUL);
    const tensor_view* use_global(const tensor_view* t, uint32_t op);
    // A row slice of a fused weight, owned here, recorded like use().
    const tensor_view* use_slice(uint32_t layer, const tensor_view* t, uint64_t first_row, uint64_t rows);
    void feature(std::string name, std::string value) { features_.emplace_back(std::move(name), std::move(value)); }
    // The common features: heads, rope, norms (and experts when there are).
    void describe_common(const transformer_hparams& t, const char* rope_style);

    // The attention weights a Llama-shaped file names attn_q/k/v/output, recorded for `layer`:
    // with Q/K/V biases when `biases`, with q/k norms per head ([D]) or over all heads ([H*D]).
    attention_weights read_attention(const reader& r, uint32_t layer, bool biases, qk_norm_kind norm);
    // A dense gated FFN's three weights (gate, up, down) for `layer`.
    struct ffn_weights {
        const tensor_view* gate = nullptr;
        const tensor_view* up = nullptr;
        const tensor_view* down = nullptr;
    };
    ffn_weights read_ffn(const reader& r, uint32_t layer, uint32_t n_ff);
    // A mixture-of-experts FFN: router and the stacked experts.
    struct moe_weights {
        const tensor_view* router = nullptr;
        const tensor_view* gate = nullptr;
        const tensor_view* up = nullptr;
        const tensor_view* down = nullptr;
    };
    moe_weights read_moe(const reader& r, uint32_t layer, const transformer_hparams& t);

    // The token embedding, the final norm and the output matrix (the embedding when the file has no
    // output.weight: tied), recorded as globals.
    struct end_weights {
        const tensor_view* token_embd = nullptr;
        const tensor_view* output_norm = nullptr;
        const tensor_view* output = nullptr;
    };
    end_weights read_ends(const reader& r);

    // Gemma's "sandwich" layer: a norm before and after both the attention and the GEGLU FFN.
    struct sandwich_weights {
        const tensor_view* attn_norm = nullptr;
        attention_weights attn;
        const tensor_view* post_attn_norm = nullptr;
        const tensor_view* ffn_norm = nullptr;
        ffn_weights ffn;
        const tensor_view* post_ffn_norm = nullptr;
    };
    sandwich_weights read_sandwich_layer(const reader& r, uint32_t layer, qk_norm_kind norm, uint32_t n_ff);
    // x + post_norm(attn(norm(x))), then the same for the FFN; returns the new residual stream.
    static tensor_id sandwich_layer(graph_builder& b, tensor_id x, const sandwich_weights& lw, const kv_layer_storage& kv,
                                    const attention_params& ap, float eps);

    std::vector<std::vector<weight_use>> layers_;
    std::vector<weight_use> globals_;
    std::deque<tensor_view> slices_;  // stable addresses
    std::vector<std::pair<std::string, std::string>> features_;
};

}  // namespace plinth::arch
