// Abuse: many connections at once, malformed and truncated JSON, an oversized body, a wrong
// content type, a client that trickles bytes, abandoned connections, invalid UTF-8, fields of the
// wrong type and a few hundred mutated requests on every API. No crash, no hang, every answer
// well-formed, and the golden answers after.
#include "serve_test_support.hpp"

#include <chrono>
#include <fstream>
#include <future>
#include <random>
#include <thread>

using namespace plinth::test;

namespace {

// A well-formed answer: a status line, and a JSON body for everything but streams.
void check_well_formed(const http_result& r) {
    INFO("status " << r.status << " body " << r.body.substr(0, 300));
    REQUIRE(r.status >= 200);
    REQUIRE(r.status < 600);
    if (r.header("content-type").find("text/event-stream") == 0) {
        const auto events = sse_events(r.body);
        REQUIRE_FALSE(events.empty());
        if (events.back() == "[DONE]") return;  // OpenAI's chat and completions
        // Anthropic's and the Responses API's streams end with an event that says how they ended.
        const json last = json::parse(events.back(), nullptr, false);
        REQUIRE(last.is_object());
        const std::string type = last.value("type", "");
        CHECK((type == "message_stop" || type == "response.completed" || type == "response.incomplete" || type == "error"));
        return;
    }
    CHECK_FALSE(json::parse(r.body, nullptr, false).is_discarded());
}

std::string raw_request(const std::string& body, const std::string& type = "application/json") {
    return "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: " + type + "\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("the server survives abuse and still answers correctly", "[server][abuse]") {
    const auto config = std::filesystem::temp_directory_path() / ("plinth-abuse-" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(config) << "server:\n  read_timeout: 2\n  body_limit: 1MiB\n  queue: 128\n";
    server_process server({"-m", stories(), "--parallel", "4", "--config", config.string()});
    const auto port = server.port();
    const std::string expected = run_greedy(stories(), "Once upon a time", 32);

    SECTION("64 concurrent connections") {
        std::vector<std::future<http_result>> answers;
        for (int i = 0; i < 64; ++i)
            answers.push_back(std::async(std::launch::async, [port, i] {
                return post_json(port, i % 2 ? "/v1/completions" : "/v1/chat/completions",
                                 i % 2 ? json{{"prompt", "Once upon a time"}, {"max_tokens", 8}}.dump()
                                       : json{{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"max_tokens", 8}, {"stream", i % 4 == 0}}.dump());
            }));
        for (auto& a : answers) {
            const auto r = a.get();
            check_well_formed(r);
            CHECK(r.status == 200);
        }
    }
    SECTION("malformed, truncated, wrongly typed and oversized requests") {
        for (const std::string body : {"{", "{\"prompt\": \"Once", "[]", "null", "{\"prompt\": \"x\", \"max_tokens\": -1}", "", "\x01\x02"}) {
            const auto r = post_json(port, "/v1/completions", body);
            check_well_formed(r);
            CHECK(r.status == 400);
        }
        const auto wrong_type = http_request(port, "POST", "/v1/completions", R"({"prompt":"x"})", {{"Content-Type", "text/plain"}});
        check_well_formed(wrong_type);
        CHECK(wrong_type.status == 415);
        CHECK(http_request(port, "GET", "/nowhere").status == 404);
        CHECK(http_request(port, "DELETE", "/v1/completions").status == 405);
        // A 100 MB body: refused after its headers, without reading it all.
        raw_connection big(port);
        big.send("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n");
        big.send(std::string(1 << 20, 'a'));
        const std::string answer = big.receive(5, "\r\n\r\n");
        CHECK(answer.rfind("HTTP/1.1 413", 0) == 0);
        // Garbage that is not HTTP.
        raw_connection junk(port);
        junk.send("\x16\x03\x01 this is not http\r\n\r\n");
        CHECK(junk.receive(5, "\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
    }
    SECTION("fields of the wrong type on the Responses and Messages APIs are a 400 naming them") {
        // Found by fuzz_api_jobs: the JSON library's type_error escaped these jobs, and out of the
        // server's event loop, which ended the server.
        const std::vector<std::pair<std::string, std::string>> requests = {
            {"/v1/responses", R"({"input": [{"type": "function_call_output", "call_id": true, "output": "42"}]})"},
            {"/v1/responses", R"({"input": [{"role": 5, "content": "Hi"}]})"},
            {"/v1/responses", R"({"input": "Hi", "tools": [{"type": "function", "name": "f", "description": 3}]})"},
            {"/v1/messages", R"({"max_tokens": 4, "messages": [{"role": "assistant", "content": [{"type": "tool_use", "name": "f", "id": 7}]}]})"},
            {"/v1/messages", R"({"max_tokens": 4, "messages": [{"role": "user", "content": [{"type": 1}]}]})"},
            {"/v1/messages", R"({"max_tokens": 4, "messages": [{"role": "user", "content": "Hi"}], "tools": [{"name": "f"}], "tool_choice": {"type": false}})"},
        };
        const std::vector<std::string> named = {"input[0].call_id", "input[0].role", "tools[0].description", "messages[0].content.id",
                                                "messages[0].content.type", "tool_choice.type"};
        for (size_t i = 0; i < requests.size(); ++i) {
            const auto r = post_json(port, requests[i].first, requests[i].second);
            INFO(requests[i].first << " " << requests[i].second);
            check_well_formed(r);
            CHECK(r.status == 400);
            CHECK(r.body.find("'" + named[i] + "' must be a string") != std::string::npos);
        }
        CHECK(server.alive());
    }
    SECTION("invalid UTF-8 in prompts, and byte tokens in answers") {
        const auto r = post_json(port, "/v1/completions", "{\"prompt\": \"Once \xff\xfe upon\", \"max_tokens\": 4}");
        check_well_formed(r);
        CHECK(r.status == 400);
        // Token ids that decode to bytes that are not UTF-8 (stories260K's <0x..> byte tokens are 3-258).
        const auto bytes = post_json(port, "/v1/completions", json{{"prompt", {1, 200, 201, 202}}, {"max_tokens", 8}}.dump());
        check_well_formed(bytes);
        CHECK(bytes.status == 200);
        const auto escaped = post_json(port, "/v1/completions", R"({"prompt": "lone \ud800 surrogate", "max_tokens": 4})");
        check_well_formed(escaped);
    }
    SECTION("a client that trickles bytes and connections left open do not block anyone") {
        raw_connection trickle(port);
        std::vector<std::unique_ptr<raw_connection>> idle;
        for (int i = 0; i < 20; ++i) idle.push_back(std::make_unique<raw_connection>(port));
        for (int i = 0; i < 10; i += 2) idle[i]->close();  // some abandoned at once
        const std::string req = raw_request(R"({"prompt": "Once upon a time", "max_tokens": 4})");
        // The server closes the trickling connection after read_timeout (2 s); meanwhile it serves others.
        const auto start = std::chrono::steady_clock::now();
        const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
        bool closed = false;
        for (size_t i = 0; i < req.size() && elapsed() < 6; ++i) {
            CHECK(greedy_completion(port, "Once upon a time", 32) == expected);
            if (!trickle.send(req.substr(i, 1)) || trickle.at_end(0.05)) {
                closed = true;
                break;
            }
        }
        INFO("closed after " << elapsed() << " s");
        CHECK(closed);
        CHECK(elapsed() < 4);
    }
    SECTION("a few hundred mutated requests") {
        std::mt19937 rng(1234);
        // Every API a request may take: its path and a well-formed body to mutate.
        const std::vector<std::pair<std::string, std::string>> seeds = {
            {"/v1/completions", json{{"prompt", "Once upon a time"}, {"max_tokens", 4}, {"temperature", 0.5}, {"stop", {"."}}}.dump()},
            {"/v1/chat/completions", json{{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"max_tokens", 4}, {"stream", true}}.dump()},
            {"/v1/completions", json{{"prompt", {1, 2, 3}}, {"max_tokens", 3}, {"logprobs", 2}}.dump()},
            {"/v1/responses", R"({"input": [{"role": "user", "content": "Hi"}, {"type": "function_call", "call_id": "c", "name": "f",)"
                              R"( "arguments": "{}"}, {"type": "function_call_output", "call_id": "c", "output": "1"}],)"
                              R"( "tools": [{"type": "function", "name": "f", "description": "d"}], "max_output_tokens": 4})"},
            {"/v1/messages", R"({"max_tokens": 4, "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content":)"
                             R"( [{"type": "tool_use", "id": "t", "name": "f", "input": {}}]}, {"role": "user", "content":)"
                             R"( [{"type": "tool_result", "tool_use_id": "t", "content": "1"}]}], "tools": [{"name": "f"}], "stream": true})"},
        };
        for (int i = 0; i < 300; ++i) {
            const auto& [path, seed] = seeds[i % seeds.size()];
            std::string body = seed;
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits && !body.empty(); ++e) {
                const size_t at = rng() % body.size();
                switch (rng() % 4) {
                    case 0: body[at] = static_cast<char>(rng() % 256); break;
                    case 1: body.erase(at, 1 + rng() % 8); break;
                    case 2: body.insert(at, 1, "{}[]\",:0-9e\\"[rng() % 12]); break;
                    case 3: body.resize(at); break;
                }
            }
            const auto r = post_json(port, path, body, 30);
            INFO(path << " " << body);
            check_well_formed(r);
        }
    }
    // Afterwards: alive, and the same greedy answer as before.
    CHECK(server.alive());
    CHECK(greedy_completion(port, "Once upon a time", 32) == expected);
    std::filesystem::remove(config);
}
