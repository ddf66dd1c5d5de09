// The token mask: the vocabulary's texts as a preorder trie, walked through the grammar's
// automaton from the current state. A dead prefix skips its whole subtree; masks of states
// already seen come from a cache (inside a JSON string the state repeats token after token).
#include <plinth/grammar.hpp>
#include <plinth/tokenizer.hpp>

#include <algorithm>
#include <limits>
#include <numeric>

namespace plinth {
namespace {

constexpr size_t max_cached_masks = 256;
constexpr size_t max_states = 16384;  // then the automaton starts afresh from the current state

bool bit(const std::vector<uint64_t>& bits, size_t i) { return (bits[i / 64] >> (i % 64)) & 1; }

}  // namespace

std::shared_ptr<const token_index> token_index::build(const tokenizer& tok) {
    auto index = std::make_shared<token_index>();
    const size_t n = tok.vocab_size();
    index->vocab_size = n;
    index->pieces.resize(n);
    std::vector<int32_t> ids;
    ids.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        const auto id = static_cast<int32_t>(i);
        if (tok.is_end_of_generation(id)) {
            index->end_tokens.push_back(id);
            continue;
        }
        index->pieces[i] = tok.token_piece(id);
        // Control tokens have no text: they could never move the grammar on, so never allowed.
        if (!index->pieces[i].empty() && index->pieces[i].size() < 65535) ids.push_back(id);
    }
    const auto& pieces = index->pieces;
    std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
        return pieces[size_t(a)] != pieces[size_t(b)] ? pieces[size_t(a)] < pieces[size_t(b)] : a < b;
    });
    // Sorted texts give the trie's preorder: each text adds a node per byte past what it shares
    // with the one before.
    std::vector<uint32_t> open;  // nodes on the current path, by depth - 1
    const std::string* previous = nullptr;
    for (size_t k = 0; k < ids.size(); ++k) {
        const std::string& p = pieces[size_t(ids[k])];
        size_t shared = 0;
        if (previous)
            while (shared < p.size() && shared < previous->size() && p[shared] == (*previous)[shared]) ++shared;
        if (previous && shared == p.size() && shared == previous->size()) {
            ++index->nodes[open.back()].token_count;  // the same text as the one before
            index->tokens.push_back(ids[k]);
            continue;
        }
        // Close the nodes deeper than what is shared: their subtrees end here.
        while (open.size() > shared) {
            index->nodes[open.back()].skip = static_cast<uint32_t>(index->nodes.size());
            open.pop_back();
        }
        for (size_t d = shared; d < p.size(); ++d) {
            node nd{};
            nd.byte = static_cast<uint8_t>(p[d]);
            nd.depth = static_cast<uint16_t>(d + 1);
            nd.first_token = static_cast<uint32_t>(index->tokens.size());
            open.push_back(static_cast<uint32_t>(index->nodes.size()));
            index->nodes.push_back(nd);
        }
        index->nodes[open.back()].token_count = 1;
        index->tokens.push_back(ids[k]);
        index->max_depth = std::max(index->max_depth, p.size());
        previous = &p;
    }
    for (uint32_t o : open) index->nodes[o].skip = static_cast<uint32_t>(index->nodes.size());
    return index;
}

token_constraint::token_constraint(std::shared_ptr<const grammar> g, std::shared_ptr<const token_index> index)
    : automaton_(std::move(g)), index_(std::move(index)), state_(automaton_.start()) {
    walk_.resize(index_->max_depth + 1);
}

const std::vector<uint64_t>& token_constraint::mask() {
    if (const auto it = masks_.find(state_); it != masks_.end()) return it->second;
    if (automaton_.states() > max_states) {
        state_ = automaton_.compact(state_);
        masks_.clear();
    }
    if (masks_.size() >= max_cached_masks) masks_.clear();
    std::vector<uint64_t> bits((index_->vocab_size + 63) / 64, 0);
    const auto& nodes = index_->nodes;
    const auto& tokens = index_->tokens;
    walk_[0] = state_;
    const uint64_t work_at_start = automaton_.work();
    for (size_t i = 0, checked = 0; i < nodes.size();) {
        if (++checked % 4096 == 0 && automaton_.work() - work_at_start > max_mask_work)
            throw std::runtime_error("the grammar is too ambiguous to follow (one token's mask took over " +
                                     std::to_string(max_mask_work) + " parse steps)");
        const token_index::node& n = nodes[i];
        const uint32_t s = automaton_.next(walk_[n.depth - 1u], n.byte);
        if (s == grammar_automaton::dead) {
            i = n.skip;  // no token starting with this prefix can follow
            continue;
        }
        walk_[n.depth] = s;
        for (uint32_t t = n.first_token; t < n.first_token + n.token_count; ++t) {
            const auto id = static_cast<size_t>(tokens[t]);
            bits[id / 64] |= uint64_t(1) << (id % 64);
        }
        ++i;
    }
    if (automaton_.accepting(state_))
        for (int32_t id : index_->end_tokens) bits[size_t(id) / 64] |= uint64_t(1) << (size_t(id) % 64);
    return masks_.emplace(state_, std::move(bits)).first->second;
}

size_t token_constraint::apply(std::span<float> logits) {
    const std::vector<uint64_t>& bits = mask();
    const size_t covered = std::min(logits.size(), index_->vocab_size);
    size_t allowed = 0;
    constexpr float off = -std::numeric_limits<float>::infinity();
    for (size_t w = 0; w * 64 < covered; ++w) {
        const uint64_t word = bits[w];
        const size_t end = std::min(covered, w * 64 + 64);
        if (word == 0) {
            std::fill(logits.begin() + static_cast<std::ptrdiff_t>(w * 64), logits.begin() + static_cast<std::ptrdiff_t>(end), off);
            continue;
        }
        for (size_t i = w * 64; i < end; ++i) {
            if ((word >> (i % 64)) & 1) ++allowed;
            else logits[i] = off;
        }
    }
    // Ids the tokenizer does not know (a padded output layer) are never text.
    std::fill(logits.begin() + static_cast<std::ptrdiff_t>(covered), logits.end(), off);
    return allowed;
}

bool token_constraint::allows(int32_t token) {
    if (token < 0 || static_cast<size_t>(token) >= index_->vocab_size) return false;
    return bit(mask(), static_cast<size_t>(token));
}

void token_constraint::accept(int32_t token) {
    if (!allows(token)) throw std::invalid_argument("token " + std::to_string(token) + " does not continue the grammar");
    if (std::find(index_->end_tokens.begin(), index_->end_tokens.end(), token) != index_->end_tokens.end()) return;
    state_ = automaton_.next(state_, index_->pieces[static_cast<size_t>(token)]);
}

bool token_constraint::finished() { return automaton_.accepting(state_) && !automaton_.can_continue(state_); }

}  // namespace plinth
