// The Vulkan backend sums, rounds and rotates as the CPU backend does (plugins/vulkan/shaders:
// matmul.comp's orders, fma_exact, exp_float, the host's rope tables), so a whole model gives the
// same logits, bit for bit, on vulkan:0, split across vulkan:0 and cpu:0 (layers 0-2 on the GPU, or
// 2-3 between CPU layers), and on cpu:0 alone.
// That is what makes the hybrid goldens hold wherever the CPU's do.
//
// The F16 and F32 weights' sums follow the CPU's AVX-512 order (the reference's), so the CPU runs
// at that level here; a CPU without it, or a device without shaderFloat64 (whose shaders may differ
// in rare last bits), skips the comparison and says so.
#include <catch2/catch.hpp>

#include "golden_file.hpp"
#include "shared_dir.hpp"
#include "test_host.hpp"

#include <plinth/config.hpp>
#include <plinth/error.hpp>
#include <plinth/generate.hpp>
#include <plinth/plugin_host.hpp>

#include <cstdio>
#include <cstring>
#include <utility>

using namespace plinth;

namespace {

const plugin_host& host() { return test::built_plugins(); }

struct run_record {
    std::vector<int32_t> tokens;
    std::vector<std::vector<float>> logits;  // per step
};

run_record greedy(engine& eng, const tokenizer& tok, const std::vector<int32_t>& prompt, uint32_t steps) {
    generation_request request;
    request.prompt = prompt;
    request.max_tokens = steps;
    request.sampling.temperature = 0;
    run_record r;
    generate(eng, tok, request, [&](int32_t token, std::span<const float> logits) {
        r.tokens.push_back(token);
        r.logits.emplace_back(logits.begin(), logits.end());
        return true;
    });
    return r;
}

void check_same_bits(const std::string& model, const engine_options& other) {
    const auto runs = test::read_golden(test::shared_dir() / "golden" / (model + ".greedy.jsonl"));
    REQUIRE(!runs.empty());
    engine_options cpu;
    cpu.backend_options["cpu"]["simd"] = "avx512";
    std::unique_ptr<engine> reference;
    try {
        reference = std::make_unique<engine>(host(), test::shared_model(model + ".gguf"), cpu);
    } catch (const error& e) {
        std::fprintf(stderr, "backend bits: %s skipped (the CPU cannot run the avx512 kernels: %s)\n", model.c_str(), e.what());
        SUCCEED("skipped: no avx512 level");
        return;
    }
    engine eng(host(), test::shared_model(model + ".gguf"), other);
    const auto tok = tokenizer::from_model(eng.file());
    for (const auto& run : runs) {
        INFO(model << ": prompt \"" << run.prompt << "\"");
        const run_record want = greedy(*reference, *tok, run.prompt_tokens, 64);
        const run_record got = greedy(eng, *tok, run.prompt_tokens, 64);
        REQUIRE(want.logits.size() == 64);
        CHECK(got.tokens == want.tokens);
        for (size_t s = 0; s < std::min(got.logits.size(), want.logits.size()); ++s) {
            const auto& a = got.logits[s];
            const auto& b = want.logits[s];
            REQUIRE(a.size() == b.size());
            if (std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0) continue;
            size_t i = 0;
            while (a[i] == b[i]) ++i;
            FAIL_CHECK("step " << s << ": logit " << i << " is " << a[i] << ", the CPU's " << b[i]);
            break;
        }
    }
}

struct same_bits_case : Catch::ITestInvoker {
    std::string model, placement;
    same_bits_case(std::string m, std::string p) : model(std::move(m)), placement(std::move(p)) {}
    void invoke() const override {
        engine_options o;
        if (placement == "vulkan") o.device = "vulkan:0";
        else o.placement.rules = parse_placement_flag(placement);
        check_same_bits(model, o);
    }
};

const bool registered = [] {
    const loaded_plugin* vk = host().find(PLINTH_PLUGIN_BACKEND, "vulkan");
    plinth_device_info info{};
    info.struct_size = sizeof(info);
    plinth_message msg{};
    if (!vk || vk->backend->device_count() == 0 || vk->backend->device_info(0, &info, &msg) != PLINTH_OK ||
        std::strstr(info.description, "no shaderFloat64") != nullptr) {
        std::fprintf(stderr, "backend bits: skipped (no Vulkan device with shaderFloat64)\n");
        return false;
    }
    static std::vector<std::string> names;
    names.reserve(9);
    for (const char* model : {"stories260K", "stories260K-Q8_0", "stories260K-Q4_0"})
        for (const auto& [placement, where] : {std::pair<const char*, const char*>{"vulkan", "vulkan:0"},
                                               {"0-2:vulkan:0,3-:cpu:0", "layers 0-2 on vulkan:0"},
                                               {"0-1:cpu:0,2-3:vulkan:0,4:cpu:0", "layers 2-3 on vulkan:0"}}) {
            names.push_back(std::string(model) + " gives the CPU's logits bit for bit on " + where);
            Catch::AutoReg(new same_bits_case(model, placement), CATCH_INTERNAL_LINEINFO, "",
                           Catch::NameAndTags{names.back(), "[golden][hybrid][bits]"});
        }
    return true;
}();

}  // namespace
