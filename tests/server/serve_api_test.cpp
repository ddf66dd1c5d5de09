// The API's contract beyond the happy path: API keys, CORS, timeouts, stop strings, logprobs,
// streaming giving the same text, and preemption when the KV cache is smaller than the load.
#include "serve_test_support.hpp"

#include <plinth/chat_template.hpp>

#include <fstream>
#include <future>
#include <iterator>
#include <thread>

#include <sys/wait.h>

using namespace plinth::test;

namespace {

std::filesystem::path write_config(const std::string& name, const std::string& yaml) {
    const auto file = std::filesystem::temp_directory_path() / ("plinth-" + name + "-" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(file) << yaml;
    return file;
}

std::string streamed_text(const http_result& r) {
    std::string text;
    for (const auto& e : sse_events(r.body)) {
        if (e == "[DONE]") break;
        const json j = json::parse(e);
        for (const auto& c : j["choices"]) text += c.contains("text") ? c["text"].get<std::string>() : c["delta"].value("content", "");
    }
    return text;
}

}  // namespace

TEST_CASE("an API key guards /v1/ and leaves /health open", "[server][api]") {
    server_process server({"-m", stories(), "--api-key", "sesame"});
    const auto port = server.port();
    const std::string body = json{{"prompt", "Once"}, {"max_tokens", 2}}.dump();
    const auto none = post_json(port, "/v1/completions", body);
    CHECK(none.status == 401);
    CHECK(body_of(none)["error"]["type"] == "authentication_error");
    CHECK(http_request(port, "POST", "/v1/completions", body, {{"Content-Type", "application/json"}, {"Authorization", "Bearer sesam"}}).status == 401);
    CHECK(http_request(port, "GET", "/v1/models", "", {{"Authorization", "Bearer sesame"}}).status == 200);
    CHECK(http_request(port, "POST", "/v1/completions", body, {{"Content-Type", "application/json"}, {"Authorization", "Bearer sesame"}}).status == 200);
    CHECK(http_request(port, "GET", "/health").status == 200);
}

TEST_CASE("CORS: allowed origins get the headers, others do not", "[server][api]") {
    const auto config = write_config("cors", "server:\n  cors_origins: [\"http://app.example\"]\n");
    server_process server({"-m", stories(), "--config", config.string()});
    const auto port = server.port();
    const auto allowed = http_request(port, "GET", "/v1/models", "", {{"Origin", "http://app.example"}});
    CHECK(allowed.header("access-control-allow-origin") == "http://app.example");
    const auto other = http_request(port, "GET", "/v1/models", "", {{"Origin", "http://evil.example"}});
    CHECK(other.header("access-control-allow-origin").empty());
    const auto preflight = http_request(port, "OPTIONS", "/v1/chat/completions", "",
                                        {{"Origin", "http://app.example"}, {"Access-Control-Request-Method", "POST"}});
    CHECK(preflight.status == 204);
    CHECK(preflight.header("access-control-allow-methods").find("POST") != std::string::npos);
    CHECK(preflight.header("access-control-allow-headers").find("Authorization") != std::string::npos);
    std::filesystem::remove(config);
}

TEST_CASE("a request past request_timeout ends with 504, or an error event in a stream", "[server][api]") {
    const auto config = write_config("timeout", "server:\n  request_timeout: 1\n");
    server_process server({"-m", slow_model(), "--config", config.string()});
    const auto port = server.port();
    const json long_request = {{"prompt", "Once upon a time"}, {"max_tokens", 1800}, {"ignore_eos", true}};
    const auto whole = post_json(port, "/v1/completions", long_request.dump(), 30);
    CHECK(whole.status == 504);
    CHECK(whole.seconds < 3);
    json streaming = long_request;
    streaming["stream"] = true;
    const auto streamed = post_json(port, "/v1/completions", streaming.dump(), 30);
    CHECK(streamed.status == 200);
    const auto events = sse_events(streamed.body);
    REQUIRE(events.size() >= 2);
    CHECK(events.back() == "[DONE]");
    CHECK(json::parse(events[events.size() - 2])["error"]["type"] == "timeout");
    CHECK(metric(port, "plinth:num_requests_running") == 0);
    std::filesystem::remove(config);
}

TEST_CASE("stop strings, logprobs, and streaming give what they promise", "[server][api]") {
    server_process server({"-m", stories()});
    const auto port = server.port();
    const std::string full = greedy_completion(port, "Once upon a time", 32);
    REQUIRE(full.find("girl") != std::string::npos);

    SECTION("a stop string ends the text just before it, streamed or not") {
        const json req = {{"prompt", "Once upon a time"}, {"max_tokens", 32}, {"temperature", 0}, {"stop", {"girl", "zzz"}}};
        const auto r = body_of(post_json(port, "/v1/completions", req.dump()));
        CHECK(r["choices"][0]["text"] == full.substr(0, full.find("girl")));
        CHECK(r["choices"][0]["finish_reason"] == "stop");
        json s = req;
        s["stream"] = true;
        CHECK(streamed_text(post_json(port, "/v1/completions", s.dump())) == full.substr(0, full.find("girl")));
    }
    SECTION("streamed greedy text equals the whole answer, for completions and chat") {
        const json req = {{"prompt", "Once upon a time"}, {"max_tokens", 32}, {"temperature", 0}, {"stream", true}};
        CHECK(streamed_text(post_json(port, "/v1/completions", req.dump())) == full);
        const json chat = {{"messages", {{{"role", "user"}, {"content", "Tell a story."}}}}, {"max_tokens", 24}, {"temperature", 0}};
        const auto whole = body_of(post_json(port, "/v1/chat/completions", chat.dump()));
        json chat_stream = chat;
        chat_stream["stream"] = true;
        CHECK(streamed_text(post_json(port, "/v1/chat/completions", chat_stream.dump())) ==
              whole["choices"][0]["message"]["content"].get<std::string>());
    }
    SECTION("logprobs: the chosen token is the most likely under greedy, with its alternatives") {
        const json req = {{"prompt", "Once upon a time"}, {"max_tokens", 4}, {"temperature", 0}, {"logprobs", 3}};
        const auto r = body_of(post_json(port, "/v1/completions", req.dump()));
        const auto& lp = r["choices"][0]["logprobs"];
        REQUIRE(lp["tokens"].size() == 4);
        for (size_t i = 0; i < 4; ++i) {
            CHECK(lp["token_logprobs"][i].get<double>() <= 0);
            REQUIRE(lp["top_logprobs"][i].size() >= 1);
            double best = -1e9;
            for (const auto& [token, value] : lp["top_logprobs"][i].items()) best = std::max(best, value.get<double>());
            CHECK(lp["token_logprobs"][i].get<double>() == Approx(best));
        }
        const json chat = {{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"max_tokens", 3}, {"temperature", 0},
                           {"logprobs", true}, {"top_logprobs", 2}};
        const auto c = body_of(post_json(port, "/v1/chat/completions", chat.dump()));
        const auto& content = c["choices"][0]["logprobs"]["content"];
        REQUIRE(content.size() == 3);
        CHECK(content[0]["top_logprobs"].size() == 2);
        CHECK(content[0]["bytes"].is_array());
    }
    SECTION("usage counts what happened") {
        const auto r = body_of(post_json(port, "/v1/completions", json{{"prompt", "Once upon a time"}, {"max_tokens", 5}}.dump()));
        CHECK(r["usage"]["completion_tokens"] == 5);
        CHECK(r["usage"]["prompt_tokens"] == 5);  // BOS and four tokens
        CHECK(r["usage"]["total_tokens"] == 10);
        CHECK(r["choices"][0]["finish_reason"] == "length");
    }
}

TEST_CASE("a KV cache smaller than the load preempts and recomputes without changing answers", "[server][api]") {
    server_process server({"-m", stories(), "--parallel", "4", "-c", "256", "--kv-tokens", "256"});
    const auto port = server.port();
    const std::vector<std::string> prompts = {"Once upon a time", "The sun was hot", "Tom had a dog", "One day, a girl"};
    const auto ask = [port](const std::string& p) {
        const auto r = post_json(port, "/v1/completions", json{{"prompt", p}, {"max_tokens", 200}, {"temperature", 0}, {"ignore_eos", true}}.dump());
        if (r.status != 200) return "<" + std::to_string(r.status) + ">";
        const json j = json::parse(r.body);
        return j["choices"][0]["text"].get<std::string>() + "|" + j["usage"]["completion_tokens"].dump();
    };
    std::vector<std::string> alone;
    for (const auto& p : prompts) alone.push_back(ask(p));
    CHECK(metric(port, "plinth:num_preemptions_total") == 0);
    std::vector<std::future<std::string>> together;
    for (const auto& p : prompts) together.push_back(std::async(std::launch::async, ask, p));
    for (size_t i = 0; i < prompts.size(); ++i) CHECK(together[i].get() == alone[i]);
    CHECK(metric(port, "plinth:num_preemptions_total") > 0);
}

TEST_CASE("SIGTERM with requests in flight stops the server cleanly", "[server][api]") {
    server_process server({"-m", slow_model(), "--parallel", "2"});
    const auto port = server.port();
    std::vector<std::unique_ptr<raw_connection>> clients;
    for (bool stream : {true, false}) {
        clients.push_back(std::make_unique<raw_connection>(port));
        const std::string body = json{{"prompt", "Once upon a time"}, {"max_tokens", 1000}, {"ignore_eos", true}, {"stream", stream}}.dump();
        clients.back()->send("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body);
    }
    for (int i = 0; i < 200 && metric(port, "plinth:num_requests_running") < 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const int status = server.terminate();
    INFO(server.log());
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("chat messages are rendered with the chat template given, tokenized as one prompt", "[server][api]") {
    const auto file = shared_dir() / "templates" / "Qwen-Qwen2.5-7B-Instruct.jinja";
    server_process server({"-m", stories(), "--chat-template", file.string()});
    const auto port = server.port();
    const json messages = {{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "Hi"}}};
    // What the template gives for this conversation, tokenized with its special tokens as text.
    std::ifstream in(file);
    const auto tmpl = plinth::chat_template::parse(std::string(std::istreambuf_iterator<char>(in), {}));
    const nlohmann::ordered_json vars = {{"messages", nlohmann::ordered_json::parse(messages.dump())},
                                         {"add_generation_prompt", true}, {"bos_token", "<s>"}, {"eos_token", "</s>"}};
    const std::string rendered = tmpl.render(vars);
    REQUIRE(rendered.find("<|im_start|>user\nHi<|im_end|>") != std::string::npos);
    const auto tokens = body_of(post_json(port, "/tokenize", json{{"content", rendered}, {"add_special", true}}.dump()))["tokens"];
    const auto r = body_of(post_json(port, "/v1/chat/completions", json{{"messages", messages}, {"max_tokens", 1}}.dump()));
    CHECK(r["usage"]["prompt_tokens"] == tokens.size());
    CHECK_THAT(server.log(), Catch::Contains("chat messages are rendered with " + file.string()));
}

TEST_CASE("a chat template that refuses the conversation is the client's 400, in the template's words", "[server][api]") {
    const auto file = std::filesystem::temp_directory_path() / ("plinth-strict-" + std::to_string(::getpid()) + ".jinja");
    std::ofstream(file) << "{% for m in messages %}{% if m.role == 'tool' %}{{ raise_exception('no tools here') }}{% endif %}"
                           "{{ m.content }}{% endfor %}";
    server_process server({"-m", stories(), "--chat-template", file.string()});
    const auto r = post_json(server.port(), "/v1/chat/completions",
                             json{{"messages", json::array({{{"role", "tool"}, {"content", "x"}}})}, {"max_tokens", 1}}.dump());
    CHECK(r.status == 400);
    CHECK_THAT(body_of(r)["error"]["message"].get<std::string>(), Catch::Contains("no tools here"));
    std::filesystem::remove(file);
}

TEST_CASE("tools reach the template with the conversation's tool calls and results; what cannot be honoured is a 400", "[server][api][tools]") {
    const auto file = shared_dir() / "templates" / "Qwen-Qwen2.5-7B-Instruct.jinja";
    const json tools = json::array({{{"type", "function"},
                                     {"function", {{"name", "get_weather"},
                                                   {"description", "The weather in a city"},
                                                   {"parameters", {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}}}}}});
    const json history = json::array(
        {{{"role", "user"}, {"content", "Weather in Paris?"}},
         {{"role", "assistant"}, {"content", nullptr},
          {"tool_calls", json::array({{{"id", "call-1"}, {"type", "function"},
                                       {"function", {{"name", "get_weather"}, {"arguments", "{\"city\": \"Paris\"}"}}}}})}},
         {{"role", "tool"}, {"tool_call_id", "call-1"}, {"content", "sunny, 21 C"}}});
    // The prompt the template gives: the tool's definition, the call (arguments as an object) and its result.
    std::ifstream in(file);
    const auto tmpl = plinth::chat_template::parse(std::string(std::istreambuf_iterator<char>(in), {}));
    nlohmann::ordered_json messages = nlohmann::ordered_json::parse(history.dump());
    messages[1]["tool_calls"][0]["function"]["arguments"] = {{"city", "Paris"}};
    const std::string rendered = tmpl.render({{"messages", messages}, {"tools", nlohmann::ordered_json::parse(tools.dump())},
                                              {"add_generation_prompt", true}, {"bos_token", "<s>"}, {"eos_token", "</s>"}});
    REQUIRE(rendered.find("\"name\": \"get_weather\"") != std::string::npos);
    REQUIRE(rendered.find("<tool_response>\nsunny, 21 C\n</tool_response>") != std::string::npos);

    server_process with_template({"-m", stories(), "--chat-template", file.string()});
    const auto port = with_template.port();
    const auto tokens = body_of(post_json(port, "/tokenize", json{{"content", rendered}, {"add_special", true}}.dump()))["tokens"];
    const auto r = post_json(port, "/v1/chat/completions", json{{"messages", history}, {"tools", tools}, {"max_tokens", 4}}.dump());
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(body_of(r)["usage"]["prompt_tokens"] == tokens.size());
    CHECK(body_of(r)["choices"][0]["message"]["role"] == "assistant");

    // Forcing a call: a grammar makes the reply one call of the tool, its arguments under the
    // tool's parameters schema, at any temperature.
    for (const json& choice : {json("required"), json{{"type", "function"}, {"function", {{"name", "get_weather"}}}}}) {
        const auto forced = post_json(port, "/v1/chat/completions",
                                      json{{"messages", history}, {"tools", tools}, {"tool_choice", choice}, {"temperature", 1.0},
                                           {"seed", 4}, {"max_tokens", 200}}.dump());
        INFO(forced.body);
        REQUIRE(forced.status == 200);
        const json choice0 = body_of(forced)["choices"][0];
        CHECK(choice0["finish_reason"] == "tool_calls");
        REQUIRE(choice0["message"]["tool_calls"].size() == 1);
        CHECK(choice0["message"]["tool_calls"][0]["function"]["name"] == "get_weather");
        const json args = json::parse(choice0["message"]["tool_calls"][0]["function"]["arguments"].get<std::string>());
        CHECK(args.is_object());
    }
    const auto unknown = post_json(port, "/v1/chat/completions",
                                   json{{"messages", history}, {"tools", tools},
                                        {"tool_choice", {{"type", "function"}, {"function", {{"name", "nope"}}}}}}.dump());
    CHECK(unknown.status == 400);
    CHECK(body_of(unknown)["error"]["param"] == "tool_choice");
    const auto malformed = post_json(port, "/v1/chat/completions", json{{"messages", history}, {"tools", json::array({1})}}.dump());
    CHECK(malformed.status == 400);

    // A model without a template cannot be told about tools.
    server_process plain({"-m", stories()});
    const auto no_template = post_json(plain.port(), "/v1/chat/completions", json{{"messages", history}, {"tools", tools}}.dump());
    CHECK(no_template.status == 400);
    CHECK_THAT(body_of(no_template)["error"]["message"].get<std::string>(), Catch::Contains("chat template"));
}
