#pragma once
// Parses the lexer's tokens into statements and expressions, with Jinja2's operator precedence.
#include "template_ast.hpp"
#include "template_lexer.hpp"

namespace plinth::jinja {

// Throws failure_at on a syntax error.
stmt_list parse_tokens(const std::vector<token>& tokens);

}  // namespace plinth::jinja
