// WordPiece ("bert" vocabularies).
//
// BERT's basic pre-tokenization: whitespace separates words; every punctuation character (and
// every ASCII symbol) and every CJK ideograph is a word of its own; NUL, U+FFFD and control
// characters are dropped; an uncased vocabulary (no token with an ASCII capital) gets the text
// lower-cased. Then each word is cut greedily, longest match first, into tokens: the first one
// a word-start token, the others continuation tokens. A word with a part no token matches
// becomes the unknown token as a whole.
//
// Two spellings of word starts and continuations exist: Hugging Face's ("hello", "##lo") and the
// one GGUF converters write ("▁hello", "lo"); the vocabulary's own tokens say which it uses.
#include "tokenizer_impl.hpp"
#include "unicode.hpp"

#include <algorithm>

namespace plinth {

namespace {

constexpr std::string_view word_start_mark = "\xE2\x96\x81";  // U+2581 '▁'
constexpr std::string_view continuation_mark = "##";
constexpr size_t max_word_chars = 100;  // longer words are the unknown token, as in BERT

bool is_cjk_ideograph(uint32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
           (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// Punctuation as BERT sees it: \p{P}, plus every ASCII character that is not a letter, digit,
// space or control ($, +, <, =, >, ^, `, |, ~ are symbols in Unicode).
bool is_bert_punctuation(uint32_t cp) {
    if (cp < 0x80) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
    return unicode::category_of(cp) == unicode::category::punctuation;
}

// Lower case for the scripts whose capitals sit at a fixed offset from their small letters
// (ASCII, Latin-1, Greek, Cyrillic); other code points are left as they are.
uint32_t simple_lower(uint32_t cp) {
    if (cp >= 'A' && cp <= 'Z') return cp + 0x20;
    if (cp < 0xC0) return cp;
    if (cp <= 0xDE && cp != 0xD7) return cp + 0x20;
    if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 0x20;
    if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;
    if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
    return cp;
}

}  // namespace

void tokenizer::impl::encode_wordpiece(std::string_view text, std::vector<int32_t>& out) const {
    // Words, each as its UTF-8 text and its number of code points.
    std::vector<std::pair<std::string, size_t>> words(1);
    const auto end_word = [&] {
        if (!words.back().first.empty()) words.emplace_back();
    };
    for (const auto& c : unicode::decode(text)) {
        const uint32_t cp = c.value;
        if (unicode::is_whitespace(cp)) {
            end_word();
            continue;
        }
        if (cp == 0 || cp == 0xFFFD || cp >= unicode::invalid_base || unicode::category_of(cp) == unicode::category::other)
            continue;
        const uint32_t folded = wordpiece_lowercase ? simple_lower(cp) : cp;
        if (is_bert_punctuation(cp) || is_cjk_ideograph(cp)) {
            end_word();
            unicode::append_utf8(words.back().first, folded);
            words.back().second = 1;
            words.emplace_back();
        } else {
            unicode::append_utf8(words.back().first, folded);
            ++words.back().second;
        }
    }

    const int32_t unknown = vocab.unknown_id >= 0 ? vocab.unknown_id : find("[UNK]");
    std::string key;
    for (const auto& [word, chars] : words) {
        if (word.empty()) continue;
        const size_t first = out.size();
        bool matched = chars <= max_word_chars;
        for (size_t start = 0; matched && start < word.size();) {
            // The longest token that spells word[start, end), trying ends at character boundaries
            // from the longest down.
            matched = false;
            for (size_t end = std::min(word.size(), start + max_token_bytes); end > start; --end) {
                if (end < word.size() && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) continue;
                key.clear();
                if (start == 0 && !wordpiece_hash_prefix) key = word_start_mark;
                if (start > 0 && wordpiece_hash_prefix) key = continuation_mark;
                key.append(word, start, end - start);
                const int32_t id = find(key);
                if (id >= 0 && type_of(id) != token_type::control) {
                    out.push_back(id);
                    start = end;
                    matched = true;
                    break;
                }
            }
        }
        if (!matched) {
            out.resize(first);
            if (unknown >= 0) out.push_back(unknown);
        }
    }
}

}  // namespace plinth
