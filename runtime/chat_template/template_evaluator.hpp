#pragma once
// Renders a parsed template: statements, expressions, scopes, macros and the global functions
// (raise_exception, strftime_now, namespace, range, dict).
#include "template_program.hpp"

#include <string>

namespace plinth::jinja {

// `variables` is a dict value. Throws template_error.
std::string render_program(const chat_template::program& program, const value& variables, const render_options& options);

}  // namespace plinth::jinja
