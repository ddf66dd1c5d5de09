// The lexer: Jinja2's rules for where text ends and tags begin, and for the whitespace around
// tags under trim_blocks and lstrip_blocks.
#include "template_lexer.hpp"

#include "template_value.hpp"

#include <cstring>

namespace plinth::jinja {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// A string literal's body with Python's escapes (Jinja decodes them as 'unicode-escape').
std::string unescape(const std::string& src, std::size_t begin, std::size_t end) {
    std::string out;
    for (std::size_t i = begin; i < end; ++i) {
        if (src[i] != '\\' || i + 1 >= end) {
            out += src[i];
            continue;
        }
        const char c = src[++i];
        switch (c) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'a': out += '\a'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'v': out += '\v'; break;
            case '\\': out += '\\'; break;
            case '\'': out += '\''; break;
            case '"': out += '"'; break;
            case '\n': break;  // a line continuation
            case 'x':
            case 'u':
            case 'U': {
                const std::size_t digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
                std::uint32_t cp = 0;
                bool ok = i + digits < end;
                for (std::size_t k = 1; ok && k <= digits; ++k) {
                    const int h = hex_value(src[i + k]);
                    if (h < 0) ok = false;
                    cp = cp * 16 + static_cast<std::uint32_t>(h);
                }
                if (!ok || cp > 0x10ffff) throw failure_at{i - 1, "invalid escape sequence in string literal"};
                out += encode_utf8(std::u32string(1, static_cast<char32_t>(cp)));
                i += digits;
                break;
            }
            default:
                if (c >= '0' && c <= '7') {
                    std::uint32_t cp = 0;
                    std::size_t k = 0;
                    while (k < 3 && i + k < end && src[i + k] >= '0' && src[i + k] <= '7') cp = cp * 8 + static_cast<std::uint32_t>(src[i + k++] - '0');
                    out += encode_utf8(std::u32string(1, static_cast<char32_t>(cp)));
                    i += k - 1;
                } else {
                    out += '\\';  // Python keeps unknown escapes as written
                    out += c;
                }
        }
    }
    return out;
}

class lexer {
public:
    explicit lexer(const std::string& src) : src_(src) {}

    std::vector<token> run() {
        bool line_starting = true;
        while (pos_ < src_.size()) {
            const std::size_t open = find_tag_open(pos_);
            std::string text = src_.substr(pos_, open - pos_);
            if (open == src_.size()) {
                emit_text(std::move(text), pos_);
                break;
            }
            const char type = src_[open + 1];  // '{', '%' or '#'
            const char sign = open + 2 < src_.size() ? src_[open + 2] : '\0';
            if (sign == '-') {
                std::size_t n = text.size();
                while (n > 0 && is_space(text[n - 1])) --n;
                text.resize(n);
            } else if (sign != '+' && type != '{') {
                // lstrip_blocks: only spaces and tabs between the line's start and the tag go.
                const std::size_t line_start = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
                if (line_start > 0 || line_starting) {
                    bool blank = line_start < text.size();
                    for (std::size_t i = line_start; i < text.size(); ++i) blank = blank && is_space(text[i]);
                    if (blank) text.resize(line_start);
                }
            }
            emit_text(std::move(text), pos_);
            pos_ = open + 2 + ((sign == '-' || sign == '+') ? 1 : 0);
            char end_sign = '\0';
            if (type == '#') {
                const std::size_t close = src_.find("#}", pos_);
                if (close == std::string::npos) throw failure_at{open, "unterminated comment"};
                end_sign = close > pos_ && (src_[close - 1] == '-' || src_[close - 1] == '+') ? src_[close - 1] : '\0';
                pos_ = close + 2;
            } else if (type == '%' && raw_tag_end(pos_, "raw") != std::string::npos) {
                end_sign = lex_raw(open);
            } else {
                tokens_.push_back({type == '{' ? token::kind::print_begin : token::kind::block_begin, {}, 0, 0, open});
                end_sign = lex_tag(type == '{' ? '}' : '%', open);
            }
            if (end_sign == '-') {
                while (pos_ < src_.size() && is_space(src_[pos_])) ++pos_;
            } else if (end_sign != '+' && type != '{' && pos_ < src_.size() && src_[pos_] == '\n') {
                ++pos_;  // trim_blocks
            }
            line_starting = pos_ > 0 && src_[pos_ - 1] == '\n';
        }
        tokens_.push_back({token::kind::end, {}, 0, 0, src_.size()});
        return std::move(tokens_);
    }

private:
    std::size_t find_tag_open(std::size_t from) const {
        for (std::size_t i = from; i + 1 < src_.size(); ++i)
            if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
        return src_.size();
    }

