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

// The placements the hybrid tests hold to the goldens: everything on `device`, or shared between it
// and the host-memory device `host`.
engine_options placed(const std::string& how, const std::string& device, const std::string& host_device) {
    engine_options o;
    if (how == "whole") {
        o.device = device;
    } else if (how == "split") {  // layers 0-2 on the device, 3- on the host's
        o.placement.rules = parse_placement_flag("0-2:" + device + ",3-:" + host_device);
    } else if (how == "interleaved") {  // layers 0-1 and 4 on the host's device, 2-3 on the other
        placement_rule host_rule, device_rule;
        host_rule.layers = layer_selection{{{0, 1, false}, {4, 4, false}}};
        host_rule.device = parse_device_id(host_device);
        device_rule.layers = parse_layer_selection("2-3");
        device_rule.device = parse_device_id(device);
        o.placement.rules = {host_rule, device_rule};
    } else if (how == "auto") {
        o.placement.automatic = true;
    }
    return o;
}

// Hybrid goldens register for every device besides the host-memory one (every backend the host
// loads, none named here); where there is none, a line says they were skipped.
struct hybrid_golden : Catch::ITestInvoker {
    std::string model, how, device, host_device;
    float tolerance;
    hybrid_golden(std::string m, std::string h, std::string d, std::string hd, float t)
        : model(std::move(m)), how(std::move(h)), device(std::move(d)), host_device(std::move(hd)), tolerance(t) {}
    void invoke() const override { check_model(model, tolerance, placed(how, device, host_device)); }
};

const bool hybrid_registered = [] {
    const std::string host_device = test::host_memory_device();
    const auto devices = test::other_devices();
    if (host_device.empty() || devices.empty()) {
        std::fprintf(stderr, "golden: hybrid placement cases skipped (no device besides the host's)\n");
        return false;
    }
    static std::vector<std::string> names;
    names.reserve(12 * devices.size());
    for (const auto& device : devices)
        for (const auto& [model, tolerance] : {std::pair<std::string, float>{"stories260K", 0.02f},
                                               {"stories260K-Q8_0", 0.1f}, {"stories260K-Q4_0", 0.1f}})
            for (const char* how : {"whole", "split", "interleaved", "auto"}) {
                names.push_back(model + " on " + device + " (" + how + " placement) matches the reference's greedy runs");
                Catch::AutoReg(new hybrid_golden(model, how, device, host_device, tolerance), CATCH_INTERNAL_LINEINFO, "",
                               Catch::NameAndTags{names.back(), "[golden][hybrid]"});
            }
    return true;
}();

}  // namespace

TEST_CASE("F32 model matches the reference's greedy runs", "[golden]") { check_model("stories260K", 0.02f); }
TEST_CASE("Q8_0 model matches the reference's greedy runs", "[golden]") { check_model("stories260K-Q8_0", 0.1f); }
TEST_CASE("Q4_0 model matches the reference's greedy runs", "[golden]") { check_model("stories260K-Q4_0", 0.1f); }
