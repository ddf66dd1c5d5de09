// The repository listing: Hugging Face's tree entries, LFS checksums, and clear errors for
// anything else.
#include <catch2/catch.hpp>

#include <store/hf_listing.hpp>

using namespace plinth::store;

namespace {
const std::string sha = "c4b0d0f1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";
}

TEST_CASE("store: a listing gives files with their LFS checksum and size; folders are skipped", "[store][listing]") {
    const std::string json = R"([
      {"type": "file", "oid": "1a2b", "size": 1519, "path": ".gitattributes"},
      {"type": "directory", "oid": "3c4d", "size": 0, "path": "sub"},
      {"type": "file", "oid": "5e6f", "size": 135, "path": "sub/model-Q4_K_M.gguf",
       "lfs": {"oid": ")" + sha + R"(", "size": 807694464, "pointerSize": 135}}
    ])";
    const auto files = parse_listing(json);
    REQUIRE(files.size() == 2);
    CHECK(files[0].path == ".gitattributes");
    CHECK(files[0].size == 1519);
    CHECK(files[0].sha256.empty());
    CHECK(files[1].path == "sub/model-Q4_K_M.gguf");
    CHECK(files[1].size == 807694464);  // the content's size, not the pointer's
    CHECK(files[1].sha256 == sha);
}

TEST_CASE("store: an empty listing is no files", "[store][listing]") { CHECK(parse_listing("[]").empty()); }

TEST_CASE("store: malformed listings are refused with a clear message", "[store][listing]") {
    CHECK_THROWS_WITH(parse_listing("[{\"type\": \"file\""), Catch::Contains("malformed") && Catch::Contains("not valid JSON"));
    CHECK_THROWS_WITH(parse_listing(""), Catch::Contains("not valid JSON"));
    CHECK_THROWS_WITH(parse_listing("<html>404</html>"), Catch::Contains("not valid JSON"));
    // A number no double holds is nlohmann's out_of_range, not its parse_error (found by fuzz_hf_listing).
    CHECK_THROWS_WITH(parse_listing("10e4186"), Catch::Contains("not valid JSON"));
    CHECK_THROWS_WITH(parse_listing(R"([{"type": "file", "path": "a.gguf", "size": 1e999}])"), Catch::Contains("not valid JSON"));
    CHECK_THROWS_WITH(parse_listing("{\"error\": \"Repository not found\"}"), Catch::Contains("expected a JSON array"));
    CHECK_THROWS_WITH(parse_listing("[1]"), Catch::Contains("entry 0 is not an object"));
    CHECK_THROWS_WITH(parse_listing(R"([{"type": "file", "path": "a.gguf"}])"), Catch::Contains("'size'"));
    CHECK_THROWS_WITH(parse_listing(R"([{"type": "file", "path": "a.gguf", "size": -1}])"), Catch::Contains("'size'"));
    CHECK_THROWS_WITH(parse_listing(R"([{"path": "a.gguf", "size": 1}])"), Catch::Contains("'type'"));
    CHECK_THROWS_WITH(parse_listing(R"([{"type": "file", "path": "a.gguf", "size": 1, "lfs": {"oid": "xyz", "size": 1}}])"),
                      Catch::Contains("SHA-256"));
}

TEST_CASE("store: paths that would leave the store are refused", "[store][listing]") {
    for (const char* path : {"../evil.gguf", "/etc/passwd", "a/../../b.gguf", "a//b.gguf", "./a.gguf", "a\\\\b.gguf", ""}) {
        const std::string json = std::string(R"([{"type": "file", "size": 1, "path": ")") + path + "\"}]";
        CHECK_THROWS_WITH(parse_listing(json), Catch::Contains("unsafe path"));
    }
}
