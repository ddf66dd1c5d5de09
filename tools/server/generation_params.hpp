#pragma once
// What a client asked for in POST /v1/completions or /v1/chat/completions, checked field by field.
// The request parser knows JSON and OpenAI's field rules, nothing of the engine.
#include <plinth/grammar.hpp>
#include <plinth/sampler.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plinth::server {

struct chat_message {
    chat_message(std::string r = {}, std::string c = {}) : role(std::move(r)), content(std::move(c)) {}
    std::string role;     // system, developer, user, assistant, tool
    std::string content;  // text parts joined
    std::string tool_calls;    // assistant: its tool_calls array as JSON text ("" when none)
    std::string tool_call_id;  // tool: the call it answers
    std::string name;          // tool (or any role): the optional name
};

enum class api_kind { completion, chat };

struct generation_params {
    api_kind kind = api_kind::completion;
    std::string model;
    // completions: the prompt as text, or as token ids (prompt_is_tokens)
    std::string prompt_text;
    std::vector<int32_t> prompt_tokens;
    bool prompt_is_tokens = false;
    // chat
    std::vector<chat_message> messages;
    std::string tools;                    // the tools array as JSON text ("" when none were given)
    bool tool_calls_allowed = false;      // tools given and tool_choice is not "none"
    bool tool_call_forced = false;        // tool_choice "required" or a named function: the reply is a call
    std::string forced_function;          // the named function ("" : any of the tools)

    std::optional<uint32_t> max_tokens;   // absent: until the context ends
    sampling_settings sampling;           // OpenAI's defaults: temperature 1, every filter off
    std::vector<std::string> stop;
    bool stream = false;
    bool include_usage = false;           // stream_options.include_usage
    bool logprobs = false;
    uint32_t top_logprobs = 0;
    bool ignore_eos = false;
    // response_format json_object / json_schema, or `grammar`: the output is held to it by the
    // token mask (docs/server.md, "Structured output"). Null when the output is free.
    std::shared_ptr<const grammar> constraint;
};

// Parses and checks a request body. Throws api_error (400) naming the field at fault; unknown
// fields are ignored.
generation_params parse_generation_request(std::string_view body, api_kind kind);

// The grammar a `response_format`-shaped object asks for (OpenAI chat's response_format, or the
// Responses API's text.format, where the json_schema fields sit in the object itself: `flat`).
// Null for {"type": "text"}. Throws api_error (400) naming `field` for anything it cannot enforce.
// An ordered_json (parse the body with nlohmann::ordered_json) so that a schema's properties keep
// their declared order.
std::shared_ptr<const grammar> response_format_grammar(const nlohmann::ordered_json& format, const std::string& field, bool flat);

// Compiles grammar text; a grammar_error becomes a 400 naming `field`.
std::shared_ptr<const grammar> compile_grammar(const std::string& text, const std::string& field);

}  // namespace plinth::server
