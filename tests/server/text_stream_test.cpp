// Stop strings are matched across token boundaries and never emitted; UTF-8 stays whole.
#include <plinth/text_stream.hpp>

#include "../tokenizer/tokenizer_test_support.hpp"

#include <catch2/catch.hpp>

namespace {

struct streamed {
    std::string text;
    bool stopped = false;
};

streamed run(const plinth::tokenizer& tok, const std::string& text, std::vector<std::string> stop) {
    plinth::text_stream ts(tok, std::move(stop));
    streamed out;
    for (int32_t id : tok.encode(text, false, false)) {
        auto s = ts.push(id);
        out.text += s.text;
        if (s.stopped) {
            out.stopped = true;
            return out;
        }
    }
    out.text += ts.finish();
    return out;
}

// The pieces of the text's tokens, as a generated continuation shows them.
std::string pieces(const plinth::tokenizer& tok, const std::string& text) {
    std::string out;
    for (int32_t id : tok.encode(text, false, false)) out += tok.token_piece(id);
    return out;
}

}  // namespace

TEST_CASE("text without stop strings comes out whole", "[server][text]") {
    const auto& tok = plinth::test::shared_tokenizer("stories260K.gguf");
    const std::string text = "Once upon a time, there was a little girl.";
    const auto out = run(tok, text, {});
    CHECK(out.text == pieces(tok, text));
    CHECK_FALSE(out.stopped);
}

TEST_CASE("a stop string spanning tokens ends the text just before it", "[server][text]") {
    const auto& tok = plinth::test::shared_tokenizer("stories260K.gguf");
    const std::string text = " there was a little girl named Lily. She loved";
    const std::string full = pieces(tok, text);
    for (const std::string stop : {"little girl", "Lily.", "e", ". She"}) {
        const auto out = run(tok, text, {"nothing-like-this", stop});
        CHECK(out.stopped);
        CHECK(out.text == full.substr(0, full.find(stop)));
    }
}

TEST_CASE("held-back text that does not become a stop string is released", "[server][text]") {
    const auto& tok = plinth::test::shared_tokenizer("stories260K.gguf");
    const std::string text = " the little dog";
    const std::string full = pieces(tok, text);
    const auto out = run(tok, text, {"little cat", "dogs"});
    CHECK_FALSE(out.stopped);
    CHECK(out.text == full);
}
