// Weights whose op a device refuses (supports_node) run on the CPU instead: a Q5_K model placed on
// vulkan:0 (whose shaders have no Q5_K kernel) runs, gives the CPU's greedy text, and
// --show-placement says which weights moved and what the copies cost. Registered only where a
// Vulkan device exists; elsewhere a line says it was skipped.
#include <catch2/catch.hpp>

#include "cli.hpp"

#include <cstdio>
#include <filesystem>

using namespace plinth::test;

namespace {

void check_fallback() {
    const auto model = std::filesystem::temp_directory_path() / "plinth-fallback-q5km.gguf";
    const auto made = run_plinth("make-model " + shell_quote(model.string()) +
                                 " --embd 256 --layers 2 --heads 4 --ffn 512 --type Q5_K_M --vocab-from " +
                                 shell_quote((shared_dir() / "vocab" / "ggml-vocab-llama-spm.gguf").string()));
    REQUIRE(made.exit_code == 0);
    const std::string run = "run -m " + shell_quote(model.string()) + " -p 'Once upon a time' -n 8 --temp 0";
    const auto cpu = run_plinth(run);
    const auto vk = run_plinth(run + " --device vulkan:0 --show-placement");
    REQUIRE(cpu.exit_code == 0);
    REQUIRE(vk.exit_code == 0);
    CHECK(vk.out == cpu.out);
    // Every Q5_K weight moves (the Q6_K ones, which vulkan:0 runs, stay).
    CHECK_THAT(vk.err, Catch::Contains("weights: vulkan:0 does not run the Q5_K weights; they run on cpu:0"));
    CHECK_THAT(vk.err, Catch::Contains("cpu:0: weights"));
    CHECK_THAT(vk.err, Catch::Contains("activation copies between devices per forward pass: "));
    CHECK_THAT(vk.err, !Catch::Contains("activation copies between devices per forward pass: 0\n"));
    std::filesystem::remove(model);
}

struct fallback_case : Catch::ITestInvoker {
    void invoke() const override { check_fallback(); }
};

const bool registered = [] {
    if (run_plinth("devices").out.find("vulkan:0") == std::string::npos) {
        std::fprintf(stderr, "cli: the Vulkan fallback case skipped (no Vulkan device)\n");
        return false;
    }
    Catch::AutoReg(new fallback_case, CATCH_INTERNAL_LINEINFO, "",
                   Catch::NameAndTags{"weights vulkan:0 refuses run on the CPU, and the plan says so", "[cli][run][vulkan]"});
    return true;
}();

}  // namespace
