#pragma once
// Builds the op graph of one Llama forward pass over a batch of tokens (prefill or decode, one
// or several sequences). Per layer: RMS norm, Q/K/V projections, RoPE, KV store, attention over
// the paged cache, output projection, residual; RMS norm, SwiGLU FFN, residual. Then the final
// norm and the output projection for the tokens that want logits.
#include <plinth/compute_graph.hpp>
#include <plinth/llama_model.hpp>

#include <functional>
#include <utility>
#include <vector>

namespace plinth {

// Where a weight tensor lives: its buffer and byte offset on the device that holds it.
using weight_locator = std::function<std::pair<plinth_buffer, uint64_t>(const tensor_view&)>;

// The batch's per-token inputs, already uploaded to `buffer` at these offsets (all I32).
struct llama_batch_inputs {
    uint32_t n_tokens = 0;
    uint32_t n_outputs = 0;     // tokens whose logits are wanted
    uint32_t n_seq_rows = 0;    // rows of the block table
    uint32_t max_blocks = 0;    // columns of the block table
    plinth_buffer buffer = nullptr;
    uint64_t tokens = 0, positions = 0, seq_rows = 0, slots = 0, block_table = 0, output_rows = 0;
};

struct kv_layer_storage {
    plinth_buffer k = nullptr, v = nullptr;  // [n_head_kv * head_dim, slots] each
    uint32_t type = 0;                       // F16 or F32
    uint32_t slots = 0;
    uint32_t block_size = 0;
};

struct llama_graph {
    compute_graph graph;
    tensor_id logits = 0;  // F32 [n_vocab, n_outputs]
};

llama_graph build_llama_graph(const llama_hparams& hp, const llama_weights& w, const weight_locator& locate,
                              const std::vector<kv_layer_storage>& kv, const llama_batch_inputs& in);

}  // namespace plinth
