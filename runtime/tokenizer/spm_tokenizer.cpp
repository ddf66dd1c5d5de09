// SentencePiece-style tokenization ("llama" vocabularies).
//
// Spaces become U+2581 '▁'; the text starts as one symbol per UTF-8 character; repeatedly the
// adjacent pair whose concatenation is the vocabulary token with the highest score is merged
// (the leftmost pair on a tie). Symbols are a doubly linked list over the text and the candidate
// pairs sit in a priority queue, so the work is O(n log n). A final symbol that is no token (an
// unknown character) falls back to its bytes' <0xXX> tokens, or to the unknown token.
#include "tokenizer_impl.hpp"
#include "unicode.hpp"

#include <queue>

namespace plinth {

namespace {

struct symbol {
    uint32_t start;
    uint32_t len;  // 0 once merged into its left neighbour
    int32_t prev;
    int32_t next;
};

struct candidate {
    float score;
    int32_t left;
    int32_t right;
    uint32_t len;
};

struct lower_priority {
    bool operator()(const candidate& a, const candidate& b) const {
        if (a.score != b.score) return a.score < b.score;
        return a.left > b.left;
    }
};

// Tokens that text may become: not control, unknown, byte or unused ones.
bool usable(token_type t) {
    return t == token_type::normal || t == token_type::user_defined || t == token_type::undefined;
}

}  // namespace

void tokenizer::impl::encode_spm(std::string_view text, std::vector<int32_t>& out) const {
    std::string norm;
    norm.reserve(text.size() + text.size() / 2);
    for (const char c : text) {
        if (c == ' ') norm += "\xE2\x96\x81";
        else norm += c;
    }

    std::vector<symbol> symbols;
    symbols.reserve(norm.size());
    for (size_t pos = 0; pos < norm.size();) {
        const size_t len = unicode::sequence_length(norm, pos);
        const auto index = static_cast<int32_t>(symbols.size());
        symbols.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(len), index - 1, index + 1});
        pos += len;
    }
    if (symbols.empty()) return;
    symbols.back().next = -1;

    std::priority_queue<candidate, std::vector<candidate>, lower_priority> queue;
    const auto try_pair = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const auto& l = symbols[static_cast<size_t>(left)];
        const auto& r = symbols[static_cast<size_t>(right)];
        const uint32_t len = l.len + r.len;
        const int32_t id = find(std::string_view(norm).substr(l.start, len));
        if (id < 0 || !usable(type_of(id))) return;
        queue.push({score_of(id), left, right, len});
    };
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i) try_pair(i, i + 1);

    while (!queue.empty()) {
        const candidate c = queue.top();
        queue.pop();
        auto& l = symbols[static_cast<size_t>(c.left)];
        auto& r = symbols[static_cast<size_t>(c.right)];
        // Stale: one side was merged away or grew since the pair was queued.
        if (l.len == 0 || r.len == 0 || l.next != c.right || l.len + r.len != c.len) continue;
        l.len += r.len;
        r.len = 0;
        l.next = r.next;
        if (r.next >= 0) symbols[static_cast<size_t>(r.next)].prev = c.left;
        try_pair(l.prev, c.left);
        try_pair(c.left, l.next);
    }

    for (int32_t i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
        const auto& s = symbols[static_cast<size_t>(i)];
        const auto piece = std::string_view(norm).substr(s.start, s.len);
        const int32_t id = find(piece);
        if (id >= 0 && usable(type_of(id))) {
            out.push_back(id);
        } else if (all_byte_tokens) {
            for (const char b : piece) out.push_back(byte_tokens[static_cast<unsigned char>(b)]);
        } else if (vocab.unknown_id >= 0) {
            out.push_back(vocab.unknown_id);
        }
    }
}

}  // namespace plinth
