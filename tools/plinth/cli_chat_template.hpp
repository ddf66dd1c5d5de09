#pragma once
// Which chat template a chat front end (plinth chat, plinth serve) renders messages with:
// --chat-template FILE, else the model's tokenizer.chat_template, else none (the built-in
// fallback format of tools/server/chat_prompt.cpp).
#include <plinth/chat_template.hpp>
#include <plinth/model_file.hpp>

#include <optional>
#include <string>

namespace plinth::cli {

// Throws po::error for a file that cannot be read, template_error for one that does not parse.
std::optional<chat_template> choose_chat_template(const model_file& model, const std::string& file);

}  // namespace plinth::cli
