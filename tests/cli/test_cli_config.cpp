// plinth config validate: every shipped config is ok; broken ones give file:line:column and exit 1.
#include <catch2/catch.hpp>

#include "cli.hpp"

#include <filesystem>

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
