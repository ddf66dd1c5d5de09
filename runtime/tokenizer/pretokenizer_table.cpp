// Which split rules each `tokenizer.ggml.pre` name stands for: the one place to add a name.
//
// Each entry spells out the regexes of the vocabulary's tokenizer (Hugging Face `tokenizer.json`,
// as llama.cpp applies them) as split rules; the comment above each gives the regexes, one stage
// per line. Names that share rules share an entry through its aliases.
#include "pretokenizer.hpp"

#include <plinth/error.hpp>

#include <algorithm>
#include <iterator>

namespace plinth {

namespace {

using namespace cp_bit;

// Character classes the patterns use.
constexpr char_class L{letter};
constexpr char_class N{number};
constexpr char_class L_or_M{letter | mark};
constexpr char_class S{space};
constexpr char_class CR_LF{cr_lf};
constexpr char_class LF{lf};
constexpr char_class not_LF{any_char, lf};
constexpr char_class blank_only{blank};
constexpr char_class other{any_char, space | letter | number};                // [^\s\p{L}\p{N}]
constexpr char_class other_no_mark{any_char, space | letter | mark | number};  // [^\s\p{L}\p{M}\p{N}]
constexpr char_class word_lead{any_char, cr_lf | letter | number};            // [^\r\n\p{L}\p{N}]
constexpr char_class P{punctuation};
constexpr char_class P_or_bpe_symbol{punctuation | bpe_symbol};  // [\p{P}\$\+<=>\^~\|`]
constexpr char_class digit{ascii_digit};
constexpr char_class cased{cased_letter};
constexpr char_class punct_wide{wide_punct};
constexpr char_class han_hangul{cjk};

// Rule builders: run(body, min, max), then optional(prefix, ...), then_run(..., suffix), to_end(...).
constexpr split_rule run(char_class body, uint32_t min = 1, uint32_t max = UINT32_MAX) {
    split_rule r;
    r.what = split_rule::kind::run;
    r.body = body;
    r.min = min;
    r.max = max;
    return r;
}
constexpr split_rule optional(char_class prefix, split_rule r) {
    r.prefix = prefix;
    return r;
}
constexpr split_rule then_run(split_rule r, char_class suffix) {
    r.suffix = suffix;
    return r;
}
constexpr split_rule to_end(split_rule r) {
    r.at_end = true;
    return r;
}
constexpr split_rule contractions(bool ignore_case) {
    split_rule r;
    r.what = split_rule::kind::contraction;
    r.ignore_case = ignore_case;
    return r;
}
constexpr split_rule of_kind(split_rule::kind k) {
    split_rule r;
    r.what = k;
    return r;
}
constexpr split_rule spaces_before_text = of_kind(split_rule::kind::spaces_before_text);
constexpr split_rule spaces_to_newline = of_kind(split_rule::kind::spaces_to_newline);

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
const split_stage gpt2_stage = {contractions(false),           optional(blank_only, run(L)),
                                optional(blank_only, run(N)),  optional(blank_only, run(other)),
                                spaces_before_text,            run(S)};

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max_digits}
//   | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
split_stage llama3_stage(uint32_t max_digits) {
    return {contractions(true),
            optional(word_lead, run(L)),
            run(N, 1, max_digits),
            then_run(optional(blank_only, run(other)), CR_LF),
            spaces_to_newline,
            spaces_before_text,
            run(S)};
}

std::vector<pre_tokenizer> make_table() {
    std::vector<pre_tokenizer> t;
    t.push_back({"default", {}, {gpt2_stage}});
    t.push_back({"gpt-2", {"gpt2", "phi-2", "roberta-bpe", "mpt", "olmo", "jais"}, {gpt2_stage}});
    t.push_back({"llama3", {"llama-bpe", "llama-v3"}, {llama3_stage(3)}, /*ignore_merges=*/true, /*add_bos=*/true});
    // Llama 3's pattern without its ignore_merges.
    t.push_back({"dbrx", {"smaug-bpe"}, {llama3_stage(3)}});
    // As llama3 with one digit per piece.
    t.push_back({"qwen2", {"stablelm2"}, {llama3_stage(1)}});
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}
    //   | ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
    t.push_back({"qwen35",
                 {},
                 {{contractions(true), optional(word_lead, run(L_or_M)), run(N, 1, 1),
                   then_run(optional(blank_only, run(other_no_mark)), CR_LF), spaces_to_newline,
                   spaces_before_text, run(S)}}});
    // \p{N}
    // the gpt-2 pattern
    t.push_back({"command-r",
                 {"starcoder", "refact", "smollm", "codeshell", "exaone"},
                 {{run(N, 1, 1)}, gpt2_stage}});
    // [\p{P}\$\+<=>\^~\|`]+
    // the gpt-2 pattern
    // [0-9][0-9][0-9]
    t.push_back({"falcon", {}, {{run(P_or_bpe_symbol)}, gpt2_stage, {run(digit, 3, 3)}}});
    // [\r\n]
    // \s?[A-Za-zµÀ-ÖØ-öø-ƺ...]+       (cased letters of many scripts, see range_set_bits)
    // \s?[!-/:-~！-／：-～‘-‟　-。]+
    // \s+$
    // [一-龥ࠀ-一가-퟿]+
    // \p{N}+
    t.push_back({"deepseek-llm",
                 {},
                 {{run(CR_LF, 1, 1)},
                  {optional(S, run(cased))},
                  {optional(S, run(punct_wide))},
                  {to_end(run(S))},
                  {run(han_hangul)},
                  {run(N)}}});
    // [\r\n]
    // \s?\p{L}+
    // \s?\p{P}+
    // [一-龥ࠀ-一가-퟿]+
    // \p{N}
    t.push_back({"deepseek-coder",
                 {},
                 {{run(CR_LF, 1, 1)}, {optional(S, run(L))}, {optional(S, run(P))}, {run(han_hangul)}, {run(N, 1, 1)}}});
    // Gemma 4 (tokenizer.ggml.model "gemma4", whatever its pre says): spaces are already U+2581
    // and BPE runs on whole lines; only newlines are split off: [^\n]+|[\n]+
    t.push_back({"gemma4", {}, {{run(not_LF), run(LF)}}});
    return t;
}

