#pragma once
// Pre-tokenizers as data: each name maps to stages of split rules (pretokenizer_table.cpp), and
// one engine applies them (pretokenizer.cpp).
//
// A stage is what one regex alternation does: at each position the rules are tried in order and
// the first that matches gives one piece; text no rule matches collects into a piece of its own
// (as a regex split keeps the text between matches). A later stage splits each piece of the
// earlier one again, never across pieces, so `$` and look-ahead see the end of the piece.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plinth {

// What the rules ask about a code point, as bits. Each code point gets the bits that hold for it;
// any_char holds for every one (also for bytes that are not valid UTF-8, which get nothing else).
namespace cp_bit {
constexpr uint32_t letter = 1u << 0;       // \p{L}
constexpr uint32_t number = 1u << 1;       // \p{N}
constexpr uint32_t mark = 1u << 2;         // \p{M}
constexpr uint32_t punctuation = 1u << 3;  // \p{P}
constexpr uint32_t symbol = 1u << 4;       // \p{S}
constexpr uint32_t space = 1u << 5;        // \s: the Unicode White_Space property
constexpr uint32_t cr_lf = 1u << 6;        // [\r\n]
constexpr uint32_t lf = 1u << 7;           // \n
constexpr uint32_t blank = 1u << 8;        // ' ' (U+0020) only
constexpr uint32_t ascii_digit = 1u << 9;  // [0-9]
// Sets of code point ranges some patterns spell out (pretokenizer_table.cpp):
constexpr uint32_t cased_letter = 1u << 10;  // deepseek's long [A-Za-zµÀ-Ö...] class
constexpr uint32_t wide_punct = 1u << 11;    // [!-/:-~！-／：-～‘-‟　-。]
constexpr uint32_t cjk = 1u << 12;           // [一-龥ࠀ-一가-퟿]
constexpr uint32_t bpe_symbol = 1u << 13;    // [$+<=>^~|`]: ASCII symbols falcon groups with \p{P}
constexpr uint32_t any_char = 1u << 31;
constexpr uint32_t range_sets = cased_letter | wide_punct | cjk | bpe_symbol;
}  // namespace cp_bit

// A character class: a code point belongs when it has one of the `any` bits and none of the
// `none` bits. [^\s\p{L}\p{N}] is {any_char, space | letter | number}. Empty `any`: no class.
struct char_class {
    uint32_t any = 0;
    uint32_t none = 0;
    constexpr bool empty() const { return any == 0; }
    constexpr bool has(uint32_t bits) const { return (bits & any) != 0 && (bits & none) == 0; }
};

struct split_rule {
    enum class kind : uint8_t {
        contraction,         // 's|'t|'re|'ve|'m|'ll|'d, ASCII case-insensitively when ignore_case
        run,                 // prefix? body{min,max} suffix*, optionally only up to the piece's end ($)
        spaces_before_text,  // \s+(?!\S): a space run at the end, or all of it but its last character
        spaces_to_newline,   // \s*[\r\n]+: a space run up to and including its last CR or LF
    };
    kind what = kind::run;
    char_class prefix{};  // run: one optional leading code point
    char_class body{};    // run: the repeated class
    uint32_t min = 1;
    uint32_t max = UINT32_MAX;
    char_class suffix{};  // run: a greedy trailing run after the body (may be empty)
    bool at_end = false;  // run: matches only when it reaches the end of the piece
    bool ignore_case = false;  // contraction
};

using split_stage = std::vector<split_rule>;

struct pre_tokenizer {
    std::string_view name;                   // canonical, what tokenizer::pre_tokenizer() reports
    std::vector<std::string_view> aliases;   // other tokenizer.ggml.pre spellings of the same rules
    std::vector<split_stage> stages;
    bool ignore_merges = false;  // a pre-token that is itself a token is taken whole (Llama 3)
    bool add_bos = false;        // BOS by default when the file has no add_bos_token
};

// Every named pre-tokenizer, in the order the error message lists them.
const std::vector<pre_tokenizer>& pre_tokenizers();
// The pre-tokenizer for a `tokenizer.ggml.pre` value ("" counts as "default"); throws
// plinth::error naming the supported ones when there is none.
const pre_tokenizer& find_pre_tokenizer(std::string_view name);
// The range sets behind cp_bit::range_sets: the bits among `wanted` that hold for cp.
uint32_t range_set_bits(uint32_t cp, uint32_t wanted);

// Splits text into pieces, as byte ranges [first, second) that cover the text in order.
std::vector<std::pair<size_t, size_t>> pre_tokenize(const pre_tokenizer& pre, std::string_view text);

}  // namespace plinth
