// The pre-tokenizer patterns of byte-level BPE vocabularies, matched by hand.
//
// Each pattern is an alternation tried in order at the current position (the first alternative
// that matches wins, quantifiers greedy with backtracking, as a regex engine does); the match is
// one pre-token and matching resumes after it. The patterns:
//   gpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
//           | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   qwen2:  as llama3 with \p{N} instead of \p{N}{1,3}
#include "tokenizer_impl.hpp"
#include "unicode.hpp"

#include <plinth/error.hpp>

namespace plinth {

std::pair<pre_tokenizer_kind, std::string> resolve_pre_tokenizer(const std::string& name) {
    if (name.empty() || name == "default" || name == "gpt-2" || name == "gpt2" || name == "phi-2" || name == "roberta-bpe")
        return {pre_tokenizer_kind::gpt2, name.empty() || name == "default" ? "default" : "gpt-2"};
    if (name == "llama3" || name == "llama-bpe" || name == "llama-v3") return {pre_tokenizer_kind::llama3, "llama3"};
    if (name == "qwen2") return {pre_tokenizer_kind::qwen2, "qwen2"};
    throw error("tokenizer: unsupported pre-tokenizer '" + name +
                "' (tokenizer.ggml.pre); supported: default, gpt-2 (gpt2, phi-2, roberta-bpe), "
                "llama3 (llama-bpe, llama-v3), qwen2");
}

namespace {

// Per code point: what the patterns ask about it.
struct cp_class {
    bool letter;
    bool number;
    bool space;  // \s
    bool crlf;   // [\r\n]
    bool other() const { return !letter && !number && !space; }  // [^\s\p{L}\p{N}]
};

class matcher {
public:
    matcher(std::string_view text, pre_tokenizer_kind kind) : kind_(kind) {
        cps_ = unicode::decode(text);
        classes_.reserve(cps_.size());
        for (const auto& cp : cps_) {
            const auto cat = unicode::category_of(cp.value);
            classes_.push_back({cat == unicode::category::letter, cat == unicode::category::number,
                                unicode::is_whitespace(cp.value), cp.value == '\r' || cp.value == '\n'});
        }
    }

    size_t size() const { return cps_.size(); }
    uint32_t offset(size_t i) const { return cps_[i].offset; }

    // End (exclusive, in code points) of the pre-token starting at i.
    size_t match(size_t i) const {
        if (size_t e = contraction(i, kind_ != pre_tokenizer_kind::gpt2)) return e;
        if (kind_ == pre_tokenizer_kind::gpt2) {
            if (size_t e = space_then(i, &cp_class::letter)) return e;
            if (size_t e = space_then(i, &cp_class::number)) return e;
            if (size_t e = space_then_other(i, false)) return e;
        } else {
            if (size_t e = letters_with_prefix(i)) return e;
            if (size_t e = digits(i, kind_ == pre_tokenizer_kind::qwen2 ? 1 : 3)) return e;
            if (size_t e = space_then_other(i, true)) return e;
            if (size_t e = spaces_then_newlines(i)) return e;
        }
        if (size_t e = spaces_not_before_text(i)) return e;
        if (is(i, &cp_class::space)) return run(i, &cp_class::space);
        return i + 1;  // not reached: every code point is a letter, number, space or other
    }

private:
    bool is(size_t i, bool cp_class::*what) const { return i < classes_.size() && classes_[i].*what; }
    bool is_other(size_t i) const { return i < classes_.size() && classes_[i].other(); }
    uint32_t at(size_t i) const { return i < cps_.size() ? cps_[i].value : 0; }
    size_t run(size_t i, bool cp_class::*what) const {
        while (is(i, what)) ++i;
        return i;
    }

    // 's|'t|'re|'ve|'m|'ll|'d, ASCII case-insensitively for llama3/qwen2.
    size_t contraction(size_t i, bool ignore_case) const {
        if (at(i) != '\'') return 0;
        const auto lower = [&](size_t k) {
            const uint32_t c = at(k);
            return ignore_case && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
        };
        const uint32_t a = lower(i + 1);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
        const uint32_t b = lower(i + 2);
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
        return 0;
    }

    // ` ?X+` for X = \p{L} or \p{N}.
    size_t space_then(size_t i, bool cp_class::*what) const {
        const size_t j = at(i) == ' ' ? i + 1 : i;
        if (!is(j, what)) return 0;
        return run(j, what);
    }

    // ` ?[^\s\p{L}\p{N}]+`, then `[\r\n]*` when trailing_newlines.
    size_t space_then_other(size_t i, bool trailing_newlines) const {
        const size_t j = at(i) == ' ' ? i + 1 : i;
        if (!is_other(j)) return 0;
        size_t e = j;
        while (is_other(e)) ++e;
        if (trailing_newlines) e = run(e, &cp_class::crlf);
        return e;
    }

    // `[^\r\n\p{L}\p{N}]?\p{L}+`
    size_t letters_with_prefix(size_t i) const {
        if (i >= size()) return 0;
        const auto& c = classes_[i];
        if (!c.crlf && !c.letter && !c.number && is(i + 1, &cp_class::letter)) return run(i + 1, &cp_class::letter);
        if (c.letter) return run(i, &cp_class::letter);
        return 0;
    }

    // `\p{N}{1,max}`
    size_t digits(size_t i, size_t max) const {
        size_t e = i;
        while (e - i < max && is(e, &cp_class::number)) ++e;
        return e == i ? 0 : e;
    }

    // `\s*[\r\n]+`: the whitespace run up to and including its last CR or LF.
    size_t spaces_then_newlines(size_t i) const {
        const size_t end = run(i, &cp_class::space);
        for (size_t k = end; k > i; --k)
            if (classes_[k - 1].crlf) return k;
        return 0;
    }

    // `\s+(?!\S)`: a whitespace run at the end of the text, or all of it but its last character
    // when text follows (that character then leads the next pre-token).
    size_t spaces_not_before_text(size_t i) const {
        const size_t end = run(i, &cp_class::space);
        if (end == i) return 0;
        if (end == size()) return end;
        return end - i >= 2 ? end - 1 : 0;
    }

    pre_tokenizer_kind kind_;
    std::vector<unicode::code_point> cps_;
    std::vector<cp_class> classes_;
};

}  // namespace

std::vector<std::pair<size_t, size_t>> pre_tokenize(pre_tokenizer_kind kind, std::string_view text) {
    std::vector<std::pair<size_t, size_t>> words;
    const matcher m(text, kind);
    const auto byte_offset = [&](size_t i) { return i < m.size() ? static_cast<size_t>(m.offset(i)) : text.size(); };
    for (size_t i = 0; i < m.size();) {
        const size_t e = m.match(i);
        words.emplace_back(byte_offset(i), byte_offset(e));
        i = e;
    }
    return words;
}

}  // namespace plinth
