#pragma once
// Builds the op graph of one Llama forward pass over a batch of tokens (prefill or decode, one
// or several sequences). Per layer: RMS norm, Q/K/V projections, RoPE, KV store, attention over
// the paged cache, output projection, residual; RMS norm, SwiGLU FFN, residual. Then the final
// norm and the output projection for the tokens that want logits.
#include <plinth/llama_model.hpp>
#include <plinth/logical_graph.hpp>

#include <functional>
#include <optional>
#include <vector>

namespace plinth {

// The batch's per-token inputs: offsets in the input block (all I32) each device gets a copy of.
struct llama_batch_inputs {
    uint32_t n_tokens = 0;
    uint32_t n_outputs = 0;     // tokens whose logits are wanted
    uint32_t n_seq_rows = 0;    // rows of the block table
    uint32_t max_blocks = 0;    // columns of the block table
    uint64_t tokens = 0, positions = 0, seq_rows = 0, slots = 0, block_table = 0, output_rows = 0;
};

struct kv_layer_storage {
    plinth_buffer k = nullptr, v = nullptr;  // [n_head_kv * head_dim, slots] each
    uint32_t type = 0;                       // F16 or F32
    uint32_t slots = 0;
    uint32_t block_size = 0;
    uint32_t device = 0;                     // where this layer runs
};

// Which device (an index into the engine's device list) runs what. Layers run where their KV cache
// lives (kv_layer_storage::device).
struct llama_devices {
    uint32_t embedding = 0;  // the token embedding lookup
    uint32_t output = 0;     // final norm and output projection
    // A weight placed apart from its layer (a `tensors` placement rule) moves the node that
    // reads it; absent: the weight goes with its layer.
    std::function<std::optional<uint32_t>(const tensor_view&)> override_of;
};

struct llama_graph {
    logical_graph graph;
    tensor_id logits = 0;  // F32 [n_vocab, n_outputs]
};

llama_graph build_llama_graph(const llama_hparams& hp, const llama_weights& w, const llama_devices& devices,
                              const std::vector<kv_layer_storage>& kv, const llama_batch_inputs& in);

}  // namespace plinth
