// Unigram ("t5" vocabularies): the segmentation with the highest total score.
//
// The text is normalised as SentencePiece does for T5 (runs of whitespace become one space,
// leading and trailing whitespace go, a space is put in front when add_space_prefix) and spaces
// are written as U+2581. Then Viterbi over the characters: best[i] is the highest score sum of a
// segmentation of the first i bytes, found from every token that ends at i. Normal tokens count
// their score, user-defined ones 0 (so they win wherever they fit). A character no token starts
// with may be the unknown token, at a score below every token's; consecutive unknown characters
// become one unknown token.
#include "tokenizer_impl.hpp"
#include "unicode.hpp"

#include <algorithm>
#include <limits>

namespace plinth {

namespace {

constexpr std::string_view space_mark = "\xE2\x96\x81";  // U+2581 '▁'

struct best_path {
    double score = -std::numeric_limits<double>::infinity();
    size_t start = 0;   // where the last token of the path starts
    int32_t id = -1;    // that token; -1 for the unknown token
};

}  // namespace

void tokenizer::impl::encode_unigram(std::string_view text, std::vector<int32_t>& out) const {
    std::string norm;
    norm.reserve(text.size() + text.size() / 2 + 3);
    bool pending_space = add_space_prefix;
    for (const char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            pending_space = pending_space || !norm.empty();
            continue;
        }
        if (pending_space) norm += space_mark;
        pending_space = false;
        norm += c;
    }
    if (norm.empty()) return;

    const size_t n = norm.size();
    std::vector<best_path> best(n + 1);
    best[0].score = 0;
    for (size_t start = 0; start < n;) {
        const size_t char_len = unicode::sequence_length(norm, start);
        if (best[start].score == -std::numeric_limits<double>::infinity()) {
            start += char_len;
            continue;
        }
        bool single_char_token = false;
        const size_t limit = std::min(n, start + max_token_bytes);
        for (size_t end = start + char_len; end <= limit;) {
            const int32_t id = find(std::string_view(norm).substr(start, end - start));
            if (id >= 0) {
                const token_type t = type_of(id);
                if (t == token_type::normal || t == token_type::user_defined || t == token_type::undefined) {
                    const double s = best[start].score + (t == token_type::user_defined ? 0.0 : score_of(id));
                    if (s > best[end].score) best[end] = {s, start, id};
                    if (end == start + char_len) single_char_token = true;
                }
            }
            if (end == n) break;
            end += unicode::sequence_length(norm, end);
        }
        if (!single_char_token) {
            const double s = best[start].score + unigram_unknown_score;
            auto& b = best[start + char_len];
            if (s > b.score) b = {s, start, -1};
        }
        start += char_len;
    }

    std::vector<int32_t> reversed;
    for (size_t end = n; end > 0;) {
        const best_path& b = best[end];
        const int32_t id = b.id >= 0 ? b.id : vocab.unknown_id;
        const bool merge_unknown = b.id < 0 && !reversed.empty() && reversed.back() == -2;
        if (!merge_unknown) reversed.push_back(b.id >= 0 ? id : -2);  // -2 marks an unknown run
        end = b.start;
    }
    for (auto it = reversed.rbegin(); it != reversed.rend(); ++it) {
        if (*it >= 0) out.push_back(*it);
        else if (vocab.unknown_id >= 0) out.push_back(vocab.unknown_id);
    }
}

}  // namespace plinth
