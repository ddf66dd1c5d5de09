#include "arch_reader.hpp"

#include <plinth/error.hpp>
#include <plinth/weight_types.h>

#include <cstdint>
#include <string_view>

namespace plinth::arch {
namespace {

std::string shape_text(const std::vector<uint64_t>& s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

}  // namespace

reader::reader(const model_file& file, std::string architecture) : f_(file), arch_(std::move(architecture)) {}

void reader::fail(const std::string& message) const { throw error(f_.path().string() + ": " + message); }

bool reader::has(const std::string& key) const { return f_.has(arch_ + "." + key); }

uint32_t reader::count(const std::string& key) const {
    if (!has(key)) fail("missing metadata '" + arch_ + "." + key + "'");
    return count(key, 0);
}

uint32_t reader::count(const std::string& key, uint32_t fallback) const {
    const auto v = f_.get_uint(arch_ + "." + key);
    if (!v) return fallback;
    if (*v == 0 || *v > UINT32_MAX) fail("metadata '" + arch_ + "." + key + "' is out of range: " + std::to_string(*v));
    return static_cast<uint32_t>(*v);
}

float reader::real(const std::string& key, float fallback) const {
    const auto v = f_.get_float(arch_ + "." + key);
    return v ? static_cast<float>(*v) : fallback;
}

const tensor_view* reader::optional_tensor(const std::string& name, std::vector<uint64_t> shape) const {
    const tensor_view* t = f_.find_tensor(name);
    if (t == nullptr) return nullptr;
    auto actual = t->shape;
    while (actual.size() > shape.size() && actual.back() == 1) actual.pop_back();
    if (actual != shape)
        fail("tensor '" + name + "' has shape " + shape_text(t->shape) + ", expected " + shape_text(shape));
    return t;
}

const tensor_view* reader::tensor(const std::string& name, std::vector<uint64_t> shape) const {
    const tensor_view* t = optional_tensor(name, shape);
    if (t == nullptr) fail("missing tensor '" + name + "' (a " + arch_ + " model has it)");
    return t;
}

const tensor_view* reader::optional_f32_tensor(const std::string& name, std::vector<uint64_t> shape) const {
    const tensor_view* t = optional_tensor(name, std::move(shape));
    if (t && t->type != PLINTH_TYPE_F32) fail("tensor '" + name + "' must be F32");
    return t;
}

const tensor_view* reader::f32_tensor(const std::string& name, std::vector<uint64_t> shape) const {
    const tensor_view* t = tensor(name, std::move(shape));
    if (t->type != PLINTH_TYPE_F32) fail("tensor '" + name + "' must be F32");
    return t;
}

std::string reader::layer_tensor(uint32_t layer, const std::string& role) {
    const auto ends_with = [&](std::string_view tail) {
        return role.size() >= tail.size() && role.compare(role.size() - tail.size(), tail.size(), tail) == 0;
    };
    const bool suffixed = ends_with(".bias") || ends_with(".weight");
    return "blk." + std::to_string(layer) + "." + role + (suffixed ? "" : ".weight");
}

transformer_hparams read_transformer_hparams(const reader& r, model_hparams& hp) {
    const model_file& f = r.file();
    transformer_hparams t;
    hp.architecture = r.name();
    hp.n_embd = r.count("embedding_length");
    hp.n_layer = r.count("block_count");
    hp.n_head = r.count("attention.head_count");
    hp.n_head_kv = r.count("attention.head_count_kv", hp.n_head);
    hp.n_ctx_train = r.count("context_length");
    if (hp.n_head % hp.n_head_kv != 0)
        r.fail("head_count " + std::to_string(hp.n_head) + " is not a multiple of head_count_kv " + std::to_string(hp.n_head_kv));
    if (!r.has("attention.key_length") && hp.n_embd % hp.n_head != 0) r.fail("embedding_length is not a multiple of head_count");
    hp.head_dim = r.count("attention.key_length", hp.n_embd / hp.n_head);
    if (r.count("attention.value_length", hp.head_dim) != hp.head_dim)
        r.fail("attention.value_length differs from attention.key_length, which plinth's KV cache does not take");
    t.n_ff = r.count("feed_forward_length", 0);
    t.n_rot = r.count("rope.dimension_count", hp.head_dim);
    if (t.n_rot > hp.head_dim || t.n_rot % 2 != 0)
        r.fail("rope.dimension_count " + std::to_string(t.n_rot) + " does not fit head size " + std::to_string(hp.head_dim));
    t.rms_eps = r.real("attention.layer_norm_rms_epsilon", 1e-5f);
    t.rope_base = r.real("rope.freq_base", 10000.0f);
    if (r.has("rope.scale_linear")) t.rope_scale = 1.0f / r.real("rope.scale_linear", 1.0f);
    t.n_expert = r.count("expert_count", 0);
    if (t.n_expert) {
        t.n_expert_used = r.count("expert_used_count");
        if (t.n_expert_used > t.n_expert)
            r.fail("expert_used_count " + std::to_string(t.n_expert_used) + " is above expert_count " + std::to_string(t.n_expert));
        t.n_ff_expert = r.count("expert_feed_forward_length", t.n_ff);
    } else if (t.n_ff == 0) {
        r.fail("missing metadata '" + r.name() + ".feed_forward_length'");
    }
    if (!(t.rope_base > 0.0f) || !(t.rope_scale > 0.0f)) r.fail("rope.freq_base and rope.scale_linear must be positive");

    if (auto vocab = f.get_uint(r.name() + ".vocab_size")) hp.n_vocab = static_cast<uint32_t>(*vocab);
    else if (auto tokens = f.array_size("tokenizer.ggml.tokens")) hp.n_vocab = static_cast<uint32_t>(*tokens);
    if (const auto* embd = f.find_tensor("token_embd.weight"); hp.n_vocab == 0 && embd && embd->shape.size() >= 2)
        hp.n_vocab = static_cast<uint32_t>(embd->shape[1]);
    if (hp.n_vocab == 0) r.fail("cannot tell the vocabulary size");
    return t;
}

tensor_view row_slice(const tensor_view& t, uint64_t first_row, uint64_t count) {
    tensor_view s = t;
    const uint64_t row_bytes = t.size / (t.shape.size() > 1 ? t.shape[1] : 1);
    s.shape = {t.shape[0], count};
    s.data = static_cast<const char*>(t.data) + first_row * row_bytes;
    s.file_offset = t.file_offset + first_row * row_bytes;
    s.size = count * row_bytes;
    return s;
}

}  // namespace plinth::arch
