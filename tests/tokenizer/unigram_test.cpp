// Unigram ("t5") on hand-made vocabularies: the segmentation with the best total score, spaces
// as U+2581, unknown characters, T5's defaults.
#include <catch2/catch.hpp>

#include <plinth/tokenizer.hpp>

#include <string>
#include <vector>

using namespace plinth;
using ids = std::vector<int32_t>;

namespace {

vocabulary tiny_unigram() {
    vocabulary v;
    v.model = "t5";
    // 0 <pad>, 1 </s>, 2 <unk>, 3 ▁, 4 ▁a, 5 b, 6 c, 7 bc, 8 ▁abc, 9 a, 10 <x> (user-defined)
    v.tokens = {"<pad>", "</s>", "<unk>", "\xE2\x96\x81", "\xE2\x96\x81" "a", "b", "c", "bc", "\xE2\x96\x81" "abc", "a", "<x>"};
    v.types = {token_type::control, token_type::control, token_type::unknown, token_type::normal,
               token_type::normal,  token_type::normal,  token_type::normal,  token_type::normal,
               token_type::normal,  token_type::normal,  token_type::user_defined};
    v.scores = {0.0f, 0.0f, 0.0f, -3.0f, -1.0f, -2.5f, -2.5f, -2.0f, -10.0f, -1.0f, 0.0f};
    v.padding_id = 0;
    v.eos_id = 1;
    v.unknown_id = 2;
    return v;
}

}  // namespace

TEST_CASE("Unigram: the best-scoring segmentation, not the longest token", "[tokenizer][unigram]") {
    auto v = tiny_unigram();
    const auto tok = tokenizer::from_vocabulary(v);
    CHECK(tok->model_type() == "t5");
    // ▁a + bc = -3 beats ▁abc = -10 and ▁a + b + c = -6.
    CHECK(tok->encode("abc", false, false) == ids{4, 7});
    v.scores[8] = -2.9f;  // now the single token wins
    CHECK(tokenizer::from_vocabulary(v)->encode("abc", false, false) == ids{8});
}

TEST_CASE("Unigram: whitespace normalised to single U+2581", "[tokenizer][unigram]") {
    const auto tok = tokenizer::from_vocabulary(tiny_unigram());
    CHECK(tok->encode("  a \t  bc  ", false, false) == ids{4, 3, 7});
    CHECK(tok->encode("   ", false, false).empty());
    CHECK(tok->decode({4, 3, 7}) == "a bc");
    CHECK(tok->decode({4, 7}) == "abc");
}

TEST_CASE("Unigram: unknown characters, one <unk> per run", "[tokenizer][unigram]") {
    const auto tok = tokenizer::from_vocabulary(tiny_unigram());
    CHECK(tok->encode("azzb", false, false) == ids{4, 2, 5});
    CHECK(tok->encode("a\xC3\xA9" "b", false, false) == ids{4, 2, 5});  // é, two bytes, one character
    CHECK(tok->encode("az b", false, false) == ids{4, 2, 3, 5});
}

TEST_CASE("Unigram: T5 defaults and user-defined tokens", "[tokenizer][unigram]") {
    const auto tok = tokenizer::from_vocabulary(tiny_unigram());
    CHECK_FALSE(tok->add_bos());
    CHECK(tok->add_eos());
    CHECK(tok->encode("abc", true, false) == ids{4, 7, 1});
    CHECK(tok->encode("a<x>", false, false) == ids{4, 10});
    auto v = tiny_unigram();
    v.add_space_prefix = false;
    CHECK(tokenizer::from_vocabulary(v)->encode("abc", false, false) == ids{9, 7});
}
