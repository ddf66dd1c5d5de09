// Every prompt of every golden file, greedy, through the engine on the CPU plugin: the tokens must
// match and the golden top-5 logits must be within tolerance at every step (near ties excepted).
#include <catch2/catch.hpp>

#include "golden_check.hpp"
#include "golden_file.hpp"
#include "shared_dir.hpp"
#include "test_host.hpp"

#include <plinth/generate.hpp>
#include <plinth/plugin_host.hpp>

#include <cstdio>
#include <map>

using namespace plinth;

namespace {

const plugin_host& host() { return test::built_plugins(); }

// Measured (every placement): the one prompt whose quantization drift leaves 0.1, at its last step.
// Every earlier step matches the reference; golden_options::drift_from says what this allows.
const std::map<std::string, std::map<std::string, size_t>> drift = {
    {"stories260K-Q4_0", {{"One day, a girl named Sue found a", 47}}},
};

// The stories260K files hold to ../shared/golden at 0.02 (F32) or 0.1 (quantized weights).
void check_model(const std::string& model, float tolerance, const engine_options& options = {}) {
    test::golden_options rule;
    rule.tolerance = tolerance;
    if (const auto it = drift.find(model); it != drift.end()) rule.drift_from = it->second;
    test::check_golden(test::shared_model(model + ".gguf"), test::shared_dir() / "golden" / (model + ".greedy.jsonl"), rule, options);
    // The prompt's tokens too: the tokenizer is part of the path to the goldens.
    engine eng(host(), test::shared_model(model + ".gguf"), options);
    const auto tok = tokenizer::from_model(eng.file());
    for (const auto& run : test::read_golden(test::shared_dir() / "golden" / (model + ".greedy.jsonl")))
        CHECK(tok->encode(run.prompt, true, true) == run.prompt_tokens);
}

// The placements the hybrid tests hold to the goldens, by name.
engine_options placed(const std::string& how) {
    engine_options o;
    if (how == "vulkan") {
        o.device = "vulkan:0";
    } else if (how == "split") {  // layers 0-2 on the GPU, 3- on the CPU
        o.placement.rules = parse_placement_flag("0-2:vulkan:0,3-:cpu:0");
    } else if (how == "interleaved") {  // layers 0-1 and 4 on the CPU, 2-3 on the GPU
        placement_rule cpu, gpu;
        cpu.layers = layer_selection{{{0, 1, false}, {4, 4, false}}};
        cpu.device = parse_device_id("cpu:0");
        gpu.layers = parse_layer_selection("2-3");
        gpu.device = parse_device_id("vulkan:0");
        o.placement.rules = {cpu, gpu};
    } else if (how == "auto") {
        o.placement.automatic = true;
    }
    return o;
}

// Hybrid goldens register only where a Vulkan device exists; elsewhere a line says they were skipped.
struct hybrid_golden : Catch::ITestInvoker {
    std::string model, how;
    float tolerance;
    hybrid_golden(std::string m, std::string h, float t) : model(std::move(m)), how(std::move(h)), tolerance(t) {}
    void invoke() const override {
        const auto options = placed(how);
        check_model(model, tolerance, options);
    }
};

const bool hybrid_registered = [] {
    if (host().find(PLINTH_PLUGIN_BACKEND, "vulkan") == nullptr ||
        host().find(PLINTH_PLUGIN_BACKEND, "vulkan")->backend->device_count() == 0) {
        std::fprintf(stderr, "golden: hybrid placement cases skipped (no Vulkan device)\n");
        return false;
    }
    static std::vector<std::string> names;
    names.reserve(12);
    for (const auto& [model, tolerance] : {std::pair<std::string, float>{"stories260K", 0.02f},
                                           {"stories260K-Q8_0", 0.1f}, {"stories260K-Q4_0", 0.1f}})
        for (const char* how : {"vulkan", "split", "interleaved", "auto"}) {
            names.push_back(model + " on " + how + " placement matches the reference's greedy runs");
            Catch::AutoReg(new hybrid_golden(model, how, tolerance), CATCH_INTERNAL_LINEINFO, "",
                           Catch::NameAndTags{names.back(), "[golden][hybrid]"});
        }
    return true;
}();

}  // namespace

TEST_CASE("F32 model matches the reference's greedy runs", "[golden]") { check_model("stories260K", 0.02f); }
TEST_CASE("Q8_0 model matches the reference's greedy runs", "[golden]") { check_model("stories260K-Q8_0", 0.1f); }
TEST_CASE("Q4_0 model matches the reference's greedy runs", "[golden]") { check_model("stories260K-Q4_0", 0.1f); }
