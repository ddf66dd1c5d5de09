// Every malformed variant is refused with format_error, from memory and from a mapped file, and for
// the reason its name gives.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "file_bytes.hpp"
#include "gguf_reader.hpp"
#include "malformed_corpus.hpp"
#include "scoped_temp_dir.hpp"
#include "shared_dir.hpp"

using plinth::gguf::format_error;
using plinth::gguf::gguf_file;
using namespace plinth::gguf_test;

namespace {

constexpr const char* corpus_sources[] = {"stories260K.gguf", "stories260K-Q8_0.gguf"};

std::vector<malformed_variant> corpus_of(const char* model) {
    return make_malformed_corpus(read_file_bytes(plinth::test::shared_model(model)));
}

// The message of the format_error that `parse` throws; fails the test when it throws nothing.
template <class Parse>
std::string format_error_message(Parse parse) {
    try {
        parse();
    } catch (const format_error& e) {
        return e.what();
    }
    FAIL("the malformed file was accepted");
    return {};
}

}  // namespace

TEST_CASE("the malformed corpus has at least 30 distinct variants over a re-encodable source") {
    for (const char* model : corpus_sources) {
        DYNAMIC_SECTION(model) {
            const auto source = read_file_bytes(plinth::test::shared_model(model));
            // The variants are edits of the source re-encoded; that re-encoding itself must be valid,
            // so each variant fails because of its edit alone.
            const auto reencoded = encode(decode(source));
            CHECK(reencoded == source);
            CHECK_NOTHROW(gguf_file::from_memory(reencoded));

            const auto variants = make_malformed_corpus(source);
            CHECK(variants.size() >= 30);
            std::set<std::string> names;
            for (const auto& variant : variants) {
                CHECK(names.insert(variant.name).second);
                CHECK(variant.data != source);
            }
        }
    }
}

TEST_CASE("every malformed variant is refused from memory for its reason") {
    for (const char* model : corpus_sources) {
        for (const auto& variant : corpus_of(model)) {
            INFO(model << ": " << variant.name);
            // An exact-size copy on the heap, so a sanitizer build flags any read past its end.
            const std::vector<std::byte> copy = variant.data;
            const auto message = format_error_message([&] { (void)gguf_file::from_memory(copy); });
            CHECK_THAT(message, Catch::Matchers::Contains(variant.expected_error));
        }
    }
}

TEST_CASE("every malformed variant is refused from a file for its reason") {
    const scoped_temp_dir dir("gguf-malformed");
    for (const auto& variant : corpus_of("stories260K.gguf")) {
        INFO(variant.name);
        const auto path = dir.path() / (variant.name + ".gguf");
        write_file_bytes(path, variant.data);
        const auto message = format_error_message([&] { (void)gguf_file::open(path); });
        CHECK_THAT(message, Catch::Matchers::Contains(variant.expected_error));
    }
}

TEST_CASE("format errors carry the byte offset") {
    const auto variants = corpus_of("stories260K.gguf");
    const auto bad_version = std::find_if(variants.begin(), variants.end(),
                                          [](const malformed_variant& v) { return v.name == "version_99"; });
    REQUIRE(bad_version != variants.end());
    try {
        (void)gguf_file::from_memory(bad_version->data);
        FAIL("accepted");
    } catch (const format_error& e) {
        CHECK(e.offset() == 4);
        CHECK_THAT(e.what(), Catch::Matchers::EndsWith("(at byte 4)"));
    }
}
