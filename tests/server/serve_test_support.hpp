#pragma once
// What the `plinth serve` tests share: the models, `plinth run`'s greedy text to compare with,
// and JSON helpers.
#include "http_client.hpp"
#include "run_command.hpp"
#include "server_process.hpp"
#include "shared_dir.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace plinth::test {

using json = nlohmann::json;

inline std::string stories(const std::string& file = "stories260K.gguf") { return shared_model(file).string(); }

// A model big enough that a long prompt takes a noticeable time to read (about 25M parameters,
// Q8_0, the stories260K vocabulary), written once per test process.
inline std::string slow_model() {
    static const std::string path = [] {
        const auto file = std::filesystem::temp_directory_path() / ("plinth-serve-test-" + std::to_string(::getpid()) + ".gguf");
        const auto r = run_command(shell_quote(PLINTH_CLI) + " make-model " + shell_quote(file.string()) +
                                   " --embd 512 --layers 8 --heads 8 --ffn 1408 --type Q8_0 --vocab-from " + shell_quote(stories()));
        if (r.exit_code != 0) throw std::runtime_error("make-model failed: " + r.err);
        std::atexit([] { std::filesystem::remove(std::filesystem::temp_directory_path() / ("plinth-serve-test-" + std::to_string(::getpid()) + ".gguf")); });
        return file.string();
    }();
    return path;
}

// `plinth run`'s greedy continuation (without the newline it ends with).
inline std::string run_greedy(const std::string& model, const std::string& prompt, int n) {
    const auto r = run_command(shell_quote(PLINTH_CLI) + " run -m " + shell_quote(model) + " -p " + shell_quote(prompt) +
                               " -n " + std::to_string(n) + " --temp 0 -t 1");
    if (r.exit_code != 0) throw std::runtime_error("plinth run failed: " + r.err);
    std::string out = r.out;
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

// The JSON body of a response; fails the test when it is not JSON.
inline json body_of(const http_result& r) {
    json j = json::parse(r.body, nullptr, false);
    INFO("status " << r.status << ", body: " << r.body);
    REQUIRE_FALSE(j.is_discarded());
    return j;
}

// The completion's text, or what went wrong in angle brackets. Safe to call from many threads at
// once: it uses no Catch2 macro (they are not thread-safe; INFO from 18 client threads at once
// once corrupted the test process's heap).
inline std::string greedy_completion(unsigned short port, const std::string& prompt, int max_tokens) {
    const auto r = post_json(port, "/v1/completions",
                             json{{"prompt", prompt}, {"max_tokens", max_tokens}, {"temperature", 0}}.dump());
    if (r.status != 200) return "<status " + std::to_string(r.status) + ": " + r.body + ">";
    const json j = json::parse(r.body, nullptr, false);
    try {
        return j.at("choices").at(0).at("text").get<std::string>();
    } catch (const json::exception&) {
        return "<not a completion: " + r.body + ">";
    }
}

// One metric's value from /metrics (the first sample whose line starts with `name`).
inline double metric(unsigned short port, const std::string& name) {
    const auto r = http_request(port, "GET", "/metrics");
    size_t pos = 0;
    while ((pos = r.body.find(name, pos)) != std::string::npos) {
        if (pos == 0 || r.body[pos - 1] == '\n') {
            const size_t space = r.body.find(' ', r.body.find('}', pos));
            return std::stod(r.body.substr(space + 1));
        }
        ++pos;
    }
    return -1;
}

}  // namespace plinth::test
