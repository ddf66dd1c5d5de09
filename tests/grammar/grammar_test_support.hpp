#pragma once
// Shared by the grammar tests: whether a grammar accepts a whole text, or a prefix of one.
#include <plinth/grammar.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace plinth::test {

inline std::shared_ptr<const grammar> compile(std::string_view text) { return std::make_shared<grammar>(grammar::parse(text)); }

// The whole text is a sentence of the grammar.
inline bool accepts(const std::shared_ptr<const grammar>& g, std::string_view text) {
    grammar_automaton a(g);
    return a.accepting(a.next(a.start(), text));
}

// The text can still be continued into a sentence (or is one).
inline bool viable(const std::shared_ptr<const grammar>& g, std::string_view text) {
    grammar_automaton a(g);
    return a.next(a.start(), text) != grammar_automaton::dead;
}

}  // namespace plinth::test
