// Which files `plinth pull REPO[:QUANT|:FILE]` fetches: quantization and file selection, the
// repository's only model, and split models fetched whole.
#include <catch2/catch.hpp>

#include <store/model_selection.hpp>

using namespace plinth::store;

namespace {

std::vector<remote_file> repo(std::initializer_list<const char*> paths) {
    std::vector<remote_file> files;
    for (const char* p : paths) files.push_back({p, 1, ""});
    return files;
}

std::vector<std::string> paths_of(const std::vector<remote_file>& files) {
    std::vector<std::string> out;
    for (const auto& f : files) out.push_back(f.path);
    return out;
}

}  // namespace

TEST_CASE("store: references are OWNER/REPO with an optional :QUANT or :FILE", "[store][selection]") {
    CHECK(parse_reference("ggml-org/gemma-3-1b-it-GGUF").repo == "ggml-org/gemma-3-1b-it-GGUF");
    CHECK(parse_reference("ggml-org/gemma-3-1b-it-GGUF").selector.empty());
    const auto r = parse_reference("a/b:Q4_K_M");
    CHECK(r.repo == "a/b");
    CHECK(r.selector == "Q4_K_M");
    CHECK(parse_reference("a/b:dir/f.gguf").selector == "dir/f.gguf");
    for (const char* bad : {"", "gemma", "a/b/c", "/b", "a/", "a/b:", "a/..", "a b/c", "a/b?x"})
        CHECK_THROWS_AS(parse_reference(bad), std::invalid_argument);
}

TEST_CASE("store: split names: name-NNNNN-of-NNNNN.gguf", "[store][selection]") {
    const auto s = parse_split_name("dir/model-Q8_0-00002-of-00003.gguf");
    REQUIRE(s);
    CHECK(s->stem == "dir/model-Q8_0");
    CHECK(s->part == 2);
    CHECK(s->count == 3);
    CHECK_FALSE(parse_split_name("model-Q8_0.gguf"));
    CHECK_FALSE(parse_split_name("model-00004-of-00003.gguf"));
    CHECK_FALSE(parse_split_name("model-00000-of-00003.gguf"));
    CHECK_FALSE(parse_split_name("model-0001-of-00003.gguf"));
    CHECK_FALSE(parse_split_name("-00001-of-00003.gguf"));
}

TEST_CASE("store: split parts are grouped into one model, in order; a missing part is an error", "[store][selection]") {
    const auto models = group_models(repo({"README.md", "big-00002-of-00003.gguf", "small.gguf", "big-00003-of-00003.gguf",
                                           "big-00001-of-00003.gguf"}));
    REQUIRE(models.size() == 2);
    CHECK(paths_of(models[0]) == std::vector<std::string>{"big-00001-of-00003.gguf", "big-00002-of-00003.gguf", "big-00003-of-00003.gguf"});
    CHECK(paths_of(models[1]) == std::vector<std::string>{"small.gguf"});
    CHECK_THROWS_WITH(group_models(repo({"big-00001-of-00003.gguf", "big-00003-of-00003.gguf"})), Catch::Contains("part 2 of 3"));
}

TEST_CASE("store: a quantization picks the one model whose file name contains it, ignoring case", "[store][selection]") {
    const auto files = repo({"m-Q4_K_M.gguf", "m-Q4_K_S.gguf", "m-Q8_0.gguf", "README.md", "m-f16-00001-of-00002.gguf", "m-f16-00002-of-00002.gguf"});
    CHECK(paths_of(select_model(files, "Q4_K_M")) == std::vector<std::string>{"m-Q4_K_M.gguf"});
    CHECK(paths_of(select_model(files, "q8_0")) == std::vector<std::string>{"m-Q8_0.gguf"});
    CHECK(select_model(files, "F16").size() == 2);
    CHECK_THROWS_WITH(select_model(files, "Q4_K"), Catch::Contains("several models match") && Catch::Contains("m-Q4_K_M.gguf") &&
                                                       Catch::Contains("m-Q4_K_S.gguf") && !Catch::Contains("Q8_0"));
    CHECK_THROWS_WITH(select_model(files, "Q5_K_M"), Catch::Contains("no model") && Catch::Contains("m-Q8_0.gguf"));
}

TEST_CASE("store: a file picks its model; a split part picks every part", "[store][selection]") {
    const auto files = repo({"a/m-Q4_0.gguf", "b/m-Q4_0.gguf", "m-00001-of-00002.gguf", "m-00002-of-00002.gguf"});
    CHECK(paths_of(select_model(files, "b/m-Q4_0.gguf")) == std::vector<std::string>{"b/m-Q4_0.gguf"});
    CHECK(select_model(files, "m-00002-of-00002.gguf").size() == 2);
    CHECK_THROWS_WITH(select_model(files, "m-Q4_0.gguf"), Catch::Contains("no model"));
    CHECK_THROWS_WITH(select_model(files, "Q4_0"), Catch::Contains("several"));
}

TEST_CASE("store: a bare repository needs exactly one model", "[store][selection]") {
    CHECK(paths_of(select_model(repo({"README.md", "only.gguf"}), "")) == std::vector<std::string>{"only.gguf"});
    CHECK(select_model(repo({"x-00001-of-00002.gguf", "x-00002-of-00002.gguf"}), "").size() == 2);
    CHECK_THROWS_WITH(select_model(repo({"a.gguf", "b.gguf"}), ""), Catch::Contains("several models") && Catch::Contains("a.gguf") && Catch::Contains("b.gguf"));
    CHECK_THROWS_WITH(select_model(repo({"README.md"}), ""), Catch::Contains("no .gguf model"));
}
