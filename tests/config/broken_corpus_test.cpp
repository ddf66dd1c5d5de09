// Every file in tests/config/broken/ must be refused with exactly the diagnostics its
// "# expect: LINE:COLUMN: message fragment" lines announce, in order.
#include <plinth/config.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct expectation {
    int line = 0;
    int column = 0;
    std::string fragment;
};

const fs::path broken_dir = fs::path(PLINTH_SOURCE_DIR) / "tests" / "config" / "broken";

std::vector<expectation> expectations_of(const fs::path& file) {
    std::ifstream in(file);
    std::vector<expectation> out;
    const std::string marker = "# expect: ";
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(marker, 0) != 0) continue;
        const std::string rest = line.substr(marker.size());
        const auto first_colon = rest.find(':');
        const auto second_colon = rest.find(':', first_colon + 1);
        REQUIRE(first_colon != std::string::npos);
        REQUIRE(second_colon != std::string::npos);
        expectation e;
        e.line = std::stoi(rest.substr(0, first_colon));
        e.column = std::stoi(rest.substr(first_colon + 1, second_colon - first_colon - 1));
        e.fragment = rest.substr(second_colon + 1);
        e.fragment.erase(0, e.fragment.find_first_not_of(' '));
        out.push_back(e);
    }
    return out;
}

std::vector<fs::path> corpus() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(broken_dir))
        if (entry.path().extension() == ".yaml") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

TEST_CASE("the broken corpus covers the required kinds of mistakes", "[config][broken]") {
    const std::vector<std::string> required{
        "syntax-unclosed-bracket", "syntax-bad-indentation", "syntax-tab", "unknown-top-level-key",
        "typo-contxt", "typo-plugin", "wrong-type-context-string",
        "wrong-type-paths-map", "wrong-type-level-list",
        "out-of-range-context-negative", "out-of-range-context-huge", "invalid-log-level",
        "bad-device-id", "bad-layer-range-reversed", "bad-layer-range-letters", "overlapping-layers",
        "rule-layers-and-tensors", "rule-neither", "bad-regex", "budget-parsecs", "budget-zero",
        "many-errors"};
    for (const auto& name : required) {
        INFO(name);
        CHECK(fs::exists(broken_dir / (name + ".yaml")));
    }
}

TEST_CASE("every file of the broken corpus gives the announced diagnostics", "[config][broken]") {
    const auto files = corpus();
    REQUIRE(files.size() >= 24);
    for (const auto& file : files) {
        INFO("file: " << file.filename().string());
        const auto expected = expectations_of(file);
        REQUIRE_FALSE(expected.empty());
        std::vector<plinth::config_diagnostic> got;
        try {
            plinth::load_config_file(file);
            FAIL_CHECK("the file loaded without error");
            continue;
        } catch (const plinth::config_error& e) {
            got = e.diagnostics();
            INFO("what(): " << e.what());
            CHECK(got.size() == expected.size());
        }
        for (std::size_t i = 0; i < std::min(got.size(), expected.size()); ++i) {
            INFO("diagnostic " << i << ": " << got[i].str());
            CHECK(got[i].file == file.string());
            CHECK(got[i].line == expected[i].line);
            CHECK(got[i].column == expected[i].column);
            CHECK_THAT(got[i].message, Catch::Matchers::Contains(expected[i].fragment));
            CHECK(got[i].str().rfind(file.string() + ":" + std::to_string(expected[i].line) + ":" +
                                         std::to_string(expected[i].column) + ": ",
                                     0) == 0);
        }
    }
}
