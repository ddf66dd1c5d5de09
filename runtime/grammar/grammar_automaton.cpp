// The grammar's state machine over bytes: parse stacks advanced by whole code points, with the
// bytes of an unfinished UTF-8 character held in the state. States are interned so that a
// (state, byte) transition is computed once and then costs a table lookup.
#include <plinth/grammar.hpp>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unordered_set>

namespace plinth {
namespace {

constexpr size_t max_stacks = 4096;     // parse stacks one state may hold
constexpr size_t max_depth = 2048;      // nesting a stack may reach (deeper paths are not followed)
constexpr size_t max_expansion = 100000;  // work items one transition's expansions may take

using stack = std::vector<uint32_t>;

struct stack_hash {
    size_t operator()(const stack& s) const {
        uint64_t h = 1469598103934665603ull;
        for (uint32_t v : s) h = (h ^ v) * 1099511628211ull;
        return static_cast<size_t>(h);
    }
};

[[noreturn]] void too_ambiguous(const char* what) {
    throw std::runtime_error(std::string("the grammar is too ambiguous to follow (") + what + ")");
}

// Pops finished alternatives and expands rule references until every stack's top is a
// character class (or the stack is empty: the root is complete). Left recursion is refused by
// the parser, so this terminates; the limits bound pathological grammars.
// `steps` counts the work items and `seen` the stacks met, both shared by every expansion of one
// transition: a stack reached along two paths is expanded once, so nullable items in a row cost
// what their distinct stacks cost, not the number of ways to skip them. Throws std::runtime_error
// past the limits rather than follow the grammar only partly.
void expand(const grammar& g, stack start, std::vector<stack>& out, size_t& steps,
            std::unordered_set<stack, stack_hash>& seen) {
    std::vector<stack> work;
    work.push_back(std::move(start));
    while (!work.empty()) {
        if (++steps > max_expansion) too_ambiguous("over 100000 parse steps for one character");
        stack s = std::move(work.back());
        work.pop_back();
        while (!s.empty() && g.elements[s.back()].k == grammar::kind::end) s.pop_back();
        if (!seen.insert(s).second) continue;
        if (s.empty() || g.elements[s.back()].k == grammar::kind::chars) {
            if (out.size() >= max_stacks) too_ambiguous("over 4096 parses of one text");
            out.push_back(std::move(s));
            continue;
        }
        if (s.size() > max_depth) continue;
        const uint32_t rule = g.elements[s.back()].arg;
        s.back() += 1;  // where to return to
        // A reference at the end of an alternative returns straight to the caller (a tail
        // call): repetitions, which are right-recursive, then keep the stack flat.
        if (g.elements[s.back()].k == grammar::kind::end) s.pop_back();
        const auto& alts = g.alternatives[rule];
        for (size_t i = alts.size(); i-- > 0;) {
            stack t = s;
            t.push_back(alts[i]);
            work.push_back(std::move(t));
        }
    }
}

void sort_unique(std::vector<stack>& stacks) {
    std::sort(stacks.begin(), stacks.end());
    stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
}

int utf8_length(uint8_t lead) {
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;  // ASCII, a continuation byte, or a lead byte no valid character starts with
}

// The code points a UTF-8 prefix can still become: [lo, hi], or lo > hi when none.
std::pair<uint32_t, uint32_t> utf8_range(const std::string& prefix) {
    const auto lead = static_cast<uint8_t>(prefix[0]);
    const int len = utf8_length(lead);
    uint32_t lo = lead & (0x7F >> len), hi = lo;
    for (int i = 1; i < len; ++i) {
        const bool known = size_t(i) < prefix.size();
        const uint32_t b = known ? static_cast<uint8_t>(prefix[size_t(i)]) & 0x3Fu : 0;
        lo = (lo << 6) | b;
        hi = (hi << 6) | (known ? b : 0x3Fu);
    }
    const uint32_t least = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;  // shorter forms are overlong
    return {std::max(lo, least), std::min(hi, uint32_t(0x10FFFF))};
}

// A representative of an unfinished UTF-8 character that keeps only what still matters when the
// code point it becomes does not (every class in reach treats all non-ASCII alike): how many
// bytes are missing, and the lead bytes whose next byte is restricted (E0, ED, F0, F4).
std::string representative(const std::string& partial) {
    const auto lead = static_cast<uint8_t>(partial[0]);
    if (partial.size() == 1) {
        if (lead == 0xE0 || lead == 0xED || lead == 0xF0 || lead == 0xF4) return partial;
        return std::string(1, char(lead <= 0xDF ? 0xC2 : lead <= 0xEF ? 0xE1 : 0xF1));
    }
    return std::string(1, char(lead <= 0xEF ? 0xE1 : 0xF1)) + std::string(partial.size() - 1, char(0x80));
}

}  // namespace

grammar_automaton::grammar_automaton(std::shared_ptr<const grammar> g) : grammar_(std::move(g)) {
    for (const auto& cls : grammar_->classes) {
        // Uniform: no code point >= 0x80 matches, or every one does.
        grammar::char_class inverse = cls;
        inverse.negated = !cls.negated;
        uniform_high_.push_back(!cls.intersects(0x80, 0x10FFFF) || !inverse.intersects(0x80, 0x10FFFF));
    }
    compact(dead);
}

uint32_t grammar_automaton::compact(uint32_t keep) {
    state_data kept = keep < data_.size() ? data_[keep] : state_data{};
    const bool had_start = !data_.empty();
    data_.clear();
    transitions_.clear();
    accepting_.clear();
    ids_.clear();
    // State 0: dead, every byte leads back to it.
    data_.emplace_back();
    transitions_.assign(256, int32_t(dead));
    accepting_.push_back(0);
    std::vector<stack> stacks;
    size_t steps = 0;
    std::unordered_set<stack, stack_hash> seen;
    for (uint32_t alt : grammar_->alternatives[grammar_->root]) expand(*grammar_, stack{alt}, stacks, steps, seen);
    sort_unique(stacks);
    start_ = intern({std::move(stacks), {}});
    return had_start && keep != dead ? intern(std::move(kept)) : dead;
}

uint32_t grammar_automaton::intern(state_data s) {
    if (s.stacks.empty()) return dead;
    std::string key = s.partial;
    key.push_back('\xFF');  // never inside a UTF-8 prefix
    for (const stack& st : s.stacks) {
        const auto n = static_cast<uint32_t>(st.size());
        key.append(reinterpret_cast<const char*>(&n), sizeof n);
        key.append(reinterpret_cast<const char*>(st.data()), st.size() * sizeof(uint32_t));
    }
    const auto [it, added] = ids_.emplace(std::move(key), static_cast<uint32_t>(data_.size()));
    if (!added) return it->second;
    bool accepts = false;
    if (s.partial.empty())
        for (const stack& st : s.stacks) accepts = accepts || st.empty();
    data_.push_back(std::move(s));
    transitions_.resize(transitions_.size() + 256, -1);
    accepting_.push_back(accepts ? 1 : 0);
    return it->second;
}

uint32_t grammar_automaton::compute(uint32_t state, uint8_t byte) {
    const grammar& g = *grammar_;
    // Copies: interning below may move data_.
    const std::vector<stack> stacks = data_[state].stacks;
    std::string partial = data_[state].partial;
    uint32_t result = dead;
    // The stacks whose next class may still match; the partial bytes canonicalised when the exact
    // code point cannot matter to them, so that texts differing only there share states.
    const auto tops_meet = [&](uint32_t lo, uint32_t hi, std::vector<stack>& kept) {
        bool uniform = true;
        for (const stack& s : stacks)
            if (!s.empty() && g.classes[g.elements[s.back()].arg].intersects(lo, hi)) {
                kept.push_back(s);
                uniform = uniform && uniform_high_[g.elements[s.back()].arg];
            }
        if (uniform) partial = representative(partial);
    };
    const auto advance = [&](uint32_t cp) {
        std::vector<stack> out;
        size_t steps = 0;
        std::unordered_set<stack, stack_hash> seen;
        for (const stack& s : stacks) {
            if (s.empty() || !g.classes[g.elements[s.back()].arg].matches(cp)) continue;
            stack t = s;
            t.back() += 1;
            expand(g, std::move(t), out, steps, seen);
        }
        work_ += steps;
        sort_unique(out);
        return intern({std::move(out), {}});
    };

    if (partial.empty()) {
        if (byte < 0x80) {
            result = advance(byte);
        } else if (utf8_length(byte) != 0) {
            partial.push_back(char(byte));
            const auto [lo, hi] = utf8_range(partial);
            std::vector<stack> kept;
            if (lo <= hi) tops_meet(lo, hi, kept);
            result = intern({std::move(kept), std::move(partial)});
        }
    } else if ((byte & 0xC0) == 0x80) {
        partial.push_back(char(byte));
        const auto [lo, hi] = utf8_range(partial);
        if (lo <= hi) {
            if (partial.size() == size_t(utf8_length(static_cast<uint8_t>(partial[0])))) {
                result = advance(lo);  // complete: lo == hi
            } else {
                std::vector<stack> kept;
                tops_meet(lo, hi, kept);
                result = intern({std::move(kept), std::move(partial)});
            }
        }
    }
    transitions_[size_t(state) * 256 + byte] = int32_t(result);
    return result;
}

bool grammar_automaton::can_continue(uint32_t state) {
    for (int b = 0; b < 256; ++b)
        if (next(state, uint8_t(b)) != dead) return true;
    return false;
}

}  // namespace plinth
