// plinth inspect on the shared models: text, --json, --tensors.
#include <catch2/catch.hpp>

#include "cli.hpp"

using namespace plinth::test;

TEST_CASE("plinth inspect reports the stories260K shape", "[cli]") {
    const auto r = run_plinth("inspect " + model_arg("stories260K.gguf"));
    REQUIRE(r.exit_code == 0);
    for (const char* line : {"architecture:   llama\n", "layers:         5\n", "heads:          8\n",
                             "kv heads:       4\n", "embedding:      64\n", "ffn:            172\n",
                             "vocab:          512\n", "context length: 2048\n", "tensors:        48 "})
        CHECK_THAT(r.out, Catch::Contains(line));
}

TEST_CASE("plinth inspect reports the quantized files' type mix", "[cli]") {
    const auto q8 = run_plinth("inspect " + model_arg("stories260K-Q8_0.gguf"));
    REQUIRE(q8.exit_code == 0);
    CHECK_THAT(q8.out, Catch::Contains("file type:      Q8_0"));
    CHECK_THAT(q8.out, Catch::Matches(R"([\s\S]*\n  Q8_0 +\d+ tensors[\s\S]*)"));
    CHECK_THAT(q8.out, Catch::Matches(R"([\s\S]*\n  F16 +5 tensors[\s\S]*)"));

    const auto q4 = run_plinth("inspect " + model_arg("stories260K-Q4_0.gguf"));
    REQUIRE(q4.exit_code == 0);
    CHECK_THAT(q4.out, Catch::Contains("file type:      Q4_0"));
    CHECK_THAT(q4.out, Catch::Matches(R"([\s\S]*\n  Q4_0 +\d+ tensors[\s\S]*)"));
}

TEST_CASE("plinth inspect --json and --tensors", "[cli]") {
    const auto r = run_plinth("inspect --json --tensors " + model_arg("stories260K.gguf"));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("\"layers\": 5") && Catch::Contains("\"kv_heads\": 4") &&
                          Catch::Contains("\"tensor_count\": 48") && Catch::Contains("\"token_embd.weight\""));
    // stdout carries the result alone (stderr may hold warnings, e.g. a refused plugin).
    CHECK_THAT(r.out, Catch::StartsWith("{") && Catch::EndsWith("}\n"));
    CHECK_THAT(r.err, !Catch::Contains("tensor_count"));

    const auto table = run_plinth("inspect --tensors " + model_arg("stories260K.gguf"));
    REQUIRE(table.exit_code == 0);
    CHECK_THAT(table.out, Catch::Matches(R"([\s\S]*\ntoken_embd\.weight +F32 +64 x 512 +131072\n[\s\S]*)"));
}

TEST_CASE("plinth inspect on a missing file fails cleanly", "[cli]") {
    const auto r = run_plinth("inspect /nonexistent.gguf");
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("/nonexistent.gguf: cannot open"));
    const auto none = run_plinth("inspect");
    CHECK(none.exit_code == 1);
    CHECK_THAT(none.err, Catch::Contains("no model given"));
}

TEST_CASE("plinth inspect takes -m MODEL like every other verb", "[cli]") {
    const auto positional = run_plinth("inspect " + model_arg("stories260K.gguf"));
    const auto flag = run_plinth("inspect -m " + model_arg("stories260K.gguf"));
    REQUIRE(flag.exit_code == 0);
    CHECK(flag.out == positional.out);
}
