#pragma once
// JSON Schema -> grammar text (the notation of plinth/grammar.hpp), for structured output.
// The keywords supported, and how, are listed in docs/server.md ("Structured output"); any
// other keyword is refused with schema_error naming it, never ignored.
#include <nlohmann/json_fwd.hpp>

#include <stdexcept>
#include <string>

namespace plinth {

// A schema this converter cannot enforce: an unsupported keyword, a malformed value, a $ref it
// cannot resolve. `keyword()` is the keyword at fault, what() says where (a JSON pointer).
class schema_error : public std::invalid_argument {
public:
    schema_error(const std::string& what, std::string keyword) : std::invalid_argument(what), keyword_(std::move(keyword)) {}
    const std::string& keyword() const { return keyword_; }

private:
    std::string keyword_;
};

// Grammar text (root rule `root`) whose every sentence is a JSON document valid under `schema`.
// An ordered_json, because properties are generated in the order the schema declares them.
std::string json_schema_grammar(const nlohmann::ordered_json& schema);

// Grammar text for any JSON object (response_format json_object).
std::string json_object_grammar();

}  // namespace plinth
