// The reply parser: reasoning, tool calls in the Hermes, Mistral and Llama 3 formats, and plain
// content, the same whether the text arrives whole or split at every byte.
#include <catch2/catch.hpp>

#include <reply_parser.hpp>

#include <nlohmann/json.hpp>

using namespace plinth::server;

namespace {

// Feeds `text` in pieces of `step` bytes, then finishes; the parts joined.
reply_parts parse(const reply_format& f, const std::string& text, size_t step) {
    reply_parser p(f);
    reply_parts all;
    const auto add = [&](reply_parts parts) {
        all.content += parts.content;
        all.reasoning += parts.reasoning;
        for (auto& c : parts.calls) all.calls.push_back(std::move(c));
    };
    for (size_t at = 0; at < text.size(); at += step) add(p.push(std::string_view(text).substr(at, step)));
    add(p.finish());
    return all;
}

// Every split gives the same parts.
reply_parts parse_every_way(const reply_format& f, const std::string& text) {
    const reply_parts whole = parse(f, text, text.size() + 1);
    for (size_t step = 1; step <= 7; ++step) {
        const reply_parts split = parse(f, text, step);
        INFO("pieces of " << step << " bytes");
        CHECK(split.content == whole.content);
        CHECK(split.reasoning == whole.reasoning);
        REQUIRE(split.calls.size() == whole.calls.size());
        for (size_t i = 0; i < whole.calls.size(); ++i) {
            CHECK(split.calls[i].name == whole.calls[i].name);
            CHECK(split.calls[i].arguments == whole.calls[i].arguments);
        }
    }
    return whole;
}

reply_format hermes() {
    reply_format f;
    f.reasoning = true;
    f.tools = tool_call_style::hermes;
    return f;
}

}  // namespace

TEST_CASE("reply parser: reasoning goes apart from content", "[server][reply]") {
    const auto r = parse_every_way(hermes(), "<think>\nThe user greets me.\n</think>\n\nHello there!");
    CHECK(r.reasoning == "\nThe user greets me.\n");
    CHECK(r.content == "Hello there!");
    CHECK(r.calls.empty());

    // A prompt that opened <think> itself (Qwen 3): the reply starts inside the reasoning.
    reply_format inside = hermes();
    inside.starts_in_reasoning = true;
    const auto q = parse_every_way(inside, "Short thought.</think>Answer.");
    CHECK(q.reasoning == "Short thought.");
    CHECK(q.content == "Answer.");

    // No reasoning block: all content, "<thi" held only until it cannot become the tag.
    const auto plain = parse_every_way(hermes(), "<thin ice> is not a tag");
    CHECK(plain.content == "<thin ice> is not a tag");
    CHECK(plain.reasoning.empty());
}

TEST_CASE("reply parser: Hermes / Qwen <tool_call> blocks become calls", "[server][reply]") {
    const auto r = parse_every_way(hermes(),
                                   "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"
                                   "<tool_call>{\"name\": \"get_time\", \"arguments\": \"{\\\"tz\\\": \\\"CET\\\"}\"}</tool_call>");
    CHECK(r.content == "Let me check.\n");
    REQUIRE(r.calls.size() == 2);
    CHECK(r.calls[0].name == "get_weather");
    CHECK(nlohmann::json::parse(r.calls[0].arguments) == nlohmann::json{{"city", "Paris"}});
    CHECK(r.calls[1].name == "get_time");
    CHECK(nlohmann::json::parse(r.calls[1].arguments) == nlohmann::json{{"tz", "CET"}});

    // Not JSON, or no name: left as the model wrote it.
    const auto bad = parse_every_way(hermes(), "<tool_call>not json</tool_call> done");
    CHECK(bad.calls.empty());
    CHECK(bad.content == "<tool_call>not json</tool_call> done");
    // A call the model ended without its closing tag still counts when its JSON is whole.
    const auto open = parse_every_way(hermes(), "<tool_call>{\"name\": \"f\", \"arguments\": {}}");
    REQUIRE(open.calls.size() == 1);
    CHECK(open.calls[0].name == "f");
}

TEST_CASE("reply parser: Mistral [TOOL_CALLS] and Llama 3 JSON calls", "[server][reply]") {
    reply_format mistral;
    mistral.tools = tool_call_style::mistral;
    const auto m = parse_every_way(mistral, "[TOOL_CALLS][{\"name\": \"a\", \"arguments\": {\"x\": 1}}, {\"name\": \"b\", \"arguments\": {}}]");
    REQUIRE(m.calls.size() == 2);
    CHECK(m.calls[0].name == "a");
    CHECK(m.calls[1].name == "b");
    CHECK(m.content.empty());

    reply_format llama;
    llama.tools = tool_call_style::llama3;
    const auto l = parse_every_way(llama, "{\"name\": \"search\", \"parameters\": {\"q\": \"plinth\"}}");
    REQUIRE(l.calls.size() == 1);
    CHECK(l.calls[0].name == "search");
    CHECK(nlohmann::json::parse(l.calls[0].arguments) == nlohmann::json{{"q", "plinth"}});
    const auto tagged = parse_every_way(llama, "<|python_tag|>{\"name\": \"f\", \"parameters\": {}}");
    REQUIRE(tagged.calls.size() == 1);
    // JSON that is not a call stays content.
    const auto data = parse_every_way(llama, "{\"answer\": 42}");
    CHECK(data.calls.empty());
    CHECK(data.content == "{\"answer\": 42}");
    const auto text = parse_every_way(llama, "Just words.");
    CHECK(text.content == "Just words.");
}

TEST_CASE("reply parser: which format a template implies", "[server][reply]") {
    const std::string qwen = "{% if tools %}<tool_call>{% endif %}{{ '<|im_start|>assistant\\n' }}";
    CHECK(detect_reply_format(qwen, "x", true).tools == tool_call_style::hermes);
    CHECK(detect_reply_format(qwen, "x", false).tools == tool_call_style::none);
    CHECK(detect_reply_format("[TOOL_CALLS] {{ x }}", "x", true).tools == tool_call_style::mistral);
    CHECK(detect_reply_format("<|python_tag|>{{ x }}", "x", true).tools == tool_call_style::llama3);
    const auto thinking = detect_reply_format("{{ '</think>' }}", "<|im_start|>assistant\n<think>\n", false);
    CHECK(thinking.reasoning);
    CHECK(thinking.starts_in_reasoning);
    CHECK_FALSE(detect_reply_format("plain", "x", false).reasoning);
}
