#pragma once
// The pieces every architecture's graph is made of (embedding, norms, projections, rotary
// attention over the paged cache, gated and mixture-of-experts feed-forward blocks, the output),
// over one logical_graph. A matmul or lookup runs where its weight is; everything else runs on
// the current layer's device.
#include <plinth/architecture.hpp>

#include <cstdint>
#include <vector>

namespace plinth::arch {

struct rope_params {
    uint32_t n_rot = 0;
    int32_t mode = 0;                       // 0: adjacent pairs (Llama GGUF layout), 2: NeoX halves
    float base = 10000.0f;
    float scale = 1.0f;
    const tensor_view* factors = nullptr;   // Llama 3 rope_freqs [n_rot / 2], or none
};

struct attention_params {
    rope_params rope;
    float scale = 1.0f;      // on q . k
    bool scale_q = false;    // apply `scale` to q (in F32) before attention instead (Gemma)
    uint32_t window = 0;     // sliding window (0: none)
    float softcap = 0.0f;    // on the scores (0: none)
};

// One layer's attention weights; the optional ones are null when the architecture has none.
struct attention_weights {
    const tensor_view* wq = nullptr;  // [E, H * D]
    const tensor_view* wk = nullptr;  // [E, HKV * D]
    const tensor_view* wv = nullptr;
    const tensor_view* wo = nullptr;  // [H * D, E]
    const tensor_view* bq = nullptr;  // biases (Qwen 2)
    const tensor_view* bk = nullptr;
    const tensor_view* bv = nullptr;
    // RMS norms of q and k before rope: [D] per head (Qwen 3, Gemma 3) or [H * D] over all heads (OLMo 2).
    const tensor_view* q_norm = nullptr;
    const tensor_view* k_norm = nullptr;
};

class graph_builder {
public:
    graph_builder(const model_hparams& hp, const graph_devices& devices, const batch_inputs& in);

    logical_graph& graph() { return out_.graph; }
    uint64_t tokens() const { return T_; }

    // Nodes from now on run on the given layer's device (its KV cache's), or the output's.
    void at_layer(const kv_layer_storage& kv);
    void at_output();

    // x [E, T]: the token embedding rows.
    tensor_id embed(const tensor_view* token_embd);
    // dst [rows, T] = W x, on the weight's device.
    tensor_id matmul(const tensor_view* w, tensor_id x);
    tensor_id rms_norm(tensor_id x, const tensor_view* w, float eps);
    // Norm over rows of `width` values (a head at a time: per-head Q/K norm) of x.
    tensor_id rms_norm_rows(tensor_id x, uint64_t width, const tensor_view* w, float eps);
    tensor_id add(tensor_id a, tensor_id b);
    tensor_id add_bias(tensor_id x, const tensor_view* bias);  // bias may be null (no-op)
    tensor_id scale(tensor_id x, float factor);
    tensor_id softcap(tensor_id x, float cap);

    // Rotary attention of q [D*H, T], k, v [D*HKV, T] (already projected, biased, normed) over
    // the layer's cache; returns [D*H, T] before the output projection.
    tensor_id attention(tensor_id q, tensor_id k, tensor_id v, const kv_layer_storage& kv, const attention_params& p);
    // The whole attention of a layer from its input h [E, T]: projections, biases, q/k norms
    // (with eps), rope, cache, attention, output projection. Returns [E, T].
    tensor_id self_attention(tensor_id h, const attention_weights& w, const kv_layer_storage& kv, const attention_params& p,
                             float norm_eps);

    // down(act(gate x) * up x), act SiLU (SwiGLU) or tanh-GELU (GEGLU).
    tensor_id gated_ffn(tensor_id x, const tensor_view* gate, const tensor_view* up, const tensor_view* down, bool gelu = false);
    // Mixture of experts: router [E, n_expert], experts [E, F, n], [E, F, n], [F, E, n].
    tensor_id moe_ffn(tensor_id x, const tensor_view* router, const tensor_view* gate_exps, const tensor_view* up_exps,
                      const tensor_view* down_exps, uint32_t n_used);

    // The rows that want logits: final norm, then the output projection. Returns the logits.
    tensor_id output(tensor_id x, const tensor_view* norm, float eps, const tensor_view* output);
    // Finishes the graph with `logits` as its result.
    model_graph finish(tensor_id logits);

    uint64_t rows_of(tensor_id t) const;  // shape[0]

private:
    tensor_id f32(uint64_t n0, uint64_t n1, uint64_t n2 = 1);
    tensor_id with_weight(plinth_op op, tensor_id dst, const tensor_view* w, std::initializer_list<tensor_id> rest,
                          std::initializer_list<int32_t> i = {});

    const model_hparams& hp_;
    const graph_devices& devices_;
    model_graph out_;
    uint64_t T_ = 0, N_ = 0;
    uint32_t here_ = 0;
    tensor_id tokens_ = 0, positions_ = 0, seq_rows_ = 0, slots_ = 0, block_table_ = 0, output_rows_ = 0;
};

}  // namespace plinth::arch
