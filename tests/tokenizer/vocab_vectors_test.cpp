// Every test vector of the shared vocabularies: encode(text, no BOS/EOS, no special parsing) must
// give exactly the expected ids; decoding them must give the text back.
#include <catch2/catch.hpp>

#include "tokenizer_test_support.hpp"

using namespace plinth;

namespace {

void check_all_vectors(const std::string& name) {
    const auto& tok = test::shared_tokenizer(name);
    const auto vectors = test::read_vocab_vectors(name);
    REQUIRE(vectors.size() > 40);

    std::string mismatches;
    size_t passed = 0;
    size_t round_trips = 0;
    for (const auto& v : vectors) {
        const auto got = tok.encode(v.text, false, false);
        if (got == v.expected) ++passed;
        else
            mismatches += "\n  text:     " + test::escaped(v.text) + "\n  expected: " + test::ids_text(v.expected) +
                          "\n  got:      " + test::ids_text(got);
        if (tok.decode(got) == v.text) ++round_trips;
        else
            mismatches += "\n  round trip of " + test::escaped(v.text) + " gave " + test::escaped(tok.decode(got));
    }
    INFO(name << ": " << passed << "/" << vectors.size() << " vectors match, " << round_trips << "/"
              << vectors.size() << " round-trip" << mismatches);
    CHECK(passed == vectors.size());
    CHECK(round_trips == vectors.size());
}

}  // namespace

TEST_CASE("llama-spm vocabulary: every test vector", "[tokenizer][vectors]") {
    const auto& tok = test::shared_tokenizer("llama-spm");
    CHECK(tok.model_type() == "llama");
    CHECK(tok.vocab_size() == 32000);
    check_all_vectors("llama-spm");
}

TEST_CASE("llama-bpe vocabulary: every test vector", "[tokenizer][vectors]") {
    const auto& tok = test::shared_tokenizer("llama-bpe");
    CHECK(tok.model_type() == "gpt2");
    CHECK(tok.pre_tokenizer() == "llama3");
    CHECK(tok.vocab_size() == 128256);
    check_all_vectors("llama-bpe");
}

TEST_CASE("gpt-2 vocabulary: every test vector", "[tokenizer][vectors]") {
    const auto& tok = test::shared_tokenizer("gpt-2");
    CHECK(tok.model_type() == "gpt2");
    CHECK(tok.pre_tokenizer() == "gpt-2");
    CHECK(tok.vocab_size() == 50257);
    check_all_vectors("gpt-2");
}

TEST_CASE("command-r vocabulary: every test vector", "[tokenizer][vectors]") {
    const auto& tok = test::shared_tokenizer("command-r");
    CHECK(tok.model_type() == "gpt2");
    CHECK(tok.pre_tokenizer() == "command-r");
    CHECK(tok.vocab_size() == 256000);
    check_all_vectors("command-r");
}

TEST_CASE("deepseek-llm vocabulary: every test vector", "[tokenizer][vectors]") {
    const auto& tok = test::shared_tokenizer("deepseek-llm");
    CHECK(tok.model_type() == "gpt2");
    CHECK(tok.pre_tokenizer() == "deepseek-llm");
    CHECK(tok.vocab_size() == 102400);
    check_all_vectors("deepseek-llm");
}

TEST_CASE("falcon vocabulary: every test vector", "[tokenizer][vectors]") {
    const auto& tok = test::shared_tokenizer("falcon");
    CHECK(tok.model_type() == "gpt2");
    CHECK(tok.pre_tokenizer() == "falcon");
    CHECK(tok.vocab_size() == 65024);
    check_all_vectors("falcon");
}

TEST_CASE("qwen35 vocabulary: every test vector", "[tokenizer][vectors]") {
    const auto& tok = test::shared_tokenizer("qwen35");
    CHECK(tok.model_type() == "gpt2");
    CHECK(tok.pre_tokenizer() == "qwen35");
    CHECK(tok.vocab_size() == 151936);
    check_all_vectors("qwen35");
}

TEST_CASE("gemma-4 vocabulary: every test vector", "[tokenizer][vectors]") {
    const auto& tok = test::shared_tokenizer("gemma-4");
    CHECK(tok.model_type() == "gemma4");
    CHECK(tok.pre_tokenizer() == "gemma4");
    CHECK(tok.vocab_size() == 262144);
    check_all_vectors("gemma-4");
}
