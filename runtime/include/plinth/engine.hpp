#pragma once
// The inference engine: a model on a device, its paged KV cache, and forward passes over batches
// of tokens from one or more sequences. Front ends (the CLI today, the server later) are clients.
#include <plinth/architecture.hpp>
#include <plinth/config.hpp>
#include <plinth/kv_block_table.hpp>
#include <plinth/model_file.hpp>
#include <plinth/placement.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace plinth {

class plugin_host;
struct loaded_plugin;

struct engine_options {
    // Where everything runs when `placement` has no rules; empty: the device that works in host
    // memory, found by what it can do (the CPU backend's cpu:0 in this repository), not by name.
    std::string device;
    placement_settings placement;         // layer rules, tensor rules, auto
    uint32_t context = 0;                 // positions one sequence may reach; 0: the model's, at most 4096
    // The KV cache, shared by all sequences: kv_tokens tokens when set (at least one context), else
    // kv_sequences whole contexts.
    uint32_t kv_tokens = 0;
    uint32_t kv_sequences = 1;
    // Options per backend plugin, set (set_option) on each backend the model uses: backend name ->
    // key -> value, e.g. cpu -> threads -> 4, cpu -> simd -> avx2, vulkan -> float64 -> off.
    std::map<std::string, std::map<std::string, std::string>> backend_options;
    uint32_t kv_type = 1;                 // PLINTH_TYPE_F16 (as the reference) or PLINTH_TYPE_F32
    uint32_t block_size = 16;             // tokens per KV block
    uint32_t max_batch = 512;             // tokens per forward pass; longer inputs are split
};

struct batch_item {
    int32_t seq;     // from add_sequence()
    int32_t token;
    bool logits;     // return this token's logits
};

class engine {
public:
    // Opens the model, checks it, and places it on the device. Throws plinth::error.
    engine(const plugin_host& host, const std::filesystem::path& model_path, const engine_options& options);
    ~engine();
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    const model_file& file() const { return *file_; }
    const placement_plan& placement() const { return plan_; }
    const model_hparams& hparams() const { return arch_->hparams(); }
    const architecture& model_architecture() const { return *arch_; }
    uint32_t context() const { return context_; }

    int32_t add_sequence() { return kv_.add_sequence(); }
    void remove_sequence(int32_t seq) { kv_.remove_sequence(seq); }
    uint32_t sequence_length(int32_t seq) const { return kv_.length(seq); }
    // Prefix caching: attaches cached KV blocks holding the start of `tokens` to an empty sequence;
    // returns how many tokens need no computing (kv_block_table::attach_prefix).
    uint32_t attach_prefix(int32_t seq, std::span<const int32_t> tokens) { return kv_.attach_prefix(seq, tokens); }
    const kv_block_table& kv_cache() const { return kv_; }

    // Appends each item's token to its sequence (at the next position) and evaluates the batch.
    // Returns n_vocab floats per item that asked for logits, in item order.
    std::vector<float> forward(std::span<const batch_item> items);
    // Convenience: appends tokens to one sequence; logits of the last token, or of every token.
    std::vector<float> evaluate(int32_t seq, std::span<const int32_t> tokens, bool all_logits = false);

    // Activations copied between devices in the last forward pass.
    uint32_t last_copies() const { return last_copies_; }

private:
    struct device_slot;
    std::vector<float> forward_chunk(std::span<const batch_item> items);
    void place_weights(const plugin_host& host);
    void reassign_unsupported(logical_graph& g) const;
    uint32_t cpu_slot() const;

    std::unique_ptr<model_file> file_;
    std::unique_ptr<architecture> arch_;
    uint32_t context_ = 0;
    engine_options options_;
    placement_plan plan_;
    kv_block_table kv_;
    std::vector<std::unique_ptr<device_slot>> devices_;  // plan_.devices, then a CPU fallback if needed
    std::vector<kv_layer_storage> kv_storage_;
    uint32_t last_copies_ = 0;
};

}  // namespace plinth
