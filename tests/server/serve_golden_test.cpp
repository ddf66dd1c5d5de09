// Greedy completions through the server give `plinth run`'s text for every golden prompt of the
// three stories260K models, one at a time and all 18 at once: batching changes no answer.
#include "serve_test_support.hpp"

#include "../golden/golden_file.hpp"

#include <future>
#include <memory>
#include <vector>

using namespace plinth::test;

TEST_CASE("greedy completions through the server equal plinth run's, alone and all at once", "[server][golden]") {
    const std::vector<std::string> models = {"stories260K.gguf", "stories260K-Q8_0.gguf", "stories260K-Q4_0.gguf"};
    struct job {
        size_t server;
        std::string prompt;
        std::string expected;
    };
    std::vector<job> jobs;
    std::vector<std::unique_ptr<server_process>> servers;
    for (size_t m = 0; m < models.size(); ++m) {
        const std::string stem = models[m].substr(0, models[m].size() - 5);
        for (const auto& run : read_golden(shared_dir() / "golden" / (stem + ".greedy.jsonl")))
            jobs.push_back({m, run.prompt, run_greedy(stories(models[m]), run.prompt, 64)});
        servers.push_back(std::make_unique<server_process>(std::vector<std::string>{"-m", stories(models[m]), "--parallel", "8", "-t", "1"}));
    }
    REQUIRE(jobs.size() == 18);

    SECTION("one at a time") {
        for (const auto& j : jobs) {
            INFO(models[j.server] << ": " << j.prompt);
            CHECK(greedy_completion(servers[j.server]->port(), j.prompt, 64) == j.expected);
        }
    }
    SECTION("all 18 at once") {
        std::vector<std::future<std::string>> answers;
        for (const auto& j : jobs)
            answers.push_back(std::async(std::launch::async, [&, port = servers[j.server]->port()] { return greedy_completion(port, j.prompt, 64); }));
        for (size_t i = 0; i < jobs.size(); ++i) {
            INFO(models[jobs[i].server] << ": " << jobs[i].prompt);
            CHECK(answers[i].get() == jobs[i].expected);
        }
    }
    for (auto& s : servers) CHECK(s->alive());
}
