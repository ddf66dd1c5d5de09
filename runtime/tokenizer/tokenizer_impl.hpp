#pragma once
// The tokenizer's internals, shared by the files of runtime/tokenizer (not installed).
#include <plinth/tokenizer.hpp>

#include "pretokenizer.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace plinth {

// Hash for string-keyed maps that are looked up with string_views (no temporary strings).
struct string_hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using string_map = std::unordered_map<std::string, int32_t, string_hash, std::equal_to<>>;

struct tokenizer::impl {
    enum class kind { spm, bpe, wordpiece, unigram };

    vocabulary vocab;
    kind type = kind::spm;
    const plinth::pre_tokenizer* pre = nullptr;  // BPE: how the text is split before merging
    std::string pre_name;
    // BPE: symbols are bytes written as printable stand-ins (GPT-2 style) when true; whole UTF-8
    // characters with spaces as U+2581 and <0xXX> byte fallback (Gemma 4) when false.
    bool byte_encode = true;
    bool add_bos = false;
    bool add_eos = false;
    bool add_space_prefix = false;
    bool ignore_merges = false;  // BPE: a pre-token that is itself a token is taken whole
    size_t max_token_bytes = 0;  // the longest token text (WordPiece, Unigram: longest match bound)
    bool wordpiece_hash_prefix = false;  // WordPiece: "##" continuations (else "▁" word starts)
    bool wordpiece_lowercase = false;    // WordPiece: the vocabulary is uncased
    double unigram_unknown_score = 0;    // Unigram: the score of the unknown token

    string_map token_ids;    // text -> id (the lowest id for duplicate texts)
    string_map merge_ranks;  // BPE: "left right" -> rank
    std::array<int32_t, 256> byte_tokens{};  // <0xXX> -> id, -1 when missing
    bool all_byte_tokens = false;
    // Tokens recognised in the input text by their text (user-defined always; control and
    // unknown only with parse_special), by first byte, longest first.
    std::array<std::vector<int32_t>, 256> special_by_first_byte{};
    bool has_user_defined = false;

    explicit impl(vocabulary v);

    token_type type_of(int32_t id) const {
        return vocab.types.empty() ? token_type::normal : vocab.types[static_cast<size_t>(id)];
    }
    float score_of(int32_t id) const { return vocab.scores.empty() ? 0.0f : vocab.scores[static_cast<size_t>(id)]; }
    bool valid(int32_t id) const { return id >= 0 && static_cast<size_t>(id) < vocab.tokens.size(); }
    int32_t find(std::string_view text) const {
        const auto it = token_ids.find(text);
        return it == token_ids.end() ? -1 : it->second;
    }

    // Tokenizes plain text (no special-token handling) and appends the ids.
    void encode_spm(std::string_view text, std::vector<int32_t>& out) const;  // spm_tokenizer.cpp
    void encode_bpe(std::string_view text, std::vector<int32_t>& out) const;  // bpe_tokenizer.cpp
    void encode_bpe_word(std::string_view word, std::vector<int32_t>& out, std::string& scratch) const;
    void encode_wordpiece(std::string_view text, std::vector<int32_t>& out) const;  // wordpiece_tokenizer.cpp
    void encode_unigram(std::string_view text, std::vector<int32_t>& out) const;    // unigram_tokenizer.cpp

    std::string piece(int32_t id) const;  // detokenizer.cpp
};

}  // namespace plinth
