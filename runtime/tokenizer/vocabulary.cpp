// Reading the `tokenizer.ggml.*` metadata of a model file into a plain vocabulary.
#include <plinth/error.hpp>
#include <plinth/model_file.hpp>
#include <plinth/tokenizer.hpp>

#include <string>

namespace plinth {

namespace {

// A special token id, or -1 when the key is absent or names no token (e.g. 0xFFFFFFFF).
int32_t token_id(const model_file& file, std::string_view key, size_t n_tokens) {
    const auto v = file.get_int(key);
    if (!v || *v < 0 || static_cast<uint64_t>(*v) >= n_tokens) return -1;
    return static_cast<int32_t>(*v);
}

[[noreturn]] void length_mismatch(const model_file& file, std::string_view key, size_t got, size_t want) {
    throw error(file.path().string() + ": " + std::string(key) + " has " + std::to_string(got) +
                " entries, but tokenizer.ggml.tokens has " + std::to_string(want));
}

}  // namespace

vocabulary vocabulary::from_model(const model_file& file) {
    vocabulary v;
    auto tokens = file.get_string_array("tokenizer.ggml.tokens");
    if (!tokens || tokens->empty())
        throw error(file.path().string() + ": the model has no vocabulary (no tokenizer.ggml.tokens)");
    v.tokens = std::move(*tokens);
    const size_t n = v.tokens.size();

    v.model = file.get_string("tokenizer.ggml.model").value_or("");
    v.pre = file.get_string("tokenizer.ggml.pre").value_or("");

    if (auto scores = file.get_f32_array("tokenizer.ggml.scores")) {
        if (scores->size() != n) length_mismatch(file, "tokenizer.ggml.scores", scores->size(), n);
        v.scores = std::move(*scores);
    }
    if (auto types = file.get_i32_array("tokenizer.ggml.token_type")) {
        if (types->size() != n) length_mismatch(file, "tokenizer.ggml.token_type", types->size(), n);
        v.types.reserve(n);
        for (const int32_t t : *types)
            v.types.push_back(t >= 0 && t <= 6 ? static_cast<token_type>(t) : token_type::undefined);
    }
    if (auto merges = file.get_string_array("tokenizer.ggml.merges")) v.merges = std::move(*merges);

    v.bos_id = token_id(file, "tokenizer.ggml.bos_token_id", n);
    v.eos_id = token_id(file, "tokenizer.ggml.eos_token_id", n);
    v.unknown_id = token_id(file, "tokenizer.ggml.unknown_token_id", n);
    v.padding_id = token_id(file, "tokenizer.ggml.padding_token_id", n);
    if (v.model == "bert") {
        // BERT's [CLS] and [SEP] play the parts of BOS and EOS ("seperator" is the key's spelling).
        if (v.bos_id < 0) v.bos_id = token_id(file, "tokenizer.ggml.cls_token_id", n);
        if (v.eos_id < 0) v.eos_id = token_id(file, "tokenizer.ggml.seperator_token_id", n);
    }
    v.eot_id = token_id(file, "tokenizer.ggml.eot_token_id", n);
    v.eom_id = token_id(file, "tokenizer.ggml.eom_token_id", n);
    v.add_bos = file.get_bool("tokenizer.ggml.add_bos_token");
    v.add_eos = file.get_bool("tokenizer.ggml.add_eos_token");
    v.add_space_prefix = file.get_bool("tokenizer.ggml.add_space_prefix");
    return v;
}

}  // namespace plinth
