// plinth config validate: every shipped config is ok; broken ones give file:line:column and exit 1.
#include <catch2/catch.hpp>

#include "cli.hpp"

#include <filesystem>
#include <fstream>

#include <unistd.h>

using namespace plinth::test;

TEST_CASE("plinth config validate accepts every file in configs/", "[cli][config]") {
    std::string files;
    int count = 0;
    for (const auto& e : std::filesystem::directory_iterator(std::string(PLINTH_SOURCE_DIR) + "/configs"))
        if (e.path().extension() == ".yaml") {
            files += " " + shell_quote(e.path().string());
            ++count;
        }
    REQUIRE(count > 0);
    const auto r = run_plinth("config validate" + files);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "ok\n");
}

TEST_CASE("plinth config validate reports broken files with file:line:column and exit 1", "[cli][config]") {
    const auto dir = std::filesystem::path(PLINTH_SOURCE_DIR) / "tests/config/broken";
    int count = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() != ".yaml") continue;
        ++count;
        INFO(e.path().string());
        const auto r = run_plinth("config validate " + shell_quote(e.path().string()));
        CHECK(r.exit_code == 1);
        CHECK_FALSE(r.signaled);
        CHECK_THAT(r.err, Catch::Matches(R"([\s\S]*)" + e.path().filename().string() + R"(:\d+:\d+: [\s\S]+)"));
        CHECK(r.out.empty());
    }
    CHECK(count >= 10);
}

TEST_CASE("plinth config validate judges backends sections by what the loaded plugins declare", "[cli][config]") {
    int count = 0;
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(PLINTH_SOURCE_DIR) / "tests/config/broken-backends")) {
        ++count;
        const std::string file = e.path().string();
        const auto r = run_plinth("config validate " + shell_quote(file));
        INFO(file << "\n" << r.err);
        CHECK(r.exit_code == 1);
        std::ifstream in(e.path());
        int expectations = 0;
        for (std::string line; std::getline(in, line);) {
            if (line.rfind("# expect: ", 0) != 0) continue;
            ++expectations;
            CHECK_THAT(r.err, Catch::Contains(file + ":" + line.substr(10)));
        }
        CHECK(expectations > 0);
    }
    CHECK(count == 4);
}

TEST_CASE("plinth config validate reports what the file names but this machine lacks", "[cli][config]") {
    const auto dir = std::filesystem::temp_directory_path() / ("plinth-validate-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto file = dir / "deploy.yaml";
    std::ofstream(file) << "model:\n  path: nothere.gguf\nplugins:\n  paths: [nofolder]\n  enable: [cpu, gguf, cuda9]\n"
                           "placement:\n  - layers: 0-\n    device: cpu:7\n"
                           "models:\n  - name: other\n    path: missing.gguf\n    placement:\n      - layers: 0-\n        device: cpu:5\n";
    const auto r = run_plinth("config validate " + shell_quote(file.string()));
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::Contains("model.path") && Catch::Contains("nothere.gguf is not a file"));
    CHECK_THAT(r.err, Catch::Contains("plugins.paths: the folder") && Catch::Contains("nofolder does not exist"));
    CHECK_THAT(r.err, Catch::Contains("plugins.enable names 'cuda9', but no plugin of that name was found"));
    CHECK_THAT(r.err, Catch::Contains("deploy.yaml:7:5: device cpu:7 does not exist here"));
    CHECK_THAT(r.err, Catch::Contains("deploy.yaml:10:5: model 'other': ") && Catch::Contains("missing.gguf is not a file"));
    CHECK_THAT(r.err, Catch::Contains("deploy.yaml:13:9: device cpu:5 does not exist here"));
    // A run with the same plugin settings refuses them too, rather than ignoring them.
    const auto run = run_plinth("run --config " + shell_quote(file.string()) + " -m " + model_arg("stories260K.gguf") + " -p Once -n 1");
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err, Catch::Contains("plugins.paths"));
    std::filesystem::remove_all(dir);
}
