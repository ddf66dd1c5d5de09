#include <plinth/llama_model.hpp>

#include <plinth/error.hpp>
#include <plinth/weight_types.h>

#include <algorithm>

namespace plinth {
namespace {

uint32_t require_u32(const model_file& f, const std::string& key) {
    const auto v = f.get_uint(key);
    if (!v) throw error(f.path().string() + ": missing metadata '" + key + "'");
    if (*v == 0 || *v > UINT32_MAX) throw error(f.path().string() + ": metadata '" + key + "' is out of range: " + std::to_string(*v));
    return static_cast<uint32_t>(*v);
}

std::string shape_text(const std::vector<uint64_t>& s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

const tensor_view* require_tensor(const model_file& f, const std::string& name, std::vector<uint64_t> shape) {
    const tensor_view* t = f.find_tensor(name);
    if (t == nullptr) throw error(f.path().string() + ": missing tensor '" + name + "'");
    auto actual = t->shape;
    while (actual.size() > shape.size() && actual.back() == 1) actual.pop_back();
    if (actual != shape)
        throw error(f.path().string() + ": tensor '" + name + "' has shape " + shape_text(t->shape) + ", expected " +
                    shape_text(shape));
    return t;
}

}  // namespace

bool is_llama_family(const std::string& architecture) {
    static const char* const names[] = {"llama", "mistral"};
    return std::find(std::begin(names), std::end(names), architecture) != std::end(names);
}

llama_hparams load_llama_hparams(const model_file& f) {
    llama_hparams hp;
    hp.architecture = f.get_string("general.architecture").value_or("");
    if (hp.architecture.empty()) throw error(f.path().string() + ": missing metadata 'general.architecture'");
    if (!is_llama_family(hp.architecture))
        throw error(f.path().string() + ": unsupported architecture '" + hp.architecture + "' (supported: llama, mistral)");
    const std::string a = hp.architecture + ".";
    hp.n_embd = require_u32(f, a + "embedding_length");
    hp.n_layer = require_u32(f, a + "block_count");
    hp.n_ff = require_u32(f, a + "feed_forward_length");
    hp.n_head = require_u32(f, a + "attention.head_count");
    hp.n_head_kv = f.has(a + "attention.head_count_kv") ? require_u32(f, a + "attention.head_count_kv") : hp.n_head;
    hp.n_ctx_train = require_u32(f, a + "context_length");
    if (hp.n_head % hp.n_head_kv != 0)
        throw error(f.path().string() + ": head_count " + std::to_string(hp.n_head) + " is not a multiple of head_count_kv " +
                    std::to_string(hp.n_head_kv));
    hp.head_dim = f.has(a + "attention.key_length") ? require_u32(f, a + "attention.key_length") : hp.n_embd / hp.n_head;
    if (!f.has(a + "attention.key_length") && hp.n_embd % hp.n_head != 0)
        throw error(f.path().string() + ": embedding_length is not a multiple of head_count");
    hp.n_rot = f.has(a + "rope.dimension_count") ? require_u32(f, a + "rope.dimension_count") : hp.head_dim;
    if (hp.n_rot > hp.head_dim || hp.n_rot % 2 != 0)
        throw error(f.path().string() + ": rope.dimension_count " + std::to_string(hp.n_rot) + " does not fit head size " +
                    std::to_string(hp.head_dim));
    hp.rms_eps = static_cast<float>(f.get_float(a + "attention.layer_norm_rms_epsilon").value_or(1e-5));
    hp.rope_freq_base = static_cast<float>(f.get_float(a + "rope.freq_base").value_or(10000.0));
    if (auto factor = f.get_float(a + "rope.scale_linear")) hp.rope_freq_scale = static_cast<float>(1.0 / *factor);
    if (auto vocab = f.get_uint(a + "vocab_size")) hp.n_vocab = static_cast<uint32_t>(*vocab);
    else if (auto tokens = f.array_size("tokenizer.ggml.tokens")) hp.n_vocab = static_cast<uint32_t>(*tokens);
    if (const auto* embd = f.find_tensor("token_embd.weight"); hp.n_vocab == 0 && embd && embd->shape.size() >= 2)
        hp.n_vocab = static_cast<uint32_t>(embd->shape[1]);
    if (hp.n_vocab == 0) throw error(f.path().string() + ": cannot tell the vocabulary size");
    return hp;
}

llama_weights load_llama_weights(const model_file& f, const llama_hparams& hp) {
    const uint64_t E = hp.n_embd, V = hp.n_vocab, F = hp.n_ff;
    const uint64_t Q = uint64_t(hp.n_head) * hp.head_dim, KV = uint64_t(hp.n_head_kv) * hp.head_dim;
    llama_weights w;
    w.token_embd = require_tensor(f, "token_embd.weight", {E, V});
    w.output_norm = require_tensor(f, "output_norm.weight", {E});
    w.output = f.find_tensor("output.weight") ? require_tensor(f, "output.weight", {E, V}) : w.token_embd;
    for (uint32_t l = 0; l < hp.n_layer; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        llama_layer_weights lw{};
        lw.attn_norm = require_tensor(f, p + "attn_norm.weight", {E});
        lw.wq = require_tensor(f, p + "attn_q.weight", {E, Q});
        lw.wk = require_tensor(f, p + "attn_k.weight", {E, KV});
        lw.wv = require_tensor(f, p + "attn_v.weight", {E, KV});
        lw.wo = require_tensor(f, p + "attn_output.weight", {Q, E});
        lw.ffn_norm = require_tensor(f, p + "ffn_norm.weight", {E});
        lw.ffn_gate = require_tensor(f, p + "ffn_gate.weight", {E, F});
        lw.ffn_up = require_tensor(f, p + "ffn_up.weight", {E, F});
        lw.ffn_down = require_tensor(f, p + "ffn_down.weight", {F, E});
        w.layers.push_back(lw);
    }
    // Norm weights are read as F32 rows by the ops.
    for (const auto* t : {w.output_norm}) {
        if (t->type != PLINTH_TYPE_F32) throw error(f.path().string() + ": tensor '" + t->name + "' must be F32");
    }
    for (const auto& lw : w.layers)
        for (const auto* t : {lw.attn_norm, lw.ffn_norm})
            if (t->type != PLINTH_TYPE_F32) throw error(f.path().string() + ": tensor '" + t->name + "' must be F32");
    return w;
}

}  // namespace plinth
