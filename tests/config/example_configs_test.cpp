// Every deployment file shipped in configs/ must load without a single diagnostic. The folder is
// listed when the test runs, so a new example is covered the moment it is added.
#include <plinth/config.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path configs_dir = fs::path(PLINTH_SOURCE_DIR) / "configs";

std::vector<fs::path> example_files() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(configs_dir)) {
        const auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

TEST_CASE("every file in configs/ is a valid deployment file", "[config][examples]") {
    const auto files = example_files();
    REQUIRE(files.size() >= 3);
    for (const auto& file : files) {
        INFO("file: " << file.string());
        try {
            const plinth::config cfg = plinth::load_config_file(file);
            CHECK(cfg.source_file == file.string());
        } catch (const plinth::config_error& e) {
            FAIL_CHECK(e.what());
        }
    }
}

TEST_CASE("the named examples say what they are meant to show", "[config][examples]") {
    SECTION("minimal.yaml names a model and nothing else") {
        const auto cfg = plinth::load_config_file(configs_dir / "minimal.yaml");
        CHECK_FALSE(cfg.model.path.empty());
        CHECK(cfg.set_by_file == std::set<std::string, std::less<>>{"model.path"});
    }
    SECTION("cpu.yaml sets the CPU backend") {
        const auto cfg = plinth::load_config_file(configs_dir / "cpu.yaml");
        CHECK(cfg.backends.at("cpu").options.count("threads") == 1);
        CHECK(cfg.placement.rules.empty());
    }
    SECTION("placement-example.yaml has layer rules and a tensor override on cpu:0") {
        const auto cfg = plinth::load_config_file(configs_dir / "placement-example.yaml");
        const auto& rules = cfg.placement.rules;
        REQUIRE_FALSE(rules.empty());
        CHECK(std::any_of(rules.begin(), rules.end(), [](const auto& r) { return r.layers.has_value(); }));
        CHECK(std::any_of(rules.begin(), rules.end(), [](const auto& r) { return r.tensors.has_value(); }));
        for (const auto& r : rules) CHECK(r.device.str() == "cpu:0");
    }
}