    // When `from` (just after "{%" and its sign) holds `WORD %}` (with optional whitespace and
    // closing sign), the offset just past the closing "%}"; else npos.
    std::size_t raw_tag_end(std::size_t from, const char* word) const {
        std::size_t i = from;
        while (i < src_.size() && is_space(src_[i])) ++i;
        const std::size_t n = std::strlen(word);
        if (src_.compare(i, n, word) != 0) return std::string::npos;
        i += n;
        if (i < src_.size() && (is_name_start(src_[i]) || is_digit(src_[i]))) return std::string::npos;
        while (i < src_.size() && is_space(src_[i])) ++i;
        if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) ++i;
        return src_.compare(i, 2, "%}") == 0 ? i + 2 : std::string::npos;
    }

    // `{% raw %}...{% endraw %}`: the body is text, tags and all. Returns endraw's closing sign.
    char lex_raw(std::size_t open) {
        std::size_t body = raw_tag_end(pos_, "raw");
        const char open_sign = src_[body - 3];
        if (open_sign == '-')  // (trim_blocks does not apply to the opening raw tag)
            while (body < src_.size() && is_space(src_[body])) ++body;
        for (std::size_t i = src_.find("{%", body); i != std::string::npos; i = src_.find("{%", i + 2)) {
            const char sign = i + 2 < src_.size() ? src_[i + 2] : '\0';
            const std::size_t after = raw_tag_end(i + 2 + ((sign == '-' || sign == '+') ? 1 : 0), "endraw");
            if (after == std::string::npos) continue;
            std::string text = src_.substr(body, i - body);
            if (sign == '-') {
                while (!text.empty() && is_space(text.back())) text.pop_back();
            } else if (sign != '+') {
                const std::size_t line_start = text.rfind('\n') == std::string::npos ? std::string::npos : text.rfind('\n') + 1;
                if (line_start != std::string::npos && text.find_first_not_of(" \t", line_start) == std::string::npos) text.resize(line_start);
            }
            emit_text(std::move(text), body);
            pos_ = after;
            return src_[after - 3];
        }
        throw failure_at{open, "unexpected end of template, expected 'endraw'"};
    }

    void emit_text(std::string text, std::size_t offset) {
        if (!text.empty()) tokens_.push_back({token::kind::text, std::move(text), 0, 0, offset});
    }

    bool at(const char* s) const { return src_.compare(pos_, std::strlen(s), s) == 0; }

    // Tokens up to the closing `}}` / `%}`; returns the closing whitespace sign ('-', '+' or 0).
    char lex_tag(char closer, std::size_t open) {
        int depth = 0;
        const auto end_kind = closer == '}' ? token::kind::print_end : token::kind::block_end;
        for (;;) {
            while (pos_ < src_.size() && is_space(src_[pos_])) ++pos_;
            if (pos_ >= src_.size()) throw failure_at{open, closer == '}' ? "unexpected end of template, expected '}}'" : "unexpected end of template, expected '%}'"};
            const std::size_t start = pos_;
            if (depth == 0) {
                for (char sign : {'-', '+', '\0'}) {
                    std::string closing;
                    if (sign) closing += sign;
                    closing += closer;
                    closing += '}';
                    if (at(closing.c_str())) {
                        tokens_.push_back({end_kind, {}, 0, 0, start});
                        pos_ += closing.size();
                        return sign;
                    }
                }
            }
            const char c = src_[pos_];
            if (is_name_start(c)) {
                while (pos_ < src_.size() && (is_name_start(src_[pos_]) || is_digit(src_[pos_]))) ++pos_;
                tokens_.push_back({token::kind::name, src_.substr(start, pos_ - start), 0, 0, start});
            } else if (is_digit(c)) {
                lex_number(start);
            } else if (c == '\'' || c == '"') {
                std::size_t i = pos_ + 1;
                while (i < src_.size() && src_[i] != c) i += src_[i] == '\\' ? 2 : 1;
                if (i >= src_.size()) throw failure_at{start, "unterminated string literal"};
                tokens_.push_back({token::kind::string, unescape(src_, pos_ + 1, i), 0, 0, start});
                pos_ = i + 1;
            } else {
                static const char* const ops[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">",
                                                  "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"};
                const char* found = nullptr;
                for (const char* op : ops)
                    if (at(op)) {
                        found = op;
                        break;
                    }
                if (!found) throw failure_at{start, std::string("unexpected char '") + c + "'"};
                if (*found == '(' || *found == '[' || *found == '{') ++depth;
                if ((*found == ')' || *found == ']' || *found == '}') && depth > 0) --depth;
                tokens_.push_back({token::kind::op, found, 0, 0, start});
                pos_ += std::strlen(found);
            }
        }
    }

    void lex_number(std::size_t start) {
        auto digits = [&] {
            while (pos_ < src_.size() && (is_digit(src_[pos_]) || (src_[pos_] == '_' && pos_ + 1 < src_.size() && is_digit(src_[pos_ + 1])))) ++pos_;
        };
        digits();
        bool is_float = false;
        if (pos_ + 1 < src_.size() && src_[pos_] == '.' && is_digit(src_[pos_ + 1])) {
            ++pos_;
            digits();
            is_float = true;
        }
        if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
            std::size_t p = pos_ + 1;
            if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
            if (p < src_.size() && is_digit(src_[p])) {
                pos_ = p;
                digits();
                is_float = true;
            }
        }
        std::string text;
        for (std::size_t i = start; i < pos_; ++i)
            if (src_[i] != '_') text += src_[i];
        token t{is_float ? token::kind::floating : token::kind::integer, text, 0, 0, start};
        try {
            if (is_float)
                t.floating = std::stod(text);
            else
                t.integer = std::stoll(text);
        } catch (const std::exception&) {
            throw failure_at{start, "number out of range: " + text};
        }
        tokens_.push_back(std::move(t));
    }

    const std::string& src_;
    std::size_t pos_ = 0;
    std::vector<token> tokens_;
};

}  // namespace

std::string normalize_source(const std::string& source) {
    std::string out;
    out.reserve(source.size());
    for (std::size_t i = 0; i < source.size(); ++i) {
        if (source[i] == '\r') {
            out += '\n';
            if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
        } else {
            out += source[i];
        }
    }
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

std::vector<token> tokenize(const std::string& normalized_source) { return lexer(normalized_source).run(); }

}  // namespace plinth::jinja
