#pragma once
// Holds a model's greedy runs through the engine to a golden file (the rule of ../shared/README.md):
// the prompt's tokens, then at every step the golden top-5 logits within the tolerance and the
// same greedy token (a near tie may part ways and end the prompt's comparison).
#include <plinth/engine.hpp>

#include <filesystem>
#include <map>
#include <string>

namespace plinth::test {

struct golden_options {
    float tolerance = 0.02f;
    // Per prompt, the first step a mixture-of-experts routing near tie may affect: from there on,
    // a difference ends that prompt's comparison instead of failing it (arch/README.md).
    std::map<std::string, size_t> router_tie_from;
    // Per prompt, the step from which a measured quantization drift may exceed the tolerance: a
    // last-bit difference from the reference (its exp, its order of sums) that flips one Q8_0
    // activation code and moves later logits by up to ~0.15 (docs/architecture.md, "Goldens").
    // From there on a difference ends the comparison; before it, it fails.
    std::map<std::string, size_t> drift_from;
};

// The router near ties of an arch/<model>.router-ties.jsonl file, by prompt.
std::map<std::string, size_t> read_router_ties(const std::filesystem::path& file);

void check_golden(const std::filesystem::path& model, const std::filesystem::path& golden, const golden_options& rule,
                  const engine_options& options = {});

}  // namespace plinth::test
