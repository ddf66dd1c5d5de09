#include "golden_check.hpp"

#include "golden_file.hpp"
#include "test_host.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <plinth/generate.hpp>
#include <plinth/tokenizer.hpp>

#include <algorithm>
#include <fstream>

namespace plinth::test {

std::map<std::string, size_t> read_router_ties(const std::filesystem::path& file) {
    std::map<std::string, size_t> from;
    std::ifstream in(file);
    REQUIRE(in.good());
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        const auto j = nlohmann::json::parse(line);
        size_t first = SIZE_MAX;
        for (const auto& tie : j.at("router_near_ties")) first = std::min(first, tie.at("first_step_affected").get<size_t>());
        from[j.at("prompt").get<std::string>()] = first;
    }
    return from;
}

void check_golden(const std::filesystem::path& model, const std::filesystem::path& golden, const golden_options& rule,
                  const engine_options& options) {
    const auto runs = read_golden(golden);
    REQUIRE(!runs.empty());
    engine eng(built_plugins(), model, options);
    const auto tok = tokenizer::from_model(eng.file());

    for (const auto& run : runs) {
        INFO(model.filename().string() << ": prompt \"" << run.prompt.substr(0, 60) << "\"");
        size_t tie_from = SIZE_MAX;
        for (const auto* table : {&rule.router_tie_from, &rule.drift_from})
            if (const auto it = table->find(run.prompt); it != table->end()) tie_from = std::min(tie_from, it->second);

        generation_request request;
        request.prompt = run.prompt_tokens;
        request.max_tokens = static_cast<uint32_t>(run.steps.size());
        request.sampling.temperature = 0;
        std::vector<int32_t> generated;
        std::vector<std::string> problems;
        bool parted = false;
        generate(eng, *tok, request, [&](int32_t token, std::span<const float> logits) {
            const size_t step = generated.size();
            generated.push_back(token);
            const std::string verdict =
                compare_step(run.steps.at(step), std::vector<float>(logits.begin(), logits.end()), token, rule.tolerance);
            if (verdict == "tie" || (!verdict.empty() && step >= tie_from)) {
                parted = true;
                return false;
            }
            if (!verdict.empty()) problems.push_back("step " + std::to_string(step) + ": " + verdict);
            return problems.empty();
        });
        for (const auto& p : problems) FAIL_CHECK(p);
        if (!parted) {
            CHECK(generated == run.generated_tokens);
            std::string text;
            for (int32_t t : generated) text += tok->token_piece(t);
            CHECK(text == run.generated_text);
        }
    }
}

}  // namespace plinth::test
