// libFuzzer target for the tokenizers, over real vocabularies: the text a user or a client sends
// goes through encode(), and any ids through decode() and the stream decoder. The first byte picks
// the vocabulary and the mode; the rest is text, or (odd modes) ids. A finding: anything thrown, a
// sanitizer report, a slow input, an id outside the vocabulary, and any break of what
// docs/tokenizer.md promises:
// - decode(encode(x)) == x for byte-level BPE (any bytes, where the vocabulary has a plain token
//   for each of the 256) and for SPM (valid UTF-8 without U+2581, SPM's stand-in for a space);
// - the stream decoder's pieces, with its flush, are decode() of the same ids.
//
// It loads the vocabularies at start (the gguf plugin reads them):
//   PLINTH_FUZZ_VOCAB    colon-separated GGUF files (e.g. ../shared/vocab/ggml-vocab-gpt-2.gguf:...)
//   PLINTH_PLUGIN_PATH   the plugin folder of a normal build (build/lib/plinth/plugins)
#include <plinth/model_file.hpp>
#include <plinth/plugin_host.hpp>
#include <plinth/tokenizer.hpp>

#include <unicode.hpp>  // the tokenizers' own UTF-8 and byte stand-ins (internal; this target compiles them in)

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace plinth;

struct vocabulary_under_test {
    std::unique_ptr<tokenizer> tok;
    bool round_trips = false;  // what docs/tokenizer.md promises for this vocabulary's decode(encode(x))
};

plugin_host* host = nullptr;
std::vector<vocabulary_under_test>* vocabularies = nullptr;

[[noreturn]] void give_up(const std::string& why) {
    std::fprintf(stderr, "fuzz_tokenizer: %s\n", why.c_str());
    std::exit(2);
}

// UTF-8 as the tokenizers read it (no invalid byte, overlong form or surrogate).
bool valid_utf8(std::string_view s) {
    for (const auto& c : unicode::decode(s))
        if (c.value >= unicode::invalid_base) return false;
    return true;
}

// Byte-level BPE writes each byte as a stand-in character (unicode::byte_to_code_point). A
// vocabulary without a token for one of them (Falcon's lacks 28) cannot keep that byte, nor one
// whose token for it is user-defined text (DeepSeek LLM's for the 13 bytes UTF-8 never holds: it
// decodes as that character's UTF-8).
bool has_every_byte(const tokenizer& tok) {
    for (uint32_t b = 0; b < 256; ++b) {
        std::string text;
        unicode::append_utf8(text, unicode::byte_to_code_point(static_cast<uint8_t>(b)));
        const int32_t id = tok.find(text);
        if (id < 0 || tok.type_of(id) == token_type::user_defined) return false;
    }
    return true;
}

void check_stream(const tokenizer& tok, const std::vector<int32_t>& ids, bool text_start) {
    stream_decoder stream(tok, text_start);
    std::string streamed;
    for (const int32_t id : ids) streamed += stream.push(id);
    streamed += stream.flush();
    const std::string whole = text_start ? tok.decode(ids) : [&] {
        std::string pieces;
        for (const int32_t id : ids) pieces += tok.token_piece(id);
        return pieces;
    }();
    if (streamed != whole) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const char* list = std::getenv("PLINTH_FUZZ_VOCAB");
    if (!list || !*list) give_up("set PLINTH_FUZZ_VOCAB to GGUF vocabularies (and PLINTH_PLUGIN_PATH to the plugins)");
    try {
        host = new plugin_host;  // never freed, as the tokenizers that use it
        plugin_search search;
        search.enable = {"gguf"};
        host->load(search);
        vocabularies = new std::vector<vocabulary_under_test>;
        for (std::string_view rest = list; !rest.empty();) {
            const size_t colon = rest.find(':');
            const std::string path(rest.substr(0, colon));
            rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
            if (path.empty()) continue;
            const auto file = model_file::open(*host, path);
            vocabulary_under_test v{tokenizer::from_model(*file)};
            v.round_trips = v.tok->model_type() == "llama" || (v.tok->model_type() == "gpt2" && has_every_byte(*v.tok));
            std::fprintf(stderr, "fuzz_tokenizer: %s (%s): round trip %s\n", path.c_str(), v.tok->model_type().c_str(),
                         v.round_trips ? "checked" : "not promised");
            vocabularies->push_back(std::move(v));
        }
    } catch (const std::exception& e) {
        give_up(e.what());
    }
    if (vocabularies->empty()) give_up("PLINTH_FUZZ_VOCAB names no file");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const vocabulary_under_test& v = (*vocabularies)[(data[0] >> 2) % vocabularies->size()];
    const tokenizer& tok = *v.tok;
    const unsigned mode = data[0] & 3;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto vocab = static_cast<int64_t>(tok.vocab_size());
    if (mode & 1) {
        // Ids: every 2 bytes one, within the vocabulary.
        std::vector<int32_t> ids;
        for (size_t i = 0; i + 1 < rest.size(); i += 2)
            ids.push_back(static_cast<int32_t>((static_cast<unsigned char>(rest[i]) | static_cast<unsigned char>(rest[i + 1]) << 8) % vocab));
        (void)tok.decode(ids);
        check_stream(tok, ids, mode == 3);
        return 0;
    }
    const bool special = mode == 2;  // add_special and parse_special together, or neither
    const std::vector<int32_t> ids = tok.encode(rest, special, special);
    for (const int32_t id : ids)
        if (id < 0 || id >= vocab) __builtin_trap();
    check_stream(tok, ids, true);
    if (!special) {
        // SPM writes a space as U+2581 and reads U+2581 back as a space, so text holding that
        // character comes back with spaces instead (as SentencePiece's own does).
        const bool promised =
            v.round_trips && (tok.model_type() == "gpt2" || (valid_utf8(rest) && rest.find("\xe2\x96\x81") == std::string_view::npos));
        if (promised && tok.decode(ids) != rest) __builtin_trap();
    }
    return 0;
}
