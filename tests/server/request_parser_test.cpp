// The OpenAI request parser: every field's type and range, with the field named in the error.
#include <api_error.hpp>
#include <generation_params.hpp>

#include <catch2/catch.hpp>

using plinth::server::api_error;
using plinth::server::api_kind;
using plinth::server::parse_generation_request;

namespace {

// The field an invalid body is refused for ("" when accepted).
std::string refused_field(const std::string& body, api_kind kind = api_kind::completion) {
    try {
        parse_generation_request(body, kind);
        return "";
    } catch (const api_error& e) {
        CHECK(e.status == 400);
        return e.param.empty() ? "(none)" : e.param;
    }
}

}  // namespace

TEST_CASE("a minimal completion request gets OpenAI's defaults", "[server][parser]") {
    const auto p = parse_generation_request(R"({"prompt": "Hi", "unknown_field": [1, {"x": 2}]})", api_kind::completion);
    CHECK(p.prompt_text == "Hi");
    CHECK_FALSE(p.prompt_is_tokens);
    CHECK(p.sampling.temperature == 1.0f);
    CHECK(p.sampling.top_k == 0);
    CHECK(p.sampling.top_p == 1.0f);
    CHECK(p.sampling.min_p == 0.0f);
    CHECK_FALSE(p.max_tokens);
    CHECK_FALSE(p.stream);
}

TEST_CASE("every field is read", "[server][parser]") {
    const auto p = parse_generation_request(
        R"({"prompt": [1, 2, 3], "max_tokens": 7, "temperature": 0, "top_p": 0.5, "top_k": 3, "min_p": 0.1,
            "presence_penalty": 0.5, "frequency_penalty": -0.5, "repetition_penalty": 1.1, "seed": 42,
            "stop": ["a", "b"], "stream": true, "stream_options": {"include_usage": true}, "logprobs": 2,
            "n": 1, "ignore_eos": true, "model": "m"})",
        api_kind::completion);
    CHECK(p.prompt_is_tokens);
    CHECK(p.prompt_tokens == std::vector<int32_t>{1, 2, 3});
    CHECK(*p.max_tokens == 7);
    CHECK(p.sampling.temperature == 0.0f);
    CHECK(p.sampling.top_k == 3);
    CHECK(p.sampling.repeat_penalty == Approx(1.1f));
    CHECK(*p.sampling.seed == 42);
    CHECK(p.stop == std::vector<std::string>{"a", "b"});
    CHECK(p.stream);
    CHECK(p.include_usage);
    CHECK(p.logprobs);
    CHECK(p.top_logprobs == 2);
    CHECK(p.ignore_eos);
    CHECK(p.model == "m");
}

TEST_CASE("chat messages: strings and text parts", "[server][parser]") {
    const auto p = parse_generation_request(
        R"({"messages": [{"role": "system", "content": "Be brief."},
                         {"role": "user", "content": [{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}]}],
            "max_completion_tokens": 3, "logprobs": true, "top_logprobs": 4})",
        api_kind::chat);
    REQUIRE(p.messages.size() == 2);
    CHECK(p.messages[1].content == "Hello");
    CHECK(*p.max_tokens == 3);
    CHECK(p.top_logprobs == 4);
}

TEST_CASE("bad values are refused naming the field", "[server][parser]") {
    CHECK(refused_field("{") == "(none)");
    CHECK(refused_field("[1, 2]") == "(none)");
    CHECK(refused_field("{}") == "prompt");
    CHECK(refused_field(R"({"prompt": 5})") == "prompt");
    CHECK(refused_field(R"({"prompt": []})") == "prompt");
    CHECK(refused_field(R"({"prompt": ["a", "b"]})") == "prompt");
    CHECK(refused_field(R"({"prompt": [1, -2]})") == "prompt");
    CHECK(refused_field(R"({"prompt": "x", "temperature": 5})") == "temperature");
    CHECK(refused_field(R"({"prompt": "x", "temperature": "hot"})") == "temperature");
    CHECK(refused_field(R"({"prompt": "x", "top_p": 1.5})") == "top_p");
    CHECK(refused_field(R"({"prompt": "x", "min_p": -0.1})") == "min_p");
    CHECK(refused_field(R"({"prompt": "x", "max_tokens": 0})") == "max_tokens");
    CHECK(refused_field(R"({"prompt": "x", "max_tokens": 1.5})") == "max_tokens");
    CHECK(refused_field(R"({"prompt": "x", "n": 2})") == "n");
    CHECK(refused_field(R"({"prompt": "x", "stop": [1]})") == "stop");
    CHECK(refused_field(R"({"prompt": "x", "stream": "yes"})") == "stream");
    CHECK(refused_field(R"({"prompt": "x", "logprobs": 9})") == "logprobs");
    CHECK(refused_field(R"({"prompt": "x", "response_format": {"type": "xml"}})") == "response_format.type");
    CHECK(refused_field(R"({"prompt": "x", "response_format": "json"})") == "response_format");
    CHECK(refused_field(R"({"prompt": "x", "grammar": 5})") == "grammar");
    CHECK(refused_field(R"({"prompt": "x", "presence_penalty": 3})") == "presence_penalty");
    CHECK(refused_field(R"({"prompt": "x", "seed": 1.5})") == "seed");
    CHECK(refused_field(R"({"messages": []})", api_kind::chat) == "messages");
    CHECK(refused_field(R"({"messages": [{"role": "wizard", "content": "x"}]})", api_kind::chat) == "messages[0].role");
    CHECK(refused_field(R"({"messages": [{"role": "user"}]})", api_kind::chat) == "messages[0].content");
    CHECK(refused_field(R"({"messages": [{"role": "user", "content": "x"}], "top_logprobs": 3})", api_kind::chat) == "top_logprobs");
    CHECK(refused_field("{\"prompt\": \"\xff\xfe\"}") == "(none)");  // invalid UTF-8 inside JSON
}

