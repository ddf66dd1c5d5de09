// The public face of the template engine: parse once, render many times, errors with locations.
#include "template_evaluator.hpp"
#include "template_json.hpp"
#include "template_parser.hpp"
#include "template_program.hpp"

#include <nlohmann/json.hpp>

namespace plinth {

template_error::template_error(const std::string& template_name, int line, int column, std::string message)
    : error(template_name + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message),
      message_(std::move(message)),
      line_(line),
      column_(column) {}

std::pair<int, int> chat_template::program::location(std::size_t offset) const {
    offset = std::min(offset, source.size());
    int line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset; ++i)
        if (source[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    return {line, static_cast<int>(jinja::codepoint_count(source.substr(line_start, offset - line_start))) + 1};
}

template_error chat_template::program::error_at(std::size_t offset, std::string message) const {
    const auto [line, column] = location(offset);
    return template_error(name, line, column, std::move(message));
}

chat_template chat_template::parse(std::string source, std::string name) {
    auto parsed = std::make_shared<program>();
    parsed->name = std::move(name);
    parsed->source = jinja::normalize_source(source);
    try {
        parsed->body = jinja::parse_tokens(jinja::tokenize(parsed->source));
    } catch (const jinja::failure_at& e) {
        throw parsed->error_at(e.offset, e.message);
    }
    return chat_template(std::move(parsed));
}

std::string chat_template::render(const nlohmann::ordered_json& variables, const render_options& options) const {
    if (!variables.is_object()) throw template_error(program_->name, 1, 1, "the template variables must be a JSON object");
    jinja::value root;
    try {
        root = jinja::from_json(variables);
    } catch (const jinja::failure& e) {
        throw template_error(program_->name, 1, 1, std::string("the template variables: ") + e.what());
    }
    return jinja::render_program(*program_, root, options);
}

const std::string& chat_template::name() const { return program_->name; }
const std::string& chat_template::source() const { return program_->source; }

}  // namespace plinth
