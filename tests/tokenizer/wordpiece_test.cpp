// WordPiece ("bert") on hand-made vocabularies: BERT's basic pre-tokenization, greedy
// longest-match-first word pieces, the unknown token for words that cannot be spelled.
#include <catch2/catch.hpp>

#include <plinth/tokenizer.hpp>

#include <string>
#include <vector>

using namespace plinth;
using ids = std::vector<int32_t>;

namespace {

// Hugging Face's spelling: word starts bare, continuations with "##".
vocabulary hash_vocab() {
    vocabulary v;
    v.model = "bert";
    v.tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "un",    "##aff", "##able", "the", ",",    "runn",
                "##ing", "!",     "want",  "##ed",  "wa",    "hello", "\xE6\x88\x91" /* 我 */, "##s", "##want"};
    v.types.assign(v.tokens.size(), token_type::normal);
    v.types[0] = v.types[2] = v.types[3] = token_type::control;
    v.types[1] = token_type::unknown;
    v.bos_id = 2;
    v.eos_id = 3;
    v.unknown_id = 1;
    return v;
}

}  // namespace

TEST_CASE("WordPiece: greedy longest match with ## continuations", "[tokenizer][wordpiece]") {
    const auto tok = tokenizer::from_vocabulary(hash_vocab());
    CHECK(tok->model_type() == "bert");
    CHECK(tok->encode("unaffable", false, false) == ids{4, 5, 6});
    CHECK(tok->encode("wanted", false, false) == ids{12, 13});  // "want" before "wa"
    CHECK(tok->encode("the running", false, false) == ids{7, 9, 10});
    // Uncased vocabulary: the text is lower-cased; punctuation is a word of its own.
    CHECK(tok->encode("UNwanted, running!", false, false) == ids{4, 18, 13, 8, 9, 10, 11});
    // Whitespace of any kind separates words; control characters vanish.
    CHECK(tok->encode("  hello\tthe\n", false, false) == ids{15, 7});
    CHECK(tok->encode("hel\x01lo", false, false) == ids{15});
    // Every CJK ideograph is a word.
    CHECK(tok->encode("\xE6\x88\x91\xE6\x88\x91", false, false) == ids{16, 16});
    CHECK(tok->encode("", false, false).empty());
}

TEST_CASE("WordPiece: a word that cannot be spelled is one [UNK]", "[tokenizer][wordpiece]") {
    const auto tok = tokenizer::from_vocabulary(hash_vocab());
    CHECK(tok->encode("xyz", false, false) == ids{1});
    CHECK(tok->encode("unx the", false, false) == ids{1, 7});  // not "un" + [UNK]
    CHECK(tok->encode(std::string(101, 'a'), false, false) == ids{1});  // over 100 characters
}

TEST_CASE("WordPiece: [CLS] and [SEP] around the text, decoding", "[tokenizer][wordpiece]") {
    const auto tok = tokenizer::from_vocabulary(hash_vocab());
    CHECK(tok->add_bos());
    CHECK(tok->add_eos());
    CHECK(tok->encode("hello", true, false) == ids{2, 15, 3});
    CHECK(tok->encode("[SEP]", false, true) == ids{3});
    CHECK(tok->decode({4, 5, 6}) == "unaffable");
    CHECK(tok->decode({2, 15, 8, 7, 3}) == "hello , the");
}

TEST_CASE("WordPiece: a cased vocabulary keeps the case", "[tokenizer][wordpiece]") {
    auto v = hash_vocab();
    v.tokens.push_back("Hello");
    v.types.push_back(token_type::normal);
    const auto tok = tokenizer::from_vocabulary(v);
    CHECK(tok->encode("Hello hello HELLO", false, false) == ids{19, 15, 1});
}

TEST_CASE("WordPiece: the GGUF spelling, word starts marked with U+2581", "[tokenizer][wordpiece]") {
    // What GGUF converters write: "▁un" starts a word, "aff" continues one.
    vocabulary v;
    v.model = "bert";
    v.tokens = {"[UNK]", "[CLS]", "[SEP]", "\xE2\x96\x81un", "aff", "able", "\xE2\x96\x81hello", "\xE2\x96\x81,", "un"};
    v.types.assign(v.tokens.size(), token_type::normal);
    v.types[0] = token_type::unknown;
    v.types[1] = v.types[2] = token_type::control;
    v.unknown_id = 0;
    v.bos_id = 1;
    v.eos_id = 2;
    const auto tok = tokenizer::from_vocabulary(v);
    CHECK(tok->encode("unaffable, hello", false, false) == ids{3, 4, 5, 7, 6});
    CHECK(tok->encode("ununable", false, false) == ids{3, 8, 5});
    CHECK(tok->encode("able", false, false) == ids{0});  // "able" only continues a word
    CHECK(tok->decode({1, 3, 4, 5, 6, 2}) == "unaffable hello");
}
