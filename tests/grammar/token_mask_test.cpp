// The token mask on real vocabularies: after random prefixes, the tokens the trie walk allows
// are exactly those whose own text, walked alone from the same state, keeps the grammar viable
// (end-of-generation tokens exactly where the grammar is complete).
#include "grammar_test_support.hpp"
#include "tokenizer_test_support.hpp"

#include <plinth/json_schema.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <random>

using namespace plinth;

namespace {

// Walks `steps` random allowed tokens; before each, compares the mask with the brute force.
void check_random_walks(const tokenizer& tok, const std::string& grammar_text, int walks, int steps) {
    const auto g = test::compile(grammar_text);
    const auto index = token_index::build(tok);
    const size_t n = tok.vocab_size();
    std::mt19937 rng(1234);
    for (int w = 0; w < walks; ++w) {
        token_constraint c(g, index);
        grammar_automaton reference(g);  // a separate automaton: nothing shared with the mask's
        std::string text;
        for (int s = 0; s < steps; ++s) {
            std::vector<float> logits(n, 0.0f);
            const size_t allowed = c.apply(logits);
            const uint32_t here = reference.next(reference.start(), text);
            REQUIRE(here != grammar_automaton::dead);
            std::vector<int32_t> choices;
            size_t expected = 0;
            for (size_t id = 0; id < n; ++id) {
                const auto t = static_cast<int32_t>(id);
                bool ok;
                if (tok.is_end_of_generation(t)) {
                    ok = reference.accepting(here);
                } else {
                    const std::string piece = tok.token_piece(t);
                    ok = !piece.empty() && reference.next(here, piece) != grammar_automaton::dead;
                }
                expected += ok;
                INFO("walk " << w << " step " << s << " after '" << text << "': token " << id << " '" << tok.token_piece(t) << "'");
                REQUIRE(ok == std::isfinite(logits[id]));
                if (ok && !tok.is_end_of_generation(t)) choices.push_back(t);
            }
            REQUIRE(allowed == expected);
            if (choices.empty()) break;
            const int32_t pick = choices[std::uniform_int_distribution<size_t>(0, choices.size() - 1)(rng)];
            c.accept(pick);
            text += tok.token_piece(pick);
        }
    }
}

const char* arithmetic = R"g(root ::= expr
expr ::= term ( ws [-+*/] ws term )*
term ::= [0-9]{1,4} | "(" ws expr ws ")" | name
name ::= [a-zA-Zé_] [a-zA-Z0-9_é]{0,6}
ws ::= " "?)g";

}  // namespace

TEST_CASE("token mask equals the brute force: JSON object, Qwen vocabulary (~150k)", "[grammar][slow]") {
    check_random_walks(test::shared_tokenizer("qwen35"), json_object_grammar(), 3, 12);
}

TEST_CASE("token mask equals the brute force: a schema, Llama SPM vocabulary (byte tokens)", "[grammar]") {
    const auto schema = nlohmann::ordered_json::parse(R"({"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 12}, "tags": {"type": "array", "items": {"enum": ["a", "é", 3]}},
        "n": {"type": ["integer", "null"]}}, "required": ["name"]})");
    check_random_walks(test::shared_tokenizer("llama-spm"), json_schema_grammar(schema), 4, 16);
}

TEST_CASE("token mask equals the brute force: arithmetic, GPT-2 vocabulary", "[grammar]") {
    check_random_walks(test::shared_tokenizer("gpt-2"), arithmetic, 4, 16);
}

TEST_CASE("token mask: end of generation only where the grammar is complete", "[grammar]") {
    const tokenizer& tok = test::shared_tokenizer("llama-spm");
    token_constraint c(test::compile("root ::= \"ab\""), token_index::build(tok));
    std::vector<float> logits(tok.vocab_size(), 0.0f);
    c.apply(logits);
    CHECK(std::isinf(logits[size_t(tok.eos())]));
    CHECK_FALSE(c.finished());
    for (const char* piece : {"a", "b"}) {
        const int32_t id = tok.find(std::string("<0x") + (piece[0] == 'a' ? "61" : "62") + ">");
        REQUIRE(id >= 0);
        c.accept(id);
    }
    CHECK(c.complete());
    CHECK(c.finished());
    std::fill(logits.begin(), logits.end(), 0.0f);
    CHECK(c.apply(logits) == 1);  // only EOS
    CHECK(std::isfinite(logits[size_t(tok.eos())]));
    CHECK_THROWS_AS(c.accept(tok.find("<0x61>")), std::invalid_argument);
}

TEST_CASE("token mask: nullable items in a row cost their distinct stacks, not their parses", "[grammar]") {
    // 1000 optional pairs in a row: 2^2000 ways to read "b" alone, ~2000 distinct stacks.
    const tokenizer& tok = test::shared_tokenizer("llama-spm");
    const auto start = std::chrono::steady_clock::now();
    token_constraint c(test::compile("root ::= (\"a\"? \"a\"?){1,1000} \"b\""), token_index::build(tok));
    std::vector<float> logits(tok.vocab_size(), 0.0f);
    c.apply(logits);
    CHECK(std::isfinite(logits[size_t(tok.find("<0x61>"))]));
    CHECK(std::isfinite(logits[size_t(tok.find("<0x62>"))]));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}

TEST_CASE("token mask: a grammar too ambiguous to follow is refused, not followed in part", "[grammar]") {
    // 6001 places the first character may be read at: over the 4096 parses a state may hold.
    const auto g = test::compile("root ::= (\"a\"? \"a\"?){1,3000} \"b\"");
    try {
        grammar_automaton a(g);
        FAIL("followed");
    } catch (const std::runtime_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("too ambiguous"));
    }
}
