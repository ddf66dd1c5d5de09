// Every malformed GGUF of the corpus: `plinth inspect` prints an error and exits 1, never a signal.
#include <catch2/catch.hpp>

#include "cli.hpp"
#include "file_bytes.hpp"
#include "malformed_corpus.hpp"

#include <filesystem>

using namespace plinth::test;

TEST_CASE("plinth inspect refuses every malformed GGUF with a message and exit 1", "[cli][gguf]") {
    const auto valid = plinth::gguf_test::read_file_bytes(shared_model("stories260K.gguf"));
    const auto corpus = plinth::gguf_test::make_malformed_corpus(valid);
    REQUIRE(corpus.size() >= 30);

    const auto dir = std::filesystem::temp_directory_path() / "plinth-cli-malformed";
    std::filesystem::create_directories(dir);
    for (const auto& variant : corpus) {
        INFO(variant.name);
        const auto path = dir / (variant.name + ".gguf");
        plinth::gguf_test::write_file_bytes(path, variant.data);
        const auto r = run_plinth("inspect " + shell_quote(path.string()));
        CHECK_FALSE(r.signaled);
        CHECK(r.exit_code == 1);
        // A file whose magic is wrong is not GGUF at all: no format plugin claims it.
        CHECK_THAT(r.err, Catch::Contains(path.filename().string()) &&
                              (Catch::Contains(variant.expected_error) ||
                               Catch::Contains("no loaded format plugin recognises this file")));
        CHECK(r.out.empty());
    }
    std::filesystem::remove_all(dir);
}
