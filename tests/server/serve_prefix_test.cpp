// Prefix caching through the API: a shared 200-token prefix is reused (and reported in
// usage.prompt_tokens_details.cached_tokens); prompts that differ in their first token share nothing.
#include "serve_test_support.hpp"

#include <vector>

using namespace plinth::test;

namespace {

std::vector<int32_t> tokens_of(unsigned short port, const std::string& text) {
    const auto r = post_json(port, "/tokenize", json{{"content", text}, {"add_special", true}}.dump());
    REQUIRE(r.status == 200);
    return body_of(r)["tokens"].get<std::vector<int32_t>>();
}

struct timed_answer {
    int cached = -1;
    double first_token = 0;  // seconds to the first streamed token, seen by the client
};

timed_answer stream_tokens(unsigned short port, const std::vector<int32_t>& prompt) {
    const auto r = post_json(port, "/v1/completions",
                             json{{"prompt", prompt}, {"max_tokens", 1}, {"temperature", 0}, {"stream", true},
                                  {"stream_options", {{"include_usage", true}}}}
                                 .dump());
    REQUIRE(r.status == 200);
    timed_answer a;
    for (const auto& e : sse_events(r.body)) {
        if (e == "[DONE]") continue;
        const json j = json::parse(e);
        if (j.contains("usage") && j["usage"].is_object()) a.cached = j["usage"]["prompt_tokens_details"]["cached_tokens"].get<int>();
    }
    a.first_token = r.seconds;  // one token: the whole answer is the first token
    return a;
}

}  // namespace

TEST_CASE("a second request sharing a 200-token prefix reuses its KV", "[server][prefix]") {
    server_process server({"-m", slow_model(), "--parallel", "2", "-c", "1024"});
    const auto port = server.port();
    std::string text = "Once upon a time, there was a little girl named Lily.";
    while (tokens_of(port, text).size() < 210) text += " She liked to play with her big red ball in the sun.";
    auto base = tokens_of(port, text);
    base.resize(210);
    auto first = base, second = base;
    first.push_back(300);
    second[205] = 301;  // shares the first 205 tokens
    second.push_back(302);

    const auto a = stream_tokens(port, first);
    const auto b = stream_tokens(port, second);
    CHECK(a.cached == 0);
    CHECK(b.cached >= 192);
    INFO("first request " << a.first_token << " s, second " << b.first_token << " s");
    CHECK(b.first_token <= 0.3 * a.first_token);

    // The same tokens after a different first token: nothing is shared.
    auto other = first;
    other[0] = first[0] == 5 ? 6 : 5;
    const auto c = stream_tokens(port, other);
    CHECK(c.cached == 0);
    CHECK(server.alive());
}
