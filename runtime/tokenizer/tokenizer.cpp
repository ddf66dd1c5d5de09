// The tokenizer front: model type and defaults, special-token recognition, the accessors.
#include "tokenizer_impl.hpp"

#include <plinth/error.hpp>
#include <plinth/model_file.hpp>

#include <algorithm>
#include <cstdint>
#include <initializer_list>

namespace plinth {

namespace {

// "<0x0A>" -> 10, else -1.
int parse_byte_token(std::string_view text) {
    if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
    int value = 0;
    for (size_t i = 3; i < 5; ++i) {
        const char c = text[i];
        int d = -1;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        if (d < 0) return -1;
        value = value * 16 + d;
    }
    return value;
}

}  // namespace

tokenizer::impl::impl(vocabulary v) : vocab(std::move(v)) {
    const size_t n = vocab.tokens.size();
    if (n == 0) throw error("tokenizer: the vocabulary has no tokens");
    if (n > static_cast<size_t>(INT32_MAX)) throw error("tokenizer: the vocabulary is too large");
    if (!vocab.scores.empty() && vocab.scores.size() != n)
        throw error("tokenizer: " + std::to_string(vocab.scores.size()) + " scores for " + std::to_string(n) + " tokens");
    if (!vocab.types.empty() && vocab.types.size() != n)
        throw error("tokenizer: " + std::to_string(vocab.types.size()) + " token types for " + std::to_string(n) + " tokens");
    const auto check_id = [&](int32_t& id) {
        if (id >= 0 && static_cast<size_t>(id) >= n) id = -1;
        if (id < -1) id = -1;
    };
    for (int32_t* id : {&vocab.bos_id, &vocab.eos_id, &vocab.unknown_id, &vocab.padding_id, &vocab.eot_id, &vocab.eom_id})
        check_id(*id);

    if (vocab.model == "llama") {
        type = kind::spm;
    } else if (vocab.model == "gpt2") {
        type = kind::bpe;
    } else if (vocab.model == "gemma4") {
        // BPE over characters rather than bytes; its own fixed split whatever tokenizer.ggml.pre says.
        type = kind::bpe;
        byte_encode = false;
    } else if (vocab.model == "bert") {
        type = kind::wordpiece;
    } else if (vocab.model == "t5") {
        type = kind::unigram;
    } else if (vocab.model.empty()) {
        throw error("tokenizer: the model does not name its tokenizer (no tokenizer.ggml.model)");
    } else {
        throw error("tokenizer: unsupported tokenizer model '" + vocab.model +
                    "' (supported: 'llama' (SentencePiece-style), 'gpt2' (byte-level BPE), "
                    "'gemma4' (character-level BPE), 'bert' (WordPiece), 't5' (Unigram))");
    }

    token_ids.reserve(n);
    for (size_t id = 0; id < n; ++id) {
        token_ids.emplace(vocab.tokens[id], static_cast<int32_t>(id));
        max_token_bytes = std::max(max_token_bytes, vocab.tokens[id].size());
    }

    byte_tokens.fill(-1);
    size_t byte_count = 0;
    for (size_t id = 0; id < n; ++id) {
        const auto t = type_of(static_cast<int32_t>(id));
        if (t != token_type::byte && !vocab.types.empty()) continue;
        const int b = parse_byte_token(vocab.tokens[id]);
        if (b >= 0 && byte_tokens[static_cast<size_t>(b)] < 0) {
            byte_tokens[static_cast<size_t>(b)] = static_cast<int32_t>(id);
            ++byte_count;
        }
    }
    all_byte_tokens = byte_count == 256;

    if (type == kind::wordpiece) {
        // Which spelling marks word pieces, and whether the vocabulary is uncased, by its tokens.
        size_t hash_continuations = 0;
        size_t marked_starts = 0;
        bool capitals = false;
        for (size_t id = 0; id < n; ++id) {
            const auto& t = vocab.tokens[id];
            if (t.compare(0, 2, "##") == 0 && t.size() > 2) ++hash_continuations;
            if (t.compare(0, 3, "\xE2\x96\x81") == 0) ++marked_starts;
            if (type_of(static_cast<int32_t>(id)) == token_type::normal)
                capitals = capitals || std::any_of(t.begin(), t.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
        }
        wordpiece_hash_prefix = hash_continuations > marked_starts;
        wordpiece_lowercase = !capitals;
        // BERT wraps a text in [CLS] ... [SEP] (bos / eos here).
        add_bos = vocab.add_bos.value_or(true);
        add_eos = vocab.add_eos.value_or(true);
        add_space_prefix = true;  // each word starts with a space when decoded; the first one's is dropped
    } else if (type == kind::unigram) {
        float lowest = 0.0f;
        for (size_t id = 0; id < n; ++id)
            if (type_of(static_cast<int32_t>(id)) == token_type::normal) lowest = std::min(lowest, score_of(static_cast<int32_t>(id)));
        unigram_unknown_score = static_cast<double>(lowest) - 10.0;  // below every token
        // T5 ends a text with </s> and starts it with nothing.
        add_bos = vocab.add_bos.value_or(false);
        add_eos = vocab.add_eos.value_or(true);
        add_space_prefix = vocab.add_space_prefix.value_or(true);
    } else if (type == kind::spm) {
        pre_name.clear();
        add_bos = vocab.add_bos.value_or(true);
        add_eos = vocab.add_eos.value_or(false);
        add_space_prefix = vocab.add_space_prefix.value_or(true);
    } else {
        if (vocab.merges.empty())
            throw error("tokenizer: a '" + vocab.model + "' vocabulary needs tokenizer.ggml.merges");
        merge_ranks.reserve(vocab.merges.size());
        for (size_t rank = 0; rank < vocab.merges.size(); ++rank)
            merge_ranks.emplace(vocab.merges[rank], static_cast<int32_t>(rank));
        pre = &find_pre_tokenizer(byte_encode ? std::string_view(vocab.pre) : std::string_view("gemma4"));
        pre_name = pre->name;
        ignore_merges = pre->ignore_merges;
        add_bos = vocab.add_bos.value_or(pre->add_bos);
        add_eos = vocab.add_eos.value_or(false);
        add_space_prefix = false;
    }

    // End-of-turn / end-of-message tokens that the metadata does not name, by their usual text.
    const auto infer = [&](int32_t& id, std::initializer_list<std::string_view> names) {
        if (id >= 0) return;
        for (const auto name : names) {
            const int32_t found = find(name);
            if (found >= 0 && type_of(found) == token_type::control) {
                id = found;
                return;
            }
        }
    };
    infer(vocab.eot_id, {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|end_of_turn|>", "<EOT>"});
    infer(vocab.eom_id, {"<|eom_id|>"});

    for (size_t id = 0; id < n; ++id) {
        const auto t = type_of(static_cast<int32_t>(id));
        const auto& text = vocab.tokens[id];
        if (text.empty()) continue;
        if (t == token_type::control || t == token_type::unknown || t == token_type::user_defined)
            special_by_first_byte[static_cast<unsigned char>(text[0])].push_back(static_cast<int32_t>(id));
        if (t == token_type::user_defined) has_user_defined = true;
    }
    for (auto& list : special_by_first_byte)
        std::stable_sort(list.begin(), list.end(), [&](int32_t a, int32_t b) {
            return vocab.tokens[static_cast<size_t>(a)].size() > vocab.tokens[static_cast<size_t>(b)].size();
        });
}

tokenizer::tokenizer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
tokenizer::~tokenizer() = default;

std::unique_ptr<tokenizer> tokenizer::from_vocabulary(vocabulary vocab) {
    return std::unique_ptr<tokenizer>(new tokenizer(std::make_unique<impl>(std::move(vocab))));
}

std::unique_ptr<tokenizer> tokenizer::from_model(const model_file& file) {
    try {
        return from_vocabulary(vocabulary::from_model(file));
    } catch (const error& e) {
        const std::string what = e.what();
        const std::string path = file.path().string();
        if (what.compare(0, path.size(), path) == 0) throw;
        throw error(path + ": " + what);
    }
}

std::vector<int32_t> tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
    const impl& m = *impl_;
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 2);
    if (add_special && m.add_bos && m.vocab.bos_id >= 0) out.push_back(m.vocab.bos_id);

    // Text between recognised special tokens is tokenized on its own. An SPM vocabulary puts its
    // space prefix in front of the first such text and of any text right after a special token.
    bool after_special = true;
    std::string prefixed;
    const auto encode_text = [&](std::string_view part) {
        if (part.empty()) return;
        if (m.type == impl::kind::wordpiece) {
            m.encode_wordpiece(part, out);
        } else if (m.type == impl::kind::unigram) {
            m.encode_unigram(part, out);
        } else if (m.type == impl::kind::spm) {
            if (m.add_space_prefix && after_special) {
                prefixed.assign(1, ' ');
                prefixed.append(part);
                m.encode_spm(prefixed, out);
            } else {
                m.encode_spm(part, out);
            }
        } else {
            m.encode_bpe(part, out);
        }
        after_special = false;
    };

    size_t start = 0;
    const bool scan = parse_special || m.has_user_defined;
    for (size_t pos = 0; scan && pos < text.size();) {
        int32_t match = -1;
        for (const int32_t id : m.special_by_first_byte[static_cast<unsigned char>(text[pos])]) {
            if (!parse_special && m.type_of(id) != token_type::user_defined) continue;
            const auto& t = m.vocab.tokens[static_cast<size_t>(id)];
            if (text.compare(pos, t.size(), t) == 0) {
                match = id;
                break;
            }
        }
        if (match < 0) {
            ++pos;
            continue;
        }
        encode_text(text.substr(start, pos - start));
        out.push_back(match);
        after_special = true;
        pos += m.vocab.tokens[static_cast<size_t>(match)].size();
        start = pos;
    }
    encode_text(text.substr(start));

    if (add_special && m.add_eos && m.vocab.eos_id >= 0) out.push_back(m.vocab.eos_id);
    return out;
}

const std::string& tokenizer::token_text(int32_t id) const {
    if (!impl_->valid(id)) throw error("token id " + std::to_string(id) + " is outside the vocabulary (size " +
                                       std::to_string(vocab_size()) + ")");
    return impl_->vocab.tokens[static_cast<size_t>(id)];
}

token_type tokenizer::type_of(int32_t id) const {
    token_text(id);  // range check
    return impl_->type_of(id);
}

float tokenizer::score(int32_t id) const {
    token_text(id);
    return impl_->score_of(id);
}

int32_t tokenizer::find(std::string_view text) const { return impl_->find(text); }
int32_t tokenizer::bos() const { return impl_->vocab.bos_id; }
int32_t tokenizer::eos() const { return impl_->vocab.eos_id; }
int32_t tokenizer::eot() const { return impl_->vocab.eot_id; }
int32_t tokenizer::eom() const { return impl_->vocab.eom_id; }
int32_t tokenizer::unknown() const { return impl_->vocab.unknown_id; }
int32_t tokenizer::padding() const { return impl_->vocab.padding_id; }
bool tokenizer::add_bos() const { return impl_->add_bos && impl_->vocab.bos_id >= 0; }
bool tokenizer::add_eos() const { return impl_->add_eos && impl_->vocab.eos_id >= 0; }
bool tokenizer::add_space_prefix() const { return impl_->add_space_prefix; }

bool tokenizer::is_end_of_generation(int32_t id) const {
    const auto& v = impl_->vocab;
    return id >= 0 && (id == v.eos_id || id == v.eot_id || id == v.eom_id);
}

size_t tokenizer::vocab_size() const { return impl_->vocab.tokens.size(); }
const std::string& tokenizer::model_type() const { return impl_->vocab.model; }
const std::string& tokenizer::pre_tokenizer() const { return impl_->pre_name; }

}  // namespace plinth
