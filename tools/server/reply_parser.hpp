#pragma once
// Splits what a chat model writes into the parts OpenAI's API returns apart: reasoning
// (`<think>...</think>`, as reasoning_content), tool calls in the common model formats, and the
// rest (content). Incremental: text arrives a token at a time and is released as soon as no later
// text can change what it is (a partial "<tool_" or "</thi" is held back until it is decided).
//
// Tool-call formats, by what the chat template writes:
//   hermes  (Hermes, Qwen 2.5/3):  <tool_call>{"name": ..., "arguments": {...}}</tool_call>
//   mistral:                       [TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]
//   llama3  (Llama 3.1+):          the whole reply is {"name": ..., "parameters": {...}}
//                                  (optionally after <|python_tag|>)
#include <string>
#include <string_view>
#include <vector>

namespace plinth::server {

enum class tool_call_style { none, hermes, mistral, llama3 };

struct reply_format {
    bool reasoning = false;        // the template knows <think>: split reasoning out
    bool starts_in_reasoning = false;  // the prompt itself opened <think> (the reply starts inside it)
    tool_call_style tools = tool_call_style::none;  // none: tool calls are not parsed (no tools given)
};

// What the template's source says about its model's replies; `tools_given`: the request has tools.
reply_format detect_reply_format(std::string_view template_source, std::string_view rendered_prompt, bool tools_given);

struct tool_call {
    std::string name;
    std::string arguments;  // a JSON object, as text
};

struct reply_parts {
    std::string content;
    std::string reasoning;
    std::vector<tool_call> calls;
    bool empty() const { return content.empty() && reasoning.empty() && calls.empty(); }
};

class reply_parser {
public:
    explicit reply_parser(reply_format format);
    // The parts `text` (the next generated text) releases.
    reply_parts push(std::string_view text);
    // Everything still held, once the reply has ended. An unfinished or unparsable tool call is
    // returned as content, as the model wrote it.
    reply_parts finish();
    // Whether any tool call was returned.
    bool called() const { return called_; }

private:
    enum class mode { undecided, reasoning, content, tool_call, mistral_calls, llama3_call };
    void run(reply_parts& out, bool final);
    bool parse_calls(const std::string& json_text, reply_parts& out);

    reply_format format_;
    mode mode_ = mode::undecided;
    std::string held_;
    bool called_ = false;
    bool skip_space_ = false;  // after </think>: the answer's leading blank lines are dropped
};

}  // namespace plinth::server
