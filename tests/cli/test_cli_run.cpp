// plinth run / tokenize / perplexity as a user runs them on the shared models.
#include <catch2/catch.hpp>

#include "cli.hpp"

#include <fstream>
#include <sstream>

using namespace plinth::test;

TEST_CASE("plinth run --temp 0 prints the reference's greedy continuation", "[cli][run]") {
    // The first golden prompt of the F32 model; every prompt and model is held to the goldens,
    // logits included, by test_golden.
    const auto r = run_plinth("run -m " + model_arg("stories260K.gguf") + " -p 'Once upon a time' -n 64 --temp 0");
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::StartsWith(", there was a little girl named Lily. She loved to play outside in the park."));
    CHECK_THAT(r.err, Catch::Contains("prompt: 5 tokens") && Catch::Contains("generation: 64 tokens"));

    const auto echo = run_plinth("run -m " + model_arg("stories260K.gguf") + " -p 'Once upon a time' -n 4 --temp 0 --echo");
    REQUIRE(echo.exit_code == 0);
    CHECK_THAT(echo.out, Catch::StartsWith("Once upon a time, there was"));
}

TEST_CASE("plinth run with a seed is reproducible", "[cli][run]") {
    const std::string cmd = "run -m " + model_arg("stories260K-Q8_0.gguf") + " -p 'The dog' -n 32 --temp 1 --seed 7";
    const auto a = run_plinth(cmd), b = run_plinth(cmd);
    REQUIRE(a.exit_code == 0);
    CHECK(a.out == b.out);
    const auto c = run_plinth("run -m " + model_arg("stories260K-Q8_0.gguf") + " -p 'The dog' -n 32 --temp 1 --seed 8");
    CHECK(c.out != a.out);
}

TEST_CASE("plinth tokenize prints ids on one line", "[cli][tokenize]") {
    const auto r = run_plinth("tokenize -m " + model_arg("stories260K.gguf") + " -p 'Once upon a time'");
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "1 403 407 261 378\n");
    const auto raw = run_plinth("tokenize -m " + model_arg("stories260K.gguf") + " -p 'Once upon a time' --raw");
    CHECK(raw.out == "403 407 261 378\n");

    // The first vocabulary test vector of each kind, through the CLI (the library test runs them all).
    for (const std::string vocab :
         {"llama-spm", "llama-bpe", "gpt-2", "command-r", "deepseek-llm", "falcon", "qwen35", "gemma-4"}) {
        const auto base = shared_dir() / "vocab" / ("ggml-vocab-" + vocab + ".gguf");
        const std::string inputs = plinth::test::read_file(base.string() + ".inp");
        const std::string first = inputs.substr(0, inputs.find("\n__ggml_vocab_test__\n"));
        const std::string outputs = plinth::test::read_file(base.string() + ".out");
        std::string expected = outputs.substr(0, outputs.find('\n'));
        while (!expected.empty() && expected.front() == ' ') expected.erase(0, 1);
        const auto t = run_plinth("tokenize --raw -m " + shell_quote(base.string()) + " -p " + shell_quote(first));
        INFO(vocab << ": " << first);
        REQUIRE(t.exit_code == 0);
        CHECK(t.out == expected + "\n");
    }
}

TEST_CASE("plinth perplexity is within 0.5% of the reference", "[cli][perplexity]") {
    const std::pair<const char*, double> models[] = {
        {"stories260K.gguf", 3.7354}, {"stories260K-Q8_0.gguf", 3.7464}, {"stories260K-Q4_0.gguf", 3.9652}};
    for (const auto& [model, reference] : models) {
        INFO(model);
        const auto r = run_plinth("perplexity -m " + model_arg(model) + " -c 128 -f " +
                                  shell_quote((shared_dir() / "golden" / "story.txt").string()));
        REQUIRE(r.exit_code == 0);
        const auto at = r.out.rfind("PPL = ");
        REQUIRE(at != std::string::npos);
        const double ppl = std::stod(r.out.substr(at + 6));
        CHECK(std::abs(ppl - reference) / reference < 0.005);
    }
}

TEST_CASE("backends.cpu.simd picks the kernels' level; one this CPU cannot run is a clear error", "[cli][run]") {
    const auto dir = std::filesystem::temp_directory_path() / "plinth-test-simd";
    std::filesystem::create_directories(dir);
    auto config_with = [&](const std::string& level) {
        const auto file = dir / (level + ".yaml");
        std::ofstream(file) << "backends:\n  cpu:\n    simd: " << level << "\n";
        return file.string();
    };
    // The plain C++ kernels give the greedy continuation too.
    const auto plain = run_plinth("run -m " + model_arg("stories260K.gguf") + " --config " + config_with("scalar") +
                                  " -p 'Once upon a time' -n 16 --temp 0");
    REQUIRE(plain.exit_code == 0);
    CHECK_THAT(plain.out, Catch::StartsWith(", there was a little girl named Lily."));
    // Exactly one of the two architectures' levels is impossible here.
#if defined(__x86_64__)
    const std::string foreign = "neon";
#else
    const std::string foreign = "avx2";
#endif
    const auto refused = run_plinth("run -m " + model_arg("stories260K.gguf") + " --config " + config_with(foreign) + " -p hi -n 4");
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("instruction set") && Catch::Contains(foreign));
    std::filesystem::remove_all(dir);
}
