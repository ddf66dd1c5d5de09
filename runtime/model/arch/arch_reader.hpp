#pragma once
// What every architecture file uses to read its part of a model file: the `<arch>.*` hyper-
// parameters and the weights by name, each checked, with errors that name the key or tensor.
#include <plinth/architecture.hpp>

#include <optional>
#include <string>
#include <vector>

namespace plinth::arch {

class reader {
public:
    reader(const model_file& file, std::string architecture);

    const model_file& file() const { return f_; }
    const std::string& name() const { return arch_; }

    // `<arch>.key` as a positive 32-bit count: required, or a default when absent.
    uint32_t count(const std::string& key) const;
    uint32_t count(const std::string& key, uint32_t fallback) const;
    float real(const std::string& key, float fallback) const;
    bool has(const std::string& key) const;

    // A weight by its full name with its expected shape (trailing 1s ignored); optional: null
    // when absent, still checked when present.
    const tensor_view* tensor(const std::string& name, std::vector<uint64_t> shape) const;
    const tensor_view* optional_tensor(const std::string& name, std::vector<uint64_t> shape) const;
    // The same for a weight read as plain F32 values (norm weights, biases, rope factors).
    const tensor_view* f32_tensor(const std::string& name, std::vector<uint64_t> shape) const;
    const tensor_view* optional_f32_tensor(const std::string& name, std::vector<uint64_t> shape) const;

    // "blk.<layer>.<role>.weight" (role "attn_q", or "attn_q.bias" given with its suffix).
    static std::string layer_tensor(uint32_t layer, const std::string& role);

    [[noreturn]] void fail(const std::string& message) const;

private:
    const model_file& f_;
    std::string arch_;
};

// The transformer hyper-parameters every architecture here shares.
struct transformer_hparams {
    uint32_t n_ff = 0;
    uint32_t n_rot = 0;            // rotated dimensions per head
    float rms_eps = 1e-5f;
    float rope_base = 10000.0f;
    float rope_scale = 1.0f;       // positions are multiplied by it (1 / rope.scale_linear)
    uint32_t n_expert = 0;         // 0: a dense feed-forward block
    uint32_t n_expert_used = 0;
    uint32_t n_ff_expert = 0;
};

// Fills hp (shape, vocabulary, heads) and returns the rest; throws naming the key at fault.
transformer_hparams read_transformer_hparams(const reader& r, model_hparams& hp);

// A [rows, cols] weight slice of a 2-D tensor (rows of `t` from `first_row`, `count` of them), as a
// view in place: fused tensors (Phi-3's qkv) are split without copying. Named as its tensor, so
// placement rules for the tensor apply to every slice.
tensor_view row_slice(const tensor_view& t, uint64_t first_row, uint64_t count);

}  // namespace plinth::arch
