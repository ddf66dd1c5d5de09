#pragma once
// Constrained sampling: a grammar in a GBNF-like notation (docs/sampling.md, "Grammars"), the
// automaton that follows it byte by byte, and the token mask that keeps a sampler on it.
//
//   grammar g = grammar::parse(R"(root ::= "yes" | "no")");   // grammar_error on bad text
//   token_constraint c(std::make_shared<grammar>(g), token_index::build(tok));
//   c.apply(logits);            // tokens that would leave the grammar get -inf
//   c.accept(sampled_token);
//
// A grammar compiles to flat alternatives of character-class and rule-reference elements. The
// state after a prefix is a set of parse stacks (return addresses, top = the next character
// class to match), plus the bytes of an unfinished UTF-8 character. States are interned and
// their byte transitions cached, so the mask walks a trie of the vocabulary's token texts with
// one table lookup per trie node, and masks of states seen before come from a cache.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace plinth {

class tokenizer;

// A grammar that does not parse or compile; `position` is the byte offset in the text
// (what() says it too, with line and column).
class grammar_error : public std::runtime_error {
public:
    grammar_error(const std::string& what, size_t position) : std::runtime_error(what), position_(position) {}
    size_t position() const { return position_; }

private:
    size_t position_;
};

// A compiled grammar: plain data, immutable once parsed, shared by every sequence using it.
struct grammar {
    struct char_class {
        bool negated = false;
        std::vector<std::pair<uint32_t, uint32_t>> ranges;  // inclusive code point ranges
        bool matches(uint32_t cp) const;
        bool intersects(uint32_t lo, uint32_t hi) const;   // some code point in [lo, hi] matches
    };
    enum class kind : uint8_t { end, chars, rule };
    struct element {
        kind k = kind::end;
        uint32_t arg = 0;  // chars: index into classes; rule: the rule's index
    };

    std::vector<element> elements;              // alternatives back to back, each closed by `end`
    std::vector<std::vector<uint32_t>> alternatives;  // per rule: where its alternatives start
    std::vector<std::string> rule_names;        // per rule (helper rules are named "name#n")
    std::vector<char_class> classes;
    uint32_t root = 0;

    // Parses and compiles. Throws grammar_error: syntax, an undefined rule, no `root` rule,
    // left recursion (a rule that can reach itself without consuming a character).
    static grammar parse(std::string_view text, std::string_view root_rule = "root");
};

// The stacks-and-bytes automaton over one grammar, built lazily: states are interned as they
// are reached, and each (state, byte) transition is computed once.
class grammar_automaton {
public:
    static constexpr uint32_t dead = 0;  // the state no byte leaves: the prefix left the grammar
    explicit grammar_automaton(std::shared_ptr<const grammar> g);

    uint32_t start() const { return start_; }
    uint32_t next(uint32_t state, uint8_t byte) {
        const int32_t t = transitions_[size_t(state) * 256 + byte];
        return t >= 0 ? uint32_t(t) : compute(state, byte);
    }
    uint32_t next(uint32_t state, std::string_view bytes) {
        for (char c : bytes) {
            if (state == dead) break;
            state = next(state, uint8_t(c));
        }
        return state;
    }
    // The grammar's root is complete here (and no UTF-8 character is half-read).
    bool accepting(uint32_t state) const { return accepting_[state] != 0; }
    // Some byte leads on (the grammar can continue after this prefix).
    bool can_continue(uint32_t state);
    size_t states() const { return accepting_.size(); }
    // Expansion steps taken so far: what following the grammar has cost (bounds hostile grammars).
    uint64_t work() const { return work_; }
    // Forgets every state but `keep`, which gets a new id (returned): bounds memory on long runs.
    uint32_t compact(uint32_t keep);
    const grammar& rules() const { return *grammar_; }

private:
    struct state_data {
        std::vector<std::vector<uint32_t>> stacks;  // sorted, distinct; an empty stack = root complete
        std::string partial;                        // leading bytes of an unfinished UTF-8 character
    };
    uint32_t compute(uint32_t state, uint8_t byte);
    uint32_t intern(state_data s);

    std::shared_ptr<const grammar> grammar_;
    std::vector<state_data> data_;
    std::vector<int32_t> transitions_;  // states x 256; -1: not computed yet
    std::vector<uint8_t> accepting_;
    std::unordered_map<std::string, uint32_t> ids_;  // a state's serialised form -> its id
    std::vector<uint8_t> uniform_high_;  // per class: holds all code points >= 0x80 or none of them
    uint32_t start_ = dead;
    uint64_t work_ = 0;
};

// The vocabulary's token texts (token_piece) as a trie laid out in preorder: node i has a byte,
// a depth and the end of its subtree, so a walk skips a dead prefix's whole subtree at once.
// Built once per tokenizer and shared (immutable).
struct token_index {
    struct node {
        uint32_t skip;         // first node after this one's subtree
        uint32_t first_token;  // into `tokens`: the ids whose text ends here
        uint16_t token_count;
        uint16_t depth;        // 1 for the first byte of a text
        uint8_t byte;
    };
    std::vector<node> nodes;
    std::vector<int32_t> tokens;      // ids sorted by their text
    std::vector<int32_t> end_tokens;  // end-of-generation ids (EOS, EOT, EOM)
    std::vector<std::string> pieces;  // per id: the bytes it stands for
    size_t vocab_size = 0;
    size_t max_depth = 0;             // the longest text's length
    static std::shared_ptr<const token_index> build(const tokenizer& tok);
};

// One sequence's constraint: the grammar's state after the tokens accepted so far, and the mask.
class token_constraint {
public:
    static constexpr uint64_t max_mask_work = 20'000'000;
    token_constraint(std::shared_ptr<const grammar> g, std::shared_ptr<const token_index> index);

    // Sets the logit of every token that cannot continue the grammar to -inf. End-of-generation
    // tokens stay only where the grammar is complete. Returns how many tokens stay allowed.
    // Throws std::runtime_error when one mask would take more than `max_mask_work` expansion
    // steps (a grammar so ambiguous that following it would stall the caller).
    size_t apply(std::span<float> logits);
    // Whether `token` keeps the grammar viable (what apply() leaves finite).
    bool allows(int32_t token);
    // Moves the state past a sampled token. Throws std::invalid_argument for a token the
    // grammar does not allow.
    void accept(int32_t token);
    // The grammar is complete and nothing can follow: generation must end here.
    bool finished();
    bool complete() const { return automaton_.accepting(state_); }

private:
    const std::vector<uint64_t>& mask();  // allowed bits of the current state (cached per state)

    grammar_automaton automaton_;
    std::shared_ptr<const token_index> index_;
    uint32_t state_;
    std::vector<uint32_t> walk_;  // per trie depth, the state reached (reused)
    std::unordered_map<uint32_t, std::vector<uint64_t>> masks_;
};

}  // namespace plinth
