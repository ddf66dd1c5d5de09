// Which texts a grammar accepts, byte by byte through the automaton (UTF-8 included).
#include "grammar_test_support.hpp"

#include <catch2/catch.hpp>

using namespace plinth;
using plinth::test::accepts;
using plinth::test::compile;
using plinth::test::viable;

TEST_CASE("grammar accepts: literals, alternatives, grouping", "[grammar]") {
    const auto g = compile(R"(root ::= ("yes" | "no") " " answer
answer ::= "sir" | "ma'am")");
    CHECK(accepts(g, "yes sir"));
    CHECK(accepts(g, "no ma'am"));
    CHECK_FALSE(accepts(g, "yes"));
    CHECK(viable(g, "yes"));
    CHECK(viable(g, "n"));
    CHECK_FALSE(viable(g, "x"));
    CHECK_FALSE(viable(g, "yes sirs"));
    CHECK_FALSE(accepts(g, ""));
}

TEST_CASE("grammar accepts: * + ? and {m,n}", "[grammar]") {
    CHECK(accepts(compile("root ::= \"a\"*"), ""));
    CHECK(accepts(compile("root ::= \"a\"*"), "aaaa"));
    CHECK_FALSE(accepts(compile("root ::= \"a\"+"), ""));
    CHECK(accepts(compile("root ::= \"a\"+"), "aaa"));
    CHECK(accepts(compile("root ::= \"a\"? \"b\""), "b"));
    CHECK(accepts(compile("root ::= \"a\"? \"b\""), "ab"));
    CHECK_FALSE(accepts(compile("root ::= \"a\"? \"b\""), "aab"));
    const auto g = compile("root ::= \"x\"{2,4}");
    CHECK_FALSE(accepts(g, "x"));
    CHECK(accepts(g, "xx"));
    CHECK(accepts(g, "xxxx"));
    CHECK_FALSE(viable(g, "xxxxx"));
    CHECK(accepts(compile("root ::= \"x\"{3}"), "xxx"));
    CHECK_FALSE(accepts(compile("root ::= \"x\"{3}"), "xx"));
    CHECK(accepts(compile("root ::= \"x\"{2,}"), "xxxxxxx"));
    CHECK_FALSE(accepts(compile("root ::= \"x\"{2,}"), "x"));
    CHECK(accepts(compile("root ::= (\"ab\" [0-9]){0,2}"), "ab1ab2"));
}

TEST_CASE("grammar accepts: character classes, ranges, negation", "[grammar]") {
    const auto g = compile("root ::= [a-cx] [^0-9\\n]");
    CHECK(accepts(g, "bQ"));
    CHECK(accepts(g, "x-"));
    CHECK_FALSE(accepts(g, "d-"));
    CHECK_FALSE(accepts(g, "a5"));
    CHECK_FALSE(accepts(g, "a\n"));
    CHECK(accepts(g, "a\xC3\xA9"));  // é: any non-excluded code point, multi-byte
    CHECK(accepts(compile("root ::= ."), "\xF0\x9F\x98\x80"));
}

TEST_CASE("grammar accepts: UTF-8 walked byte by byte", "[grammar]") {
    const auto g = compile("root ::= [\\u00e0-\\u00ff]+ \"€\"");
    CHECK(accepts(g, "\xC3\xA9\xC3\xA0\xE2\x82\xAC"));  // éà€
    CHECK(viable(g, "\xC3"));                           // the first byte of é (or of others in range)
    CHECK_FALSE(viable(g, "\xC2"));                     // U+0080..U+00BF only: none in the class
    CHECK_FALSE(viable(g, "\xC3\xA9\xC3\x28"));          // a broken continuation byte
    CHECK_FALSE(viable(g, "\xC0\x80"));                 // overlong
    CHECK(viable(g, "\xC3\xA9\xE2\x82"));
    CHECK_FALSE(accepts(g, "\xC3\xA9\xE2\x82"));        // a half character never completes a text
    // A negated class keeps multi-byte prefixes whose code points are not all excluded.
    const auto neg = compile("root ::= [^\\u00e0-\\u00ff]");
    CHECK_FALSE(viable(neg, "\xC3\xA0"));
    CHECK(viable(neg, "\xC3"));  // U+00C0..U+00DF are outside the excluded range
}

TEST_CASE("grammar accepts: recursion (balanced brackets)", "[grammar]") {
    const auto g = compile("root ::= item*\nitem ::= \"(\" root \")\" | \"x\"");
    CHECK(accepts(g, "(x(x)())x"));
    CHECK_FALSE(accepts(g, "(()"));
    CHECK(viable(g, "((((((("));
    CHECK_FALSE(viable(g, "())"));
}

TEST_CASE("grammar automaton: repetition keeps the state count flat", "[grammar]") {
    // Right-recursive repetitions return by tail call: the same state after each item, so a long
    // run of one pattern does not create a state per character.
    grammar_automaton a(compile("root ::= \"\\\"\" [a-z]* \"\\\"\""));
    uint32_t s = a.next(a.start(), "\"");
    const uint32_t inside = a.next(s, 'a');
    for (int i = 0; i < 1000; ++i) s = a.next(s, 'q');
    CHECK(s == inside);
    CHECK(a.states() < 10);
    CHECK(a.accepting(a.next(s, '"')));
}
