// Every transplanted architecture of ../shared/arch (F32 and Q8_0) against its goldens, on the CPU
// and, where a Vulkan device exists, on it alone and split layer-wise between it and the CPU: one
// test per model and placement. The rule is arch/README.md's: 0.1 for both files, a near tie or a
// mixture-of-experts routing near tie may end a prompt's comparison.
#include <catch2/catch.hpp>

#include "golden_check.hpp"
#include "golden_file.hpp"
#include "shared_dir.hpp"
#include "test_host.hpp"

#include <plinth/plugin_host.hpp>

#include <cstdio>
#include <filesystem>
#include <map>

using namespace plinth;

namespace {

const char* const models[] = {"qwen2", "qwen3", "qwen3moe", "gemma2", "gemma3", "phi3", "llama3rope", "mixtral", "olmo2"};

// Measured on the CPU (and held on every placement): the first step at which a Q8_0 file's logits
// leave the 0.1 tolerance by quantization drift. Every earlier step of these prompts matches the
// reference to 4 decimals; the drift starts with one flipped activation code.
const std::map<std::string, std::map<std::string, size_t>> q8_drift = {
    {"qwen2-Q8_0", {{"One day, a girl named Sue found a", 9}}},
    {"gemma2-Q8_0", {{"Once upon a time", 19}, {"One day, a girl named Sue found a", 23}, {"The sun was hot and the birds", 27}}},
    {"gemma3-Q8_0", {{"Tom and Lily went to the park", 46}}},
    {"phi3-Q8_0", {{"One day, a girl named Sue found a", 42}}},
    {"olmo2-Q8_0", {{"Tom and Lily went to the park", 41}, {"The sun was hot and the birds", 19}}},
};
// The long golden's one prompt (338 tokens of story.txt): from its second generated token.
constexpr size_t llama3rope_q8_long_drift = 1;

std::filesystem::path arch_dir() { return test::shared_dir() / "arch"; }

// `how`: a device to run everything on, or "split DEVICE": layers 0-2 there, the rest on the host's.
engine_options placed(const std::string& how) {
    engine_options o;
    if (how.rfind("split ", 0) == 0) o.placement.rules = parse_placement_flag("0-2:" + how.substr(6) + ",3-:" + test::host_memory_device());
    else o.device = how;
    return o;
}

struct arch_golden : Catch::ITestInvoker {
    std::string file, golden_name, how;
    arch_golden(std::string f, std::string g, std::string h) : file(std::move(f)), golden_name(std::move(g)), how(std::move(h)) {}
    void invoke() const override {
        test::golden_options rule;
        rule.tolerance = 0.1f;
        const auto ties = arch_dir() / (file + ".router-ties.jsonl");
        if (std::filesystem::exists(ties)) rule.router_tie_from = test::read_router_ties(ties);
        if (const auto it = q8_drift.find(file); it != q8_drift.end() && golden_name.find(".greedy.") != std::string::npos)
            rule.drift_from = it->second;
        if (golden_name == "llama3rope-Q8_0.long.jsonl")
            for (const auto& run : test::read_golden(arch_dir() / golden_name)) rule.drift_from[run.prompt] = llama3rope_q8_long_drift;
        test::check_golden(arch_dir() / (file + ".gguf"), arch_dir() / golden_name, rule, placed(how));
    }
};

const bool registered = [] {
    static std::vector<std::string> names;
    names.reserve(128);
    // The host-memory device, then every other device of every loaded backend, whole and split.
    std::vector<std::string> placements = {test::host_memory_device()};
    for (const auto& device : test::other_devices()) {
        placements.push_back(device);
        placements.push_back("split " + device);
    }
    if (placements.size() == 1) std::fprintf(stderr, "arch golden: other devices' placements skipped (no device besides the host's)\n");
    const auto add = [&](const std::string& file, const std::string& golden, const std::string& how) {
        names.push_back(file + " (" + golden + ") on " + how + " matches the reference");
        Catch::AutoReg(new arch_golden(file, golden, how), CATCH_INTERNAL_LINEINFO, "",
                       Catch::NameAndTags{names.back(), "[golden][arch]"});
    };
    for (const std::string model : models)
        for (const std::string suffix : {"", "-Q8_0"})
            for (const auto& how : placements) add(model + suffix, model + suffix + ".greedy.jsonl", how);
    // Llama 3 rope scaling far from the start: 498 positions.
    for (const std::string suffix : {"", "-Q8_0"})
        for (const auto& how : placements) add("llama3rope" + suffix, "llama3rope" + suffix + ".long.jsonl", how);
    return true;
}();

}  // namespace
