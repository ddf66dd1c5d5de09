#pragma once
// The Llama family (Llama 2/3, Mistral, TinyLlama, SmolLM shapes): hyper-parameters from the
// `<arch>.*` metadata and the weight tensors, each checked for presence and shape at load.
#include <plinth/model_file.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace plinth {

struct llama_hparams {
    std::string architecture;
    uint32_t n_vocab = 0;
    uint32_t n_ctx_train = 0;
    uint32_t n_embd = 0;
    uint32_t n_layer = 0;
    uint32_t n_ff = 0;
    uint32_t n_head = 0;
    uint32_t n_head_kv = 0;
    uint32_t head_dim = 0;    // n_embd / n_head unless the file says otherwise
    uint32_t n_rot = 0;       // rotated dimensions per head
    float rms_eps = 1e-5f;
    float rope_freq_base = 10000.0f;
    float rope_freq_scale = 1.0f;
    int32_t rope_mode = 0;    // 0: adjacent pairs (llama), 2: NeoX halves
};

struct llama_layer_weights {
    const tensor_view* attn_norm;  // [n_embd]
    const tensor_view* wq;         // [n_embd, n_head * head_dim]
    const tensor_view* wk;         // [n_embd, n_head_kv * head_dim]
    const tensor_view* wv;         // [n_embd, n_head_kv * head_dim]
    const tensor_view* wo;         // [n_head * head_dim, n_embd]
    const tensor_view* ffn_norm;   // [n_embd]
    const tensor_view* ffn_gate;   // [n_embd, n_ff]
    const tensor_view* ffn_up;     // [n_embd, n_ff]
    const tensor_view* ffn_down;   // [n_ff, n_embd]
};

struct llama_weights {
    const tensor_view* token_embd;   // [n_embd, n_vocab]
    const tensor_view* output_norm;  // [n_embd]
    const tensor_view* output;       // [n_embd, n_vocab]; token_embd when tied
    std::vector<llama_layer_weights> layers;
};

// Architectures this builder serves (their GGUF metadata and tensor names follow Llama's).
bool is_llama_family(const std::string& architecture);

// Throws plinth::error naming the key or tensor when something is missing or has the wrong shape.
llama_hparams load_llama_hparams(const model_file& file);
llama_weights load_llama_weights(const model_file& file, const llama_hparams& hp);

}  // namespace plinth
