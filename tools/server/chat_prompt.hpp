#pragma once
// Turns chat messages into the prompt text the model continues: with the model's chat template
// when it has one (or --chat-template gave one), else a built-in fallback format (docs/server.md).
#include "generation_params.hpp"

#include <plinth/chat_template.hpp>
#include <plinth/tokenizer.hpp>

#include <string>
#include <vector>

namespace plinth::server {

struct chat_prompt {
    std::string text;
    bool has_bos = false;  // the text starts with the model's BOS itself (a template wrote it)
};

// `tmpl` null: the fallback. Throws api_error (400) when the template refuses the conversation.
// `tools`: the request's tools array as JSON text, given to the template as `tools` ("" for none).
chat_prompt render_chat_prompt(const std::vector<chat_message>& messages, const chat_template* tmpl, const tokenizer& tok,
                               const std::string& tools = "");

}  // namespace plinth::server
