#pragma once
// The seam between the engine and a model architecture (Llama, Qwen, Gemma, ...). An architecture
// reads its hyper-parameters from the `<arch>.*` metadata, finds its weights by role (each checked
// for presence and shape), tells placement which weights each layer holds, and builds the op
// graph of one forward pass over a batch. The engine and placement know nothing else about it.
//
// Adding one: a file under runtime/model/arch/ that defines a subclass and its loader, one line in
// runtime/model/architecture_registry.cpp, and its tests (docs/architecture.md, "Architectures").
#include <plinth/logical_graph.hpp>
#include <plinth/model_file.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace plinth {

// What the engine, placement and the KV cache need from any architecture.
struct model_hparams {
    std::string architecture;  // general.architecture
    uint32_t n_vocab = 0;
    uint32_t n_ctx_train = 0;
    uint32_t n_embd = 0;
    uint32_t n_layer = 0;
    uint32_t n_head = 0;
    uint32_t n_head_kv = 0;
    uint32_t head_dim = 0;     // the K/V cache holds n_head_kv * head_dim values per token and layer
};

// The batch's per-token inputs: offsets in the input block (all I32) each device gets a copy of.
struct batch_inputs {
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
struct graph_devices {
    uint32_t embedding = 0;  // the token embedding lookup
    uint32_t output = 0;     // final norm and output projection
    // A weight placed apart from its layer (a `tensors` placement rule) moves the node that
    // reads it; absent: the weight goes with its layer.
    std::function<std::optional<uint32_t>(const tensor_view&)> override_of;
};

struct model_graph {
    logical_graph graph;
    tensor_id logits = 0;  // F32 [n_vocab, n_outputs]
};

// A weight and the op that reads it as a weight (GET_ROWS, MATMUL, MATMUL_EXPERTS), or 0 for one
// read as plain F32 data (norm weights, biases, rope factors).
struct weight_use {
    const tensor_view* tensor = nullptr;
    uint32_t op = 0;
};

class architecture {
public:
    virtual ~architecture() = default;
    const model_hparams& hparams() const { return hp_; }

    // The weights of layer `layer`, and those outside the layers (the token embedding is the
    // one read by GET_ROWS), for placement: what a layer weighs, which device must run which op.
    virtual std::vector<weight_use> layer_weights(uint32_t layer) const = 0;
    virtual std::vector<weight_use> global_weights() const = 0;

    virtual model_graph build_graph(const graph_devices& devices, const std::vector<kv_layer_storage>& kv,
                                    const batch_inputs& in) const = 0;

    // What `plinth inspect` says about this architecture's graph: (feature, value) pairs.
    virtual std::vector<std::pair<std::string, std::string>> describe() const = 0;

protected:
    model_hparams hp_;
};

// The architecture named by the file's general.architecture, loaded and checked. Throws
// plinth::error naming the supported architectures for an unknown one, and naming the key or
// tensor that is missing or has the wrong shape.
std::unique_ptr<architecture> load_architecture(const model_file& file);

// The names load_architecture accepts, in registry order.
std::vector<std::string> supported_architectures();

}  // namespace plinth
