#pragma once
// What every chat-shaped API (OpenAI chat completions and responses, Anthropic messages) does
// with its messages once parsed: render them (and the tools) with the chat template, tokenize,
// check the context, and learn how the model's reply splits; and, at the end, the reply's parts
// from the whole text.
#include "generation_job.hpp"
#include "reply_parser.hpp"

#include <string>
#include <vector>

namespace plinth::server {

struct prepared_chat {
    std::vector<int32_t> prompt;
    reply_format format;
};

// `tools`: the tools array as JSON text ("" for none); `field`: the request field errors name.
// Throws api_error (400): tools without a chat template, an empty prompt, one that fills the context.
prepared_chat prepare_chat(const api_context& ctx, const std::vector<chat_message>& messages, const std::string& tools,
                           bool tool_calls_allowed, const char* field);

// The parts of a whole reply (not streamed).
reply_parts parse_reply(const reply_format& format, const std::string& text);

// Appends `more` to `parts`.
void merge_parts(reply_parts& parts, reply_parts more);

}  // namespace plinth::server
