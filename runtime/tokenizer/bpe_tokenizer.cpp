// BPE over ranked merges: byte-level ("gpt2" vocabularies) or over characters ("gemma4").
//
// The text is split into pre-tokens by the vocabulary's pre-tokenizer (pretokenizer.hpp).
// Byte-level: each pre-token's bytes are written as their printable stand-in code points
// (space -> 'Ġ'), one symbol per byte. Character-level: spaces become U+2581 before the split and
// each UTF-8 character is one symbol. Then the adjacent pair with the lowest merge rank is merged
// (the leftmost on a tie) until no pair has a rank. Symbols are a doubly linked list, candidate pairs sit in a priority
// queue and ranks in a hash map keyed by "left right", so a pre-token costs O(n log n).
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
    int32_t rank;
    int32_t left;
    int32_t right;
    uint32_t len;
};

struct lower_priority {
    bool operator()(const candidate& a, const candidate& b) const {
        if (a.rank != b.rank) return a.rank > b.rank;
        return a.left > b.left;
    }
};

}  // namespace

void tokenizer::impl::encode_bpe(std::string_view text, std::vector<int32_t>& out) const {
    std::string scratch;
    std::string escaped;
    if (!byte_encode) {
        escaped.reserve(text.size() + text.size() / 2);
        for (const char c : text) {
            if (c == ' ') escaped += "\xE2\x96\x81";
            else escaped += c;
        }
        text = escaped;
    }
    for (const auto& [first, last] : pre_tokenize(*pre, text)) encode_bpe_word(text.substr(first, last - first), out, scratch);
}

void tokenizer::impl::encode_bpe_word(std::string_view word, std::vector<int32_t>& out, std::string& key) const {
    // Byte-level: the word in stand-in code points, one symbol per original byte. Otherwise the
    // word as it is, one symbol per UTF-8 character (or invalid byte).
    std::string mapped;
    mapped.reserve(word.size() * 2);
    std::vector<symbol> symbols;
    symbols.reserve(word.size());
    for (size_t pos = 0; pos < word.size();) {
        const auto start = static_cast<uint32_t>(mapped.size());
        if (byte_encode) {
            unicode::append_utf8(mapped, unicode::byte_to_code_point(static_cast<uint8_t>(word[pos])));
            ++pos;
        } else {
            const size_t len = unicode::sequence_length(word, pos);
            mapped.append(word, pos, len);
            pos += len;
        }
        const auto index = static_cast<int32_t>(symbols.size());
        symbols.push_back({start, static_cast<uint32_t>(mapped.size()) - start, index - 1, index + 1});
    }
    if (symbols.empty()) return;
    symbols.back().next = -1;

    if (ignore_merges) {
        if (const int32_t id = find(mapped); id >= 0) {
            out.push_back(id);
            return;
        }
    }

    const std::string_view text(mapped);
    std::priority_queue<candidate, std::vector<candidate>, lower_priority> queue;
    const auto try_pair = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const auto& l = symbols[static_cast<size_t>(left)];
        const auto& r = symbols[static_cast<size_t>(right)];
        key.assign(text.substr(l.start, l.len));
        key += ' ';
        key.append(text.substr(r.start, r.len));
        const auto it = merge_ranks.find(std::string_view(key));
        if (it == merge_ranks.end()) return;
        queue.push({it->second, left, right, l.len + r.len});
    };
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i) try_pair(i, i + 1);

    while (!queue.empty()) {
        const candidate c = queue.top();
        queue.pop();
        auto& l = symbols[static_cast<size_t>(c.left)];
        auto& r = symbols[static_cast<size_t>(c.right)];
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
        const auto piece = text.substr(s.start, s.len);
        if (const int32_t id = find(piece); id >= 0) {
            out.push_back(id);
            continue;
        }
        // A merge result the vocabulary lacks: character-level BPE falls back to <0xXX> byte
        // tokens, byte-level to its characters one by one.
        if (!byte_encode) {
            for (const char b : piece) {
                const int32_t id = byte_tokens[static_cast<unsigned char>(b)];
                if (id >= 0) out.push_back(id);
                else if (vocab.unknown_id >= 0) out.push_back(vocab.unknown_id);
            }
            continue;
        }
        for (size_t pos = 0; pos < piece.size();) {
            const size_t len = unicode::sequence_length(piece, pos);
            const int32_t id = find(piece.substr(pos, len));
            if (id >= 0) out.push_back(id);
            else if (vocab.unknown_id >= 0) out.push_back(vocab.unknown_id);
            pos += len;
        }
    }
}

}  // namespace plinth
