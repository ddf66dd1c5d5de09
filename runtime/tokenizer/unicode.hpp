#pragma once
// UTF-8 and the few Unicode properties the tokenizers need (internal to libplinth).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace plinth::unicode {

// General category, coarsely (the first letter of the Unicode category).
enum class category : uint8_t { other = 0, letter = 1, number = 2, punctuation = 3, symbol = 4, mark = 5, separator = 6 };

category category_of(uint32_t cp);  // unicode_table.cpp
// The Unicode White_Space property (what \s matches in the pre-tokenizer patterns).
bool is_whitespace(uint32_t cp);
inline bool is_letter(uint32_t cp) { return category_of(cp) == category::letter; }
inline bool is_number(uint32_t cp) { return category_of(cp) == category::number; }

// Marks a byte that is not part of a valid UTF-8 sequence; such a byte is decoded on its own as
// invalid_base + byte, a value above any code point, so it is never a letter, number or space.
constexpr uint32_t invalid_base = 0x110000;

// Length in bytes of the UTF-8 sequence starting at s[pos], 1 for an invalid byte.
size_t sequence_length(std::string_view s, size_t pos);
// Decodes the sequence at s[pos] (of length sequence_length(s, pos)).
uint32_t decode_at(std::string_view s, size_t pos, size_t len);

struct code_point {
    uint32_t value;
    uint32_t offset;  // byte offset in the text
};
// Every code point of the text with its byte offset; invalid bytes as invalid_base + byte.
std::vector<code_point> decode(std::string_view s);

void append_utf8(std::string& out, uint32_t cp);

// Length of an incomplete UTF-8 sequence at the end of s that more bytes could still complete
// (0 when s ends on a complete sequence or an invalid byte).
size_t incomplete_tail(std::string_view s);

// Byte-level BPE: every byte has a printable stand-in code point (space -> U+0120 'Ġ', ...).
uint32_t byte_to_code_point(uint8_t b);
// The byte a stand-in code point stands for, or -1 when it is not one.
int code_point_to_byte(uint32_t cp);

}  // namespace plinth::unicode