struct code_range {
    uint32_t first, last;
};

// deepseek-llm's letter class: the cased letters (Lu, Ll, Lt and a few others) of Latin, Greek,
// Cyrillic, Armenian, Georgian, Cherokee, Glagolitic, Coptic, Deseret, Osage, Old Hungarian,
// Warang Citi and Adlam, as in its tokenizer.json.
constexpr code_range cased_ranges[] = {
    {0x41, 0x5A},       {0x61, 0x7A},       {0xB5, 0xB5},       {0xC0, 0xD6},       {0xD8, 0xF6},
    {0xF8, 0x1BA},      {0x1BC, 0x1BF},     {0x1C4, 0x293},     {0x295, 0x2AF},     {0x370, 0x373},
    {0x376, 0x377},     {0x37B, 0x37D},     {0x37F, 0x37F},     {0x386, 0x386},     {0x388, 0x38A},
    {0x38C, 0x38C},     {0x38E, 0x3A1},     {0x3A3, 0x3F5},     {0x3F7, 0x481},     {0x48A, 0x52F},
    {0x531, 0x556},     {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},   {0x1C90, 0x1CBA},
    {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},   {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},
    {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},   {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},
    {0x1F5B, 0x1F5B},   {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},   {0x1FD6, 0x1FDB},
    {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},   {0x2102, 0x2102},   {0x2107, 0x2107},
    {0x210A, 0x2113},   {0x2115, 0x2115},   {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},
    {0x2128, 0x2128},   {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},   {0x2C7E, 0x2CE4},
    {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},   {0xA680, 0xA69B},   {0xA722, 0xA76F},
    {0xA771, 0xA787},   {0xA78B, 0xA78E},   {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},
    {0xFF21, 0xFF3A},   {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};
// [!-/:-~！-／：-～‘-‟　-。] (note that :-~ takes in @, the ASCII letters, [\]^_` and {|}~)
constexpr code_range wide_punct_ranges[] = {{0x21, 0x2F},     {0x3A, 0x7E},     {0x2018, 0x201F},
                                            {0x3000, 0x3002}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E}};
// [一-龥ࠀ-一가-퟿]: U+0800..U+9FA5 (most non-Latin scripts of the BMP, CJK included) and Hangul
constexpr code_range cjk_ranges[] = {{0x800, 0x9FA5}, {0xAC00, 0xD7FF}};

template <size_t n>
bool in(const code_range (&ranges)[n], uint32_t cp) {
    const auto it = std::upper_bound(std::begin(ranges), std::end(ranges), cp,
                                     [](uint32_t c, const code_range& r) { return c < r.first; });
    return it != std::begin(ranges) && cp <= std::prev(it)->last;
}

}  // namespace

uint32_t range_set_bits(uint32_t cp, uint32_t wanted) {
    uint32_t bits = 0;
    if ((wanted & cased_letter) && in(cased_ranges, cp)) bits |= cased_letter;
    if ((wanted & wide_punct) && in(wide_punct_ranges, cp)) bits |= wide_punct;
    if ((wanted & cjk) && in(cjk_ranges, cp)) bits |= cjk;
    if ((wanted & bpe_symbol) && cp < 0x80 && std::string_view("$+<=>^~|`").find(static_cast<char>(cp)) != std::string_view::npos)
        bits |= bpe_symbol;
    return bits;
}

const std::vector<pre_tokenizer>& pre_tokenizers() {
    static const std::vector<pre_tokenizer> table = make_table();
    return table;
}

const pre_tokenizer& find_pre_tokenizer(std::string_view name) {
    if (name.empty()) name = "default";
    for (const auto& p : pre_tokenizers()) {
        if (p.name == name) return p;
        for (const auto alias : p.aliases)
            if (alias == name) return p;
    }
    std::string known;
    for (const auto& p : pre_tokenizers()) {
        if (!known.empty()) known += ", ";
        known += p.name;
        if (!p.aliases.empty()) {
            known += " (";
            for (size_t i = 0; i < p.aliases.size(); ++i) known += (i ? ", " : "") + std::string(p.aliases[i]);
            known += ")";
        }
    }
    throw error("tokenizer: unsupported pre-tokenizer '" + std::string(name) +
                "' (tokenizer.ggml.pre); supported: " + known);
}

}  // namespace plinth
