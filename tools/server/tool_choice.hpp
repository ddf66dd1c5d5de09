#pragma once
// tool_choice "required" or a named function: a grammar that makes the reply one tool call, in
// the form the chat template's model writes (so the reply parser turns it into tool_calls).
#include "reply_parser.hpp"

#include <string>

namespace plinth::server {

// Grammar text for one call of `function` (any of the tools when empty), its arguments held to
// the tool's parameters schema. `tools`: the request's tools array as JSON text.
// Throws api_error (400, param tool_choice): a template with no known call form, or parameters
// the schema converter cannot enforce.
std::string forced_call_grammar(const std::string& tools, const std::string& function, const reply_format& format);

}  // namespace plinth::server
