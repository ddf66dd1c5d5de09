// The engine that applies a pre-tokenizer's split rules (pretokenizer.hpp) to a text.
//
// The rules stand for regex alternatives; each is matched by hand, greedy, with the backtracking
// a regex engine would do where it changes the outcome (`\s+(?!\S)`, `\s*[\r\n]+`), so a text
// costs O(n) per stage whatever it holds.
#include "pretokenizer.hpp"
#include "unicode.hpp"

namespace plinth {

namespace {

uint32_t class_bits_of(const char_class& c) { return c.any | c.none; }

// The bits any rule of the pre-tokenizer looks at (to skip range-set lookups nobody needs).
uint32_t wanted_bits(const pre_tokenizer& pre) {
    uint32_t bits = 0;
    for (const auto& stage : pre.stages)
        for (const auto& r : stage) bits |= class_bits_of(r.prefix) | class_bits_of(r.body) | class_bits_of(r.suffix);
    return bits;
}

uint32_t bits_of(uint32_t cp, uint32_t wanted_ranges) {
    using namespace cp_bit;
    uint32_t bits = any_char;
    if (cp >= unicode::invalid_base) return bits;
    switch (unicode::category_of(cp)) {
    case unicode::category::letter: bits |= letter; break;
    case unicode::category::number: bits |= number; break;
    case unicode::category::mark: bits |= mark; break;
    case unicode::category::punctuation: bits |= punctuation; break;
    case unicode::category::symbol: bits |= symbol; break;
    default: break;
    }
    if (unicode::is_whitespace(cp)) bits |= space;
    if (cp == '\r' || cp == '\n') bits |= cr_lf;
    if (cp == '\n') bits |= lf;
    if (cp == ' ') bits |= blank;
    if (cp >= '0' && cp <= '9') bits |= ascii_digit;
    if (wanted_ranges) bits |= range_set_bits(cp, wanted_ranges);
    return bits;
}

// Matches the rules of one stage inside one piece [begin, end) of code points.
class piece_matcher {
public:
    piece_matcher(const std::vector<uint32_t>& cps, const std::vector<uint32_t>& bits, size_t end)
        : cps_(cps), bits_(bits), end_(end) {}

    // End of the match of rule r at i, or i when it does not match there.
    size_t match(const split_rule& r, size_t i) const {
        switch (r.what) {
        case split_rule::kind::contraction: return contraction(i, r.ignore_case);
        case split_rule::kind::run: return run_rule(r, i);
        case split_rule::kind::spaces_before_text: return spaces_before_text(i);
        case split_rule::kind::spaces_to_newline: return spaces_to_newline(i);
        }
        return i;
    }

private:
    bool is(size_t i, const char_class& c) const { return i < end_ && c.has(bits_[i]); }
    uint32_t at(size_t i) const { return i < end_ ? cps_[i] : 0; }
    size_t run(size_t i, const char_class& c, size_t max = SIZE_MAX) const {
        const size_t start = i;
        while (i - start < max && is(i, c)) ++i;
        return i;
    }

    size_t contraction(size_t i, bool ignore_case) const {
        if (at(i) != '\'') return i;
        const auto lower = [&](size_t k) {
            const uint32_t c = at(k);
            return ignore_case && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
        };
        const uint32_t a = lower(i + 1);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
        const uint32_t b = lower(i + 2);
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
        return i;
    }

    // prefix? body{min,max} suffix* ($): first with the prefix, then without, as `?` backtracks.
    size_t run_rule(const split_rule& r, size_t i) const {
        const auto from = [&](size_t start) -> size_t {
            const size_t body_end = run(start, r.body, r.max);
            if (body_end - start < r.min) return 0;
            const size_t e = r.suffix.empty() ? body_end : run(body_end, r.suffix);
            if (r.at_end && e != end_) return 0;
            return e;
        };
        if (!r.prefix.empty() && is(i, r.prefix))
            if (const size_t e = from(i + 1)) return e;
        if (const size_t e = from(i)) return e;
        return i;
    }

    // \s+(?!\S): a space run that ends the piece, or all of it but its last character when text
    // follows (that character then leads the next piece, e.g. the space of " world").
    size_t spaces_before_text(size_t i) const {
        const size_t e = run(i, char_class{cp_bit::space});
        if (e == i || e == end_) return e;
        return e - i >= 2 ? e - 1 : i;
    }

    // \s*[\r\n]+: the space run up to and including its last CR or LF.
    size_t spaces_to_newline(size_t i) const {
        const size_t e = run(i, char_class{cp_bit::space});
        for (size_t k = e; k > i; --k)
            if (bits_[k - 1] & cp_bit::cr_lf) return k;
        return i;
    }

    const std::vector<uint32_t>& cps_;
    const std::vector<uint32_t>& bits_;
    size_t end_;
};

}  // namespace

std::vector<std::pair<size_t, size_t>> pre_tokenize(const pre_tokenizer& pre, std::string_view text) {
    const auto decoded = unicode::decode(text);
    const size_t n = decoded.size();
    std::vector<uint32_t> cps(n), bits(n);
    const uint32_t ranges = wanted_bits(pre) & cp_bit::range_sets;
    for (size_t i = 0; i < n; ++i) {
        cps[i] = decoded[i].value;
        bits[i] = bits_of(cps[i], ranges);
    }

    // Pieces as code point ranges; the whole text is one piece before the first stage.
    std::vector<std::pair<size_t, size_t>> pieces;
    if (n > 0) pieces.emplace_back(0, n);
    std::vector<std::pair<size_t, size_t>> next;
    for (const auto& stage : pre.stages) {
        next.clear();
        for (const auto& [begin, end] : pieces) {
            const piece_matcher m(cps, bits, end);
            size_t unmatched = begin;  // start of text no rule matched, kept as a piece of its own
            for (size_t i = begin; i < end;) {
                size_t e = i;
                for (const auto& rule : stage)
                    if ((e = m.match(rule, i)) > i) break;
                if (e == i) {
                    ++i;
                    continue;
                }
                if (unmatched < i) next.emplace_back(unmatched, i);
                next.emplace_back(i, e);
                i = unmatched = e;
            }
            if (unmatched < end) next.emplace_back(unmatched, end);
        }
        pieces.swap(next);
    }

    std::vector<std::pair<size_t, size_t>> words;
    words.reserve(pieces.size());
    const auto offset = [&](size_t i) { return i < n ? static_cast<size_t>(decoded[i].offset) : text.size(); };
    for (const auto& [begin, end] : pieces) words.emplace_back(offset(begin), offset(end));
    return words;
}

}  // namespace plinth
