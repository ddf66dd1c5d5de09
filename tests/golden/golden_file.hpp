#pragma once
// The reference's greedy runs (../shared/golden/<model>.greedy.jsonl) and the rule to compare.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace plinth::test {

struct golden_step {
    std::vector<std::pair<int32_t, float>> top;  // top-5 (token, logit) of the last position
};

struct golden_run {
    std::string prompt;
    std::vector<int32_t> prompt_tokens;
    std::vector<golden_step> steps;
    std::vector<int32_t> generated_tokens;
    std::string generated_text;
};

std::vector<golden_run> read_golden(const std::filesystem::path& file);

// Holds one step to the rule of ../shared/README.md. `logits` are ours, `chosen` our greedy token.
// Returns "" when the step agrees; "tie" when the golden top-2 are within the near-tie threshold and we picked the
// second (the comparison of this prompt legitimately ends); otherwise what differs.
// (The near-tie threshold is the tolerance, at least 0.05.)
std::string compare_step(const golden_step& golden, const std::vector<float>& logits, int32_t chosen, float tolerance);

}  // namespace plinth::test
