#pragma once
// Turns chat messages into the prompt text the model continues. Today one built-in format for
// every model (docs/server.md); model-specific chat templates will replace it behind this function.
#include "generation_params.hpp"

#include <string>
#include <vector>

namespace plinth::server {

std::string render_chat_prompt(const std::vector<chat_message>& messages);

}  // namespace plinth::server
