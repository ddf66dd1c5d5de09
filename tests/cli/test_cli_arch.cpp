// The architectures of ../shared/arch as a user meets them: `plinth perplexity -c 128` within 0.5%
// of the reference's value (arch/README.md), `plinth inspect` describing each graph, and models
// plinth cannot build refused with a message that says why (exit 1, nothing on stdout).
#include <catch2/catch.hpp>

#include "cli.hpp"
#include "file_bytes.hpp"
#include "gguf_image.hpp"

#include <cmath>
#include <filesystem>
#include <functional>

using namespace plinth::test;
namespace gt = plinth::gguf_test;

namespace {

std::string arch_model(const std::string& file) { return shell_quote((shared_dir() / "arch" / file).string()); }

double perplexity_of(const std::string& file) {
    const auto r = run_plinth("perplexity -m " + arch_model(file) + " -c 128 -f " +
                              shell_quote((shared_dir() / "golden" / "story.txt").string()));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto at = r.out.rfind("PPL = ");
    REQUIRE(at != std::string::npos);
    return std::stod(r.out.substr(at + 6));
}

// An arch model with one edit, written to a temporary file.
std::filesystem::path edited(const std::string& file, const std::function<void(gt::gguf_image&)>& edit) {
    auto image = gt::decode(gt::read_file_bytes(shared_dir() / "arch" / file));
    edit(image);
    const auto path = std::filesystem::temp_directory_path() / ("plinth-arch-" + file);
    gt::write_file_bytes(path, gt::encode(image));
    return path;
}

void expect_refusal(const std::filesystem::path& model, const std::string& message) {
    const auto r = run_plinth("run -m " + shell_quote(model.string()) + " -p hi -n 4");
    INFO(r.err);
    CHECK_FALSE(r.signaled);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains(message));
    CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("plinth perplexity of every architecture is within 0.5% of the reference", "[cli][perplexity][arch]") {
    const std::pair<const char*, double> models[] = {
        {"qwen2", 3.7256},    {"qwen2-Q8_0", 3.7259},    {"qwen3", 6.4791},      {"qwen3-Q8_0", 6.5039},
        {"qwen3moe", 6.6268}, {"qwen3moe-Q8_0", 6.6010}, {"gemma2", 5.2245},     {"gemma2-Q8_0", 5.2181},
        {"gemma3", 9.5650},   {"gemma3-Q8_0", 9.5864},   {"phi3", 3.7356},       {"phi3-Q8_0", 3.7465},
        {"llama3rope", 5.4408}, {"llama3rope-Q8_0", 5.4678}, {"mixtral", 3.7457}, {"mixtral-Q8_0", 3.7411},
        {"olmo2", 5.5749},    {"olmo2-Q8_0", 5.5572},
    };
    for (const auto& [model, reference] : models) {
        INFO(model << ": reference " << reference);
        const double ppl = perplexity_of(std::string(model) + ".gguf");
        INFO("plinth " << ppl);
        CHECK(std::abs(ppl - reference) / reference < 0.005);
    }
}

TEST_CASE("plinth inspect describes each architecture's graph", "[cli][inspect][arch]") {
    const std::pair<const char*, const char*> expected[] = {
        {"qwen2", "attention biases"}, {"qwen3", "q/k norm"},         {"qwen3moe", "mixture of 4 experts, 2 per token"},
        {"gemma2", "soft-cap"},        {"gemma3", "rope bases"},      {"phi3", "fused weights"},
        {"llama3rope", "rope scaling"}, {"mixtral", "mixture of 4 experts"}, {"olmo2", "after each block only"},
    };
    for (const auto& [model, feature] : expected) {
        INFO(model);
        const auto r = run_plinth("inspect " + arch_model(std::string(model) + ".gguf"));
        REQUIRE(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::Contains("graph:"));
        CHECK_THAT(r.out, Catch::Contains(feature));
    }
}

TEST_CASE("a model of an unknown architecture or with a missing or mis-shaped tensor is refused by name", "[cli][run][arch]") {
    SECTION("unknown architecture: the message lists the supported ones; inspect still describes the file") {
        const auto path = edited("qwen2.gguf", [](gt::gguf_image& image) {
            for (auto& kv : image.kvs) {
                if (kv.key == "general.architecture") kv.value = gt::string_value("mamba9");
                if (kv.key.rfind("qwen2.", 0) == 0) kv.key = "mamba9." + kv.key.substr(6);
            }
        });
        expect_refusal(path, "unsupported architecture 'mamba9' (supported: llama, mistral, qwen2, qwen3, qwen3moe, gemma2, gemma3, phi3, olmo2)");
        const auto inspect = run_plinth("inspect " + shell_quote(path.string()));
        CHECK(inspect.exit_code == 0);
        CHECK_THAT(inspect.out, Catch::Contains("runs:           no: "));
        std::filesystem::remove(path);
    }
    SECTION("qwen2 without a bias") {
        const auto path = edited("qwen2.gguf", [](gt::gguf_image& image) {
            for (auto& t : image.tensors)
                if (t.name == "blk.3.attn_k.bias") t.name = "blk.3.attn_k.biasx";
        });
        expect_refusal(path, "missing tensor 'blk.3.attn_k.bias'");
        std::filesystem::remove(path);
    }
    SECTION("gemma2 without a post-norm") {
        const auto path = edited("gemma2.gguf", [](gt::gguf_image& image) {
            for (auto& t : image.tensors)
                if (t.name == "blk.1.post_ffw_norm.weight") t.name = "blk.1.post_ffn_norm.weight";
        });
        expect_refusal(path, "missing tensor 'blk.1.post_ffw_norm.weight'");
        std::filesystem::remove(path);
    }
    SECTION("qwen3moe with experts of the wrong count") {
        const auto path = edited("qwen3moe.gguf", [](gt::gguf_image& image) {
            for (auto& kv : image.kvs)
                if (kv.key == "qwen3moe.expert_count") kv.value = gt::scalar_value<std::uint32_t>(8);
        });
        expect_refusal(path, "tensor 'blk.0.ffn_gate_inp.weight' has shape [64, 4], expected [64, 8]");
        std::filesystem::remove(path);
    }
}
