#pragma once
// Splits a template into text and the tokens of its tags, applying Hugging Face's whitespace
// settings (trim_blocks, lstrip_blocks), `-`/`+` whitespace control and comments.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace plinth::jinja {

struct token {
    enum class kind { text, print_begin, print_end, block_begin, block_end, name, string, integer, floating, op, end };
    kind type;
    std::string text;  // text, name, string (unescaped), op
    std::int64_t integer = 0;
    double floating = 0;
    std::size_t offset = 0;  // into the normalized source
};

// Newlines normalized to "\n", one trailing newline dropped (keep_trailing_newline=False).
std::string normalize_source(const std::string& source);

// Throws failure_at (below) for an unterminated tag, comment or string, or a stray character.
std::vector<token> tokenize(const std::string& normalized_source);

// A failure with its source offset, raised by the lexer and the parser.
struct failure_at {
    std::size_t offset;
    std::string message;
};

}  // namespace plinth::jinja
