// The grammar notation: what parses, and the errors (with positions) for what does not.
#include "grammar_test_support.hpp"

#include <catch2/catch.hpp>

using namespace plinth;

namespace {

// The error a bad grammar gives: its message and byte position.
grammar_error error_of(std::string_view text) {
    try {
        grammar::parse(text);
    } catch (const grammar_error& e) {
        return e;
    }
    FAIL("grammar parsed: " << text);
    return grammar_error("", 0);
}

}  // namespace

TEST_CASE("grammar: every construct of the notation parses", "[grammar]") {
    const char* text = R"(# a comment line
root ::= greeting ws name ("!" | "?")? tail   # trailing comment
greeting ::= "hello" | "hi"
ws ::= [ \t]+
name ::= [A-Z] [a-z]{1,8}
tail ::= [^\n]* | "\x41\u00e9\U0001F600" | . | digits
digits ::= [0-9]{2,} "-" [0-9]{3} "-"
   [0-9]{0,2}
)";
    const grammar g = grammar::parse(text);
    CHECK(g.rule_names[g.root] == "root");
    CHECK(g.rule_names.size() > 6);  // helper rules for groups and repetitions
    CHECK(g.elements.back().k == grammar::kind::end);
}

TEST_CASE("grammar: errors name the problem and where it is", "[grammar]") {
    SECTION("no root rule") {
        const auto e = error_of("a ::= \"x\"\n");
        CHECK_THAT(e.what(), Catch::Contains("no 'root' rule"));
    }
    SECTION("undefined rule, at its first use") {
        const auto e = error_of("root ::= \"a\" missing\n");
        CHECK_THAT(e.what(), Catch::Contains("'missing' is used but never defined"));
        CHECK(e.position() == 13);
        CHECK_THAT(e.what(), Catch::Contains("line 1, column 14"));
    }
    SECTION("unterminated literal") {
        const auto e = error_of("root ::= \"abc\n");
        CHECK_THAT(e.what(), Catch::Contains("unterminated string literal"));
        CHECK(e.position() == 9);
    }
    SECTION("unterminated class") {
        CHECK_THAT(error_of("root ::= [a-z\n").what(), Catch::Contains("unterminated character class"));
    }
    SECTION("backwards range") {
        const auto e = error_of("root ::= [z-a]\n");
        CHECK_THAT(e.what(), Catch::Contains("runs backwards"));
        CHECK(e.position() == 10);
    }
    SECTION("missing ::=") {
        CHECK_THAT(error_of("root = \"a\"\n").what(), Catch::Contains("expected '::='"));
    }
    SECTION("unclosed group, on line 2") {
        const auto e = error_of("root ::= a\na ::= (\"x\" | \"y\"\n");
        CHECK_THAT(e.what(), Catch::Contains("expected ')'"));
        CHECK_THAT(e.what(), Catch::Contains("line 2"));
    }
    SECTION("bad repetition") {
        CHECK_THAT(error_of("root ::= \"a\"{3,1}\n").what(), Catch::Contains("n < m"));
        CHECK_THAT(error_of("root ::= \"a\"{x}\n").what(), Catch::Contains("expected a number"));
        CHECK_THAT(error_of("root ::= \"a\"{1000000}\n").what(), Catch::Contains("repetition count above"));
    }
    SECTION("bad escapes") {
        CHECK_THAT(error_of("root ::= \"\\q\"\n").what(), Catch::Contains("unknown escape"));
        CHECK_THAT(error_of("root ::= \"\\x4\"\n").what(), Catch::Contains("hex digits"));
        CHECK_THAT(error_of("root ::= [\\U00110000]\n").what(), Catch::Contains("beyond U+10FFFF"));
    }
    SECTION("defined twice") {
        CHECK_THAT(error_of("root ::= \"a\"\nroot ::= \"b\"\n").what(), Catch::Contains("defined twice"));
    }
    SECTION("left recursion, direct and through a nullable prefix") {
        CHECK_THAT(error_of("root ::= root \"a\" | \"b\"\n").what(), Catch::Contains("'root' is left-recursive"));
        CHECK_THAT(error_of("root ::= e x\ne ::= \"\" | \"q\"\nx ::= e root \"a\" | \"b\"\n").what(),
                   Catch::Contains("left-recursive"));
        // A repeated item that can be empty would loop too.
        CHECK_THAT(error_of("root ::= (\"a\"?)*\n").what(), Catch::Contains("left-recursive"));
    }
    SECTION("stray characters") {
        CHECK_THAT(error_of("root ::= \"a\" )\n").what(), Catch::Contains("unexpected ')'"));
        CHECK_THAT(error_of("root ::= \"a\" @\n").what(), Catch::Contains("unexpected '@'"));
    }
    SECTION("empty text") {
        CHECK_THAT(error_of("").what(), Catch::Contains("no 'root' rule"));
    }
}
