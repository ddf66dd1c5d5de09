// Every prompt of every golden file, greedy, through the engine on the CPU plugin: the tokens must
// match and the golden top-5 logits must be within tolerance at every step (near ties excepted).
#include <catch2/catch.hpp>

#include "golden_file.hpp"
#include "shared_dir.hpp"

#include <plinth/generate.hpp>
#include <plinth/plugin_host.hpp>

using namespace plinth;

namespace {

const plugin_host& host() {
    static const auto h = [] {
        auto p = std::make_unique<plugin_host>();
        plugin_search s;
        s.use_environment = false;
        p->load(s);
        return p;
    }();
    return *h;
}

void check_model(const std::string& model, float tolerance) {
    const auto runs = test::read_golden(test::shared_dir() / "golden" / (model + ".greedy.jsonl"));
    REQUIRE(!runs.empty());
    engine eng(host(), test::shared_model(model + ".gguf"), engine_options{});
    const auto tok = tokenizer::from_model(eng.file());

    for (const auto& run : runs) {
        INFO(model << ": prompt \"" << run.prompt << "\"");
        CHECK(tok->encode(run.prompt, true, true) == run.prompt_tokens);

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
                test::compare_step(run.steps.at(step), std::vector<float>(logits.begin(), logits.end()), token, tolerance);
            if (verdict == "tie") {
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

}  // namespace

TEST_CASE("F32 model matches the reference's greedy runs", "[golden]") { check_model("stories260K", 0.02f); }
