#include "golden_file.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace plinth::test {

std::vector<golden_run> read_golden(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    std::vector<golden_run> runs;
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        const auto j = nlohmann::json::parse(line);
        golden_run r;
        r.prompt = j.at("prompt").get<std::string>();
        r.prompt_tokens = j.at("prompt_tokens").get<std::vector<int32_t>>();
        for (const auto& s : j.at("steps")) {
            golden_step step;
            for (const auto& pair : s.at("top")) step.top.emplace_back(pair.at(0).get<int32_t>(), pair.at(1).get<float>());
            r.steps.push_back(std::move(step));
        }
        r.generated_tokens = j.at("generated_tokens").get<std::vector<int32_t>>();
        r.generated_text = j.at("generated_text").get<std::string>();
        runs.push_back(std::move(r));
    }
    return runs;
}

std::string compare_step(const golden_step& golden, const std::vector<float>& logits, int32_t chosen, float tolerance) {
    std::ostringstream problems;
    for (const auto& [token, value] : golden.top) {
        const float ours = logits.at(static_cast<size_t>(token));
        if (std::fabs(ours - value) > tolerance)
            problems << "logit of " << token << " is " << ours << ", golden " << value << "; ";
    }
    const int32_t golden_top = golden.top.at(0).first;
    if (chosen != golden_top) {
        // A near tie: within the tolerance, at least 0.05 (../shared/README.md).
        const bool near_tie = golden.top.size() > 1 && golden.top[0].second - golden.top[1].second < std::max(tolerance, 0.05f);
        if (near_tie && chosen == golden.top[1].first && problems.str().empty()) return "tie";
        problems << "picked " << chosen << ", golden " << golden_top;
    }
    return problems.str();
}

}  // namespace plinth::test
