// plinth plugins / devices / --version / help, as a user runs them.
#include <catch2/catch.hpp>

#include "cli.hpp"

#include <filesystem>
#include <fstream>

using namespace plinth::test;

TEST_CASE("plinth plugins shows gguf and cpu loaded", "[cli]") {
    const auto r = run_plinth("plugins");
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Matches(R"([\s\S]*\ncpu +backend +\S+ +1\.3 +loaded [\s\S]*)"));
    CHECK_THAT(r.out, Catch::Matches(R"([\s\S]*\ngguf +format +\S+ +1\.3 +loaded [\s\S]*)"));
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
    CHECK_THAT(version.out, Catch::StartsWith("plinth 0.") && Catch::Contains("plugin ABI 1.3"));

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
    CHECK_THAT(r.out, Catch::Matches(R"([\s\S]*\ncpu +backend +\S+ +1\.3 +disabled [\s\S]*)"));
}

TEST_CASE("backends declare their options: listed, checked in the config with positions, set by --backend-option", "[cli][options]") {
    const auto listed = run_plinth("plugins --options");
    REQUIRE(listed.exit_code == 0);
    CHECK_THAT(listed.out, Catch::Contains("cpu:\n  threads    an integer from 1 to 4096"));
    CHECK_THAT(listed.out, Catch::Contains("  simd       one of auto, avx512, avx2, neon, scalar; default: auto"));

    const auto dir = std::filesystem::temp_directory_path() / ("plinth-options-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto typo = dir / "typo.yaml";
    std::ofstream(typo) << "backends:\n  cpu:\n    thraeds: 3\n";
    const std::string run = "run -m " + model_arg("stories260K.gguf") + " -p Once -n 4 --temp 0";
    const auto refused = run_plinth(run + " --config " + shell_quote(typo.string()));
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains(typo.string() + ":3:5: unknown option 'thraeds' of the 'cpu' backend; did you mean 'threads'?"));
    CHECK(refused.out.empty());

    const auto plain = run_plinth(run);
    const auto set = run_plinth(run + " --backend-option cpu.simd=scalar --backend-option cpu.threads=1");
    CHECK(set.exit_code == 0);
    CHECK(set.out == plain.out);  // the kernels' level changes no greedy token
    const auto bad = run_plinth(run + " --backend-option cpu.simd=avx9");
    CHECK(bad.exit_code == 1);
    CHECK_THAT(bad.err, Catch::Contains("'simd' of the 'cpu' backend must be one of auto, avx512, avx2, neon, scalar, got 'avx9'"));
    CHECK(run_plinth(run + " --backend-option nosuch.key=1").exit_code == 1);
    std::filesystem::remove_all(dir);
}

TEST_CASE("plinth conformance says why it cannot certify a file, and fails a plugin that cannot compute", "[cli][conformance]") {
    const std::string folder = PLINTH_TEST_PLUGIN_FOLDER;
    const auto missing = run_plinth("conformance --plugin " + shell_quote(folder + "/no-such-plugin.so"));
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Catch::Contains("no-such-plugin.so: no such file"));

    const auto refused = run_plinth("conformance --plugin " + shell_quote(folder + "/test-abi-major-2.so"));
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("did not load: ABI major 2, but this host speaks ABI major 1"));

    const auto not_plugin = run_plinth("conformance --plugin " + shell_quote(folder + "/test-not-a-plugin.so"));
    CHECK(not_plugin.exit_code == 1);
    CHECK_THAT(not_plugin.err, Catch::Contains("no 'plinth_plugin_entry' symbol"));

    const auto bad_op = run_plinth("conformance --op MATMULL");
    CHECK(bad_op.exit_code == 1);
    CHECK_THAT(bad_op.err, Catch::Contains("--op MATMULL is not an op group of the suite (GET_ROWS, RMS_NORM, MATMUL"));

    // The hosts' fake backend has devices but no graph_compute: one failure naming it, exit 1.
    const auto fake = run_plinth("conformance --plugin " + shell_quote(folder + "/test-good.so"));
    CHECK(fake.exit_code == 1);
    CHECK_THAT(fake.out, Catch::Contains("FAILED  the backend table: it has no graph_compute function"));
    CHECK_THAT(fake.out, Catch::Matches(R"([\s\S]*\nGRAPH +0 +0 +1 +FAIL\n[\s\S]*)"));
}