namespace {

// The message of a refused body.
std::string refusal(const std::string& body, api_kind kind = api_kind::chat) {
    try {
        parse_generation_request(body, kind);
    } catch (const api_error& e) {
        return e.param + ": " + e.what();
    }
    return "accepted";
}

}  // namespace

TEST_CASE("structured output: response_format and grammar compile to a constraint", "[server][parser]") {
    const std::string chat = R"("messages": [{"role": "user", "content": "x"}])";
    CHECK_FALSE(parse_generation_request("{" + chat + R"(, "response_format": {"type": "text"}})", api_kind::chat).constraint);
    CHECK(parse_generation_request("{" + chat + R"(, "response_format": {"type": "json_object"}})", api_kind::chat).constraint);
    const auto p = parse_generation_request("{" + chat + R"(, "response_format": {"type": "json_schema", "json_schema":
        {"name": "p", "strict": true, "schema": {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}}}})",
                                            api_kind::chat);
    REQUIRE(p.constraint);
    CHECK(p.constraint->rule_names[p.constraint->root] == "root");
    CHECK(parse_generation_request(R"({"prompt": "x", "grammar": "root ::= [a-z]+"})", api_kind::completion).constraint);
}

TEST_CASE("structured output: what cannot be enforced is a 400 naming it", "[server][parser]") {
    const std::string chat = R"({"messages": [{"role": "user", "content": "x"}], )";
    // An unsupported schema keyword: named, with where it is.
    const std::string why = refusal(chat + R"("response_format": {"type": "json_schema", "json_schema": {"name": "p",
        "schema": {"type": "object", "properties": {"a": {"type": "string", "pattern": "^a+$"}}}}}})");
    CHECK_THAT(why, Catch::StartsWith("response_format.json_schema.schema: "));
    CHECK_THAT(why, Catch::Contains("'pattern' at #/properties/a is not supported"));
    CHECK_THAT(refusal(chat + R"("response_format": {"type": "json_schema", "json_schema": {"name": 5, "schema": {}}}})"),
               Catch::StartsWith("response_format.json_schema.name: "));
    CHECK_THAT(refusal(chat + R"("response_format": {"type": "json_schema", "json_schema": {"schema": {}, "strict": "yes"}}})"),
               Catch::StartsWith("response_format.json_schema.strict: "));
    CHECK_THAT(refusal(chat + R"("response_format": {"type": "json_schema"}})"), Catch::StartsWith("response_format.json_schema: "));
    // A bad grammar: the parser's message, with its position.
    const std::string bad_grammar = refusal(chat + R"("grammar": "root ::= [a-"})");
    CHECK_THAT(bad_grammar, Catch::StartsWith("grammar: "));
    CHECK_THAT(bad_grammar, Catch::Contains("unterminated character class (line 1, column 10)"));
    // One the automaton cannot follow: refused here, not failed on the scheduler's thread.
    CHECK_THAT(refusal(chat + R"("grammar": "root ::= (\"a\"? \"a\"?){1,3000} \"b\""})"), Catch::Contains("too ambiguous"));
    CHECK_THAT(refusal(chat + R"("grammar": "root ::= \"a\"", "response_format": {"type": "json_object"}})"),
               Catch::StartsWith("grammar: "));
    for (const char* other : {"guided_json", "guided_regex", "json_schema"})
        CHECK_THAT(refusal(chat + "\"" + other + "\": {}}"), Catch::StartsWith(std::string(other) + ": "));
}

TEST_CASE("tool_choice required or a named function forces a call; a conflict or an unknown name is a 400", "[server][parser]") {
    const std::string base = R"({"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function",
        "function": {"name": "f", "parameters": {"type": "object"}}}], )";
    const auto required = parse_generation_request(base + R"("tool_choice": "required"})", api_kind::chat);
    CHECK(required.tool_call_forced);
    CHECK(required.forced_function.empty());
    const auto named = parse_generation_request(base + R"("tool_choice": {"type": "function", "function": {"name": "f"}}})", api_kind::chat);
    CHECK(named.tool_call_forced);
    CHECK(named.forced_function == "f");
    CHECK_FALSE(parse_generation_request(base + R"("tool_choice": "auto"})", api_kind::chat).tool_call_forced);
    CHECK_THAT(refusal(base + R"("tool_choice": {"type": "function", "function": {"name": "g"}}})"), Catch::Contains("'g', which is not among the tools"));
    CHECK_THAT(refusal(base + R"("tool_choice": "always"})"), Catch::StartsWith("tool_choice: "));
    CHECK_THAT(refusal(base + R"("tool_choice": "required", "response_format": {"type": "json_object"}})"), Catch::StartsWith("tool_choice: "));
    CHECK_THAT(refusal(base + R"("tool_choice": "required", "grammar": "root ::= \"a\""})"), Catch::StartsWith("grammar: "));
}
