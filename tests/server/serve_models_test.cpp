// Several models in one server: the request's `model` picks one, models load on first use within
// a memory budget (least recently used unloaded first), each load honours that model's settings,
// and /v1/models and `plinth ps` show the state.
#include "serve_test_support.hpp"

#include <fstream>
#include <regex>
#include <thread>

using namespace plinth::test;

namespace {

namespace fs = std::filesystem;

// Two models with different settings: the second's small context ends its answers early.
std::string write_config(const fs::path& dir, const std::string& extra) {
    fs::create_directories(dir);
    const fs::path file = dir / "models.yaml";
    std::ofstream(file) << "models:\n"
                        << "  - name: stories\n    path: " << stories() << "\n    context: 256\n"
                        << "  - name: qwen\n    path: " << (shared_dir() / "arch" / "qwen2.gguf").string()
                        << "\n    context: 16\n    threads: 1\n    parallel: 2\n"
                        << extra;
    return file.string();
}

json completion(unsigned short port, const std::string& model, const std::string& prompt, int max_tokens) {
    const auto r = post_json(port, "/v1/completions",
                             json{{"model", model}, {"prompt", prompt}, {"max_tokens", max_tokens}, {"temperature", 0}}.dump());
    INFO(r.body);
    REQUIRE(r.status == 200);
    return body_of(r);
}

json model_entry(unsigned short port, const std::string& name) {
    const json list = body_of(http_request(port, "GET", "/v1/models"));
    for (const auto& m : list["data"])
        if (m["id"] == name) return m;
    FAIL("no model " << name << " in " << list.dump());
    return {};
}

std::string run_with(const std::string& model, const std::string& prompt, int n, int context) {
    const auto r = run_command(shell_quote(PLINTH_CLI) + " run -m " + shell_quote(model) + " -p " + shell_quote(prompt) + " -n " +
                               std::to_string(n) + " --temp 0 -t 1 -c " + std::to_string(context));
    REQUIRE(r.exit_code == 0);
    std::string out = r.out;
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

}  // namespace

TEST_CASE("two models in a budget for one: alternating requests load and unload them, each with its own settings",
          "[server][models]") {
    const fs::path dir = fs::temp_directory_path() / ("plinth-models-" + std::to_string(::getpid()));
    const std::string prompt = "Once upon a time";
    const std::string qwen_file = (shared_dir() / "arch" / "qwen2.gguf").string();
    const std::string expected_stories = run_with(stories(), prompt, 40, 256);
    // The prompt is 5 tokens: the context of 16 ends the answer after 11 (plinth run refuses more).
    const std::string expected_qwen = run_with(qwen_file, prompt, 11, 16);

    // What each model takes, measured by a server without a budget.
    uint64_t stories_bytes = 0, qwen_bytes = 0;
    {
        server_process probe({"--config", write_config(dir, "")});
        completion(probe.port(), "stories", prompt, 1);
        completion(probe.port(), "qwen", prompt, 1);
        stories_bytes = model_entry(probe.port(), "stories")["memory_bytes"].get<uint64_t>();
        qwen_bytes = model_entry(probe.port(), "qwen")["memory_bytes"].get<uint64_t>();
        CHECK(model_entry(probe.port(), "stories")["state"] == "loaded");
        CHECK(model_entry(probe.port(), "qwen")["state"] == "loaded");
    }
    REQUIRE(stories_bytes > 0);
    REQUIRE(qwen_bytes > 0);
    // Room for the larger one, not for both.
    const uint64_t budget = std::max(stories_bytes, qwen_bytes) + std::min(stories_bytes, qwen_bytes) / 2;
    server_process server({"--config", write_config(dir, "server:\n  memory_budget: " + std::to_string(budget) + "\n")});
    const auto port = server.port();
    CHECK(model_entry(port, "stories")["state"] == "unloaded");
    CHECK(model_entry(port, "qwen")["state"] == "unloaded");

    for (int round = 0; round < 2; ++round) {
        INFO("round " << round);
        const json a = completion(port, "stories", prompt, 40);
        CHECK(a["model"] == "stories");
        CHECK(a["choices"][0]["text"] == expected_stories);
        CHECK(model_entry(port, "stories")["state"] == "loaded");
        CHECK(model_entry(port, "stories")["max_model_len"] == 256);
        CHECK(model_entry(port, "qwen")["state"] == "unloaded");

        const json b = completion(port, "qwen", prompt, 40);
        CHECK(b["model"] == "qwen");
        CHECK(b["choices"][0]["text"] == expected_qwen);
        CHECK(b["choices"][0]["finish_reason"] == "length");
        CHECK(b["usage"]["prompt_tokens"].get<int>() + b["usage"]["completion_tokens"].get<int>() == 16);
        CHECK(model_entry(port, "qwen")["state"] == "loaded");
        CHECK(model_entry(port, "qwen")["max_model_len"] == 16);
        CHECK(model_entry(port, "stories")["state"] == "unloaded");
    }
    CHECK(model_entry(port, "stories")["loads"] == 2);
    CHECK(model_entry(port, "qwen")["loads"] == 2);

    // plinth ps asks the running server.
    const auto ps = run_command(shell_quote(PLINTH_CLI) + " ps --port " + std::to_string(port));
    INFO(ps.out << ps.err);
    REQUIRE(ps.exit_code == 0);
    CHECK(std::regex_search(ps.out, std::regex("\nqwen +loaded +[0-9.]+ [KM]iB +16 +0 ")));
    CHECK(std::regex_search(ps.out, std::regex("\nstories +unloaded +- +- +0 ")));
    CHECK(ps.out.find("of a memory budget of") != std::string::npos);

    // A name the server does not have is a 404 that lists what it has; /tokenize uses the named model.
    const auto unknown = post_json(port, "/v1/completions", R"({"model": "llama-9000", "prompt": "x"})");
    CHECK(unknown.status == 404);
    CHECK(unknown.body.find("stories, qwen") != std::string::npos);
    const auto tok = post_json(port, "/tokenize", R"({"model": "stories", "content": "Once"})");
    CHECK(tok.status == 200);
    CHECK(model_entry(port, "stories")["state"] == "loaded");

    const std::string log = server.stop();
    CHECK(log.find("unloading model qwen (its memory is needed for another model)") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("an idle model is unloaded after the keep-alive time, and a model larger than the budget is refused", "[server][models]") {
    const fs::path dir = fs::temp_directory_path() / ("plinth-models-ka-" + std::to_string(::getpid()));
    {
        server_process server({"--config", write_config(dir, "server:\n  keep_alive: 1\n")});
        completion(server.port(), "qwen", "Once", 2);
        CHECK(model_entry(server.port(), "qwen")["state"] == "loaded");
        std::string state;
        for (int i = 0; i < 50 && state != "unloaded"; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            state = model_entry(server.port(), "qwen")["state"];
        }
        CHECK(state == "unloaded");
    }
    {
        server_process server({"--config", write_config(dir, "server:\n  memory_budget: 64KiB\n")});
        const auto r = post_json(server.port(), "/v1/completions", R"({"model": "stories", "prompt": "x", "max_tokens": 2})");
        CHECK(r.status == 503);
        CHECK(r.body.find("more than the server's memory budget") != std::string::npos);
        CHECK(model_entry(server.port(), "stories")["state"] == "unloaded");
        CHECK(server.alive());
    }
    fs::remove_all(dir);
}

TEST_CASE("a models list refuses per-model flags, a missing model file fails at start, and --models-dir serves a folder", "[server][models]") {
    const fs::path dir = fs::temp_directory_path() / ("plinth-models-cli-" + std::to_string(::getpid()));
    const std::string config = write_config(dir, "");
    const auto both = run_command(shell_quote(PLINTH_CLI) + " serve --config " + shell_quote(config) + " -m " + shell_quote(stories()));
    CHECK(both.exit_code == 1);
    CHECK(both.err.find("per model") != std::string::npos);

    std::ofstream(dir / "missing.yaml") << "models:\n  - name: gone\n    path: nowhere.gguf\n";
    const auto missing = run_command(shell_quote(PLINTH_CLI) + " serve --config " + shell_quote((dir / "missing.yaml").string()));
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("model 'gone': no such model file") != std::string::npos);

    const fs::path folder = dir / "folder";
    fs::create_directories(folder);
    fs::copy_file(stories("stories260K-Q8_0.gguf"), folder / "small.gguf");
    server_process server({"--models-dir", folder.string()});
    CHECK(model_entry(server.port(), "small")["state"] == "unloaded");
    const json a = completion(server.port(), "small", "Once upon a time", 8);
    CHECK(a["choices"][0]["text"] == run_greedy(stories("stories260K-Q8_0.gguf"), "Once upon a time", 8));
    fs::remove_all(dir);
}
