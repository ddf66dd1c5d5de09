// plinth plugins / devices / --version / help, as a user runs them.
#include <catch2/catch.hpp>

#include "cli.hpp"

using namespace plinth::test;

TEST_CASE("plinth plugins shows gguf and cpu loaded", "[cli]") {
    const auto r = run_plinth("plugins");
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Matches(R"([\s\S]*\ncpu +backend +\S+ +1\.1 +loaded [\s\S]*)"));
    CHECK_THAT(r.out, Catch::Matches(R"([\s\S]*\ngguf +format +\S+ +1\.1 +loaded [\s\S]*)"));
}

TEST_CASE("broken plugins in a plugin folder are listed as refused, and the rest still works", "[cli]") {
    const std::string env = "PLINTH_PLUGIN_PATH=" + shell_quote(PLINTH_TEST_PLUGIN_FOLDER);
    const auto r = run_command("env " + env + " " + shell_quote(PLINTH_CLI) + " plugins");
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("test-not-a-plugin.so") && Catch::Contains("no 'plinth_plugin_entry' symbol"));
    CHECK_THAT(r.out, Catch::Contains("test-abi-major-2.so") && Catch::Contains("ABI major 2, but this host speaks ABI major 1"));
    CHECK_THAT(r.out, Catch::Contains("test-probe-refuses.so") && Catch::Contains("probe: no imaginary accelerator found"));
    // The refusals are also logged, with the file, at the default (warn) level.
    CHECK_THAT(r.err, Catch::Contains("test-abi-major-2.so refused"));

    const auto devices = run_command("env " + env + " " + shell_quote(PLINTH_CLI) + " devices");
    REQUIRE(devices.exit_code == 0);
    CHECK_THAT(devices.out, Catch::Contains("cpu:0"));
    CHECK_THAT(devices.out, Catch::Contains("testdev:1"));

    const auto inspect = run_command("env " + env + " " + shell_quote(PLINTH_CLI) + " inspect " + model_arg("stories260K.gguf"));
    REQUIRE(inspect.exit_code == 0);
    CHECK_THAT(inspect.out, Catch::Contains("architecture:   llama"));
}

TEST_CASE("plinth devices lists the CPU with its memory", "[cli]") {
    const auto r = run_plinth("devices");
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Matches(R"([\s\S]*\ncpu:0 +cpu +\d+\.\d GiB +\d+\.\d GiB [\s\S]*)"));
}

TEST_CASE("version, help and unknown verbs", "[cli]") {
    const auto version = run_plinth("--version");
    CHECK(version.exit_code == 0);
    CHECK_THAT(version.out, Catch::StartsWith("plinth 0.") && Catch::Contains("plugin ABI 1.1"));

    const auto help = run_plinth("help inspect");
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains("--tensors") && Catch::Contains("--config") && Catch::Contains("--log-level"));

    const auto unknown = run_plinth("frobnicate");
    CHECK(unknown.exit_code == 1);
    CHECK_THAT(unknown.err, Catch::Contains("unknown verb 'frobnicate'"));

    const auto bad_flag = run_plinth("devices --no-such-flag");
    CHECK(bad_flag.exit_code == 1);
    CHECK_THAT(bad_flag.err, Catch::Contains("no-such-flag"));

    const auto bad_level = run_plinth("devices --log-level loud");
    CHECK(bad_level.exit_code == 1);
    CHECK_THAT(bad_level.err, Catch::Contains("unknown log level 'loud'"));
}

TEST_CASE("a config can disable a plugin", "[cli]") {
    const auto r = run_plinth("plugins --config " + shell_quote(std::string(PLINTH_SOURCE_DIR) + "/tests/cli/data/no-cpu.yaml"));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Matches(R"([\s\S]*\ncpu +backend +\S+ +1\.1 +disabled [\s\S]*)"));
}
