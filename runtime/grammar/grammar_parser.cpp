// The grammar notation (docs/sampling.md, "Grammars") -> grammar: a recursive-descent parser
// that desugars groups and repetitions into helper rules, then the checks that keep the
// automaton finite (every rule defined, none left-recursive).
#include <plinth/grammar.hpp>

#include <algorithm>
#include <functional>
#include <limits>

namespace plinth {
namespace {

constexpr uint32_t max_codepoint = 0x10FFFF;
constexpr uint32_t max_repeat = 10000;         // {m,n} bounds at most this
constexpr size_t max_elements = 1'000'000;     // the compiled grammar's size at most
constexpr int max_nesting = 200;               // parentheses deep at most (the parser recurses)

using elements = std::vector<grammar::element>;

std::string where(std::string_view text, size_t pos) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

class parser {
public:
    explicit parser(std::string_view text) : text_(text) {}

    grammar run(std::string_view root_name) {
        skip_space(true);
        while (pos_ < text_.size()) {
            parse_rule();
            skip_space(true);
        }
        for (size_t r = 0; r < rules_.size(); ++r)
            if (defined_at_[r] == npos) fail("rule '" + names_[r] + "' is used but never defined", first_use_[r]);
        const auto root = ids_.find(std::string(root_name));
        if (root == ids_.end()) fail("the grammar has no '" + std::string(root_name) + "' rule", 0);
        check_left_recursion();
        return flatten(root->second);
    }

private:
    static constexpr size_t npos = std::numeric_limits<size_t>::max();

    [[noreturn]] void fail(const std::string& what, size_t at) const {
        throw grammar_error("grammar: " + what + " (" + where(text_, at) + ")", at);
    }

    bool at_end() const { return pos_ >= text_.size(); }
    char peek(size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }

    // Spaces, tabs and comments; newlines too when `newlines` (between rules, inside parentheses).
    void skip_space(bool newlines) {
        while (!at_end()) {
            const char c = peek();
            if (c == ' ' || c == '\t' || c == '\r' || (newlines && c == '\n')) {
                ++pos_;
            } else if (c == '#') {
                while (!at_end() && peek() != '\n') ++pos_;
            } else if (!newlines && c == '\n') {
                // A newline continues the rule unless the next line starts a new rule.
                const size_t saved = pos_;
                ++pos_;
                skip_space(true);
                if (at_end() || starts_rule()) {
                    pos_ = saved;
                    return;
                }
            } else {
                return;
            }
        }
    }

    // At `name ::=`?
    bool starts_rule() const {
        size_t p = pos_;
        while (p < text_.size() && name_char(text_[p])) ++p;
        if (p == pos_) return false;
        while (p < text_.size() && (text_[p] == ' ' || text_[p] == '\t')) ++p;
        return text_.substr(p, 3) == "::=";
    }

    std::string parse_name() {
        const size_t start = pos_;
        while (!at_end() && name_char(peek())) ++pos_;
        if (pos_ == start) fail("expected a rule name", start);
        return std::string(text_.substr(start, pos_ - start));
    }

    uint32_t rule_id(const std::string& name, size_t at) {
        const auto it = ids_.find(name);
        if (it != ids_.end()) return it->second;
        return new_rule(name, at, npos);
    }

    uint32_t new_rule(const std::string& name, size_t first_use, size_t defined_at) {
        const auto id = static_cast<uint32_t>(rules_.size());
        ids_.emplace(name, id);
        names_.push_back(name);
        rules_.emplace_back();
        defined_at_.push_back(defined_at);
        first_use_.push_back(first_use);
        return id;
    }

    uint32_t helper_rule(size_t at) {
        return new_rule(current_ + "#" + std::to_string(helpers_++), at, at);
    }

    void parse_rule() {
        const size_t start = pos_;
        const std::string name = parse_name();
        skip_space(false);
        if (text_.substr(pos_, 3) != "::=") fail("expected '::=' after the rule name '" + name + "'", pos_);
        pos_ += 3;
        const uint32_t id = rule_id(name, start);
        if (defined_at_[id] != npos) fail("rule '" + name + "' is defined twice", start);
        defined_at_[id] = start;
        current_ = name;
        rules_[id] = parse_alternatives(0);
        skip_space(false);
        if (!at_end() && peek() != '\n') fail(std::string("unexpected '") + peek() + "'", pos_);
    }

    std::vector<elements> parse_alternatives(int depth) {
        if (depth > max_nesting) fail("parentheses nest too deep", pos_);
        std::vector<elements> alts;
        alts.push_back(parse_sequence(depth));
        while (peek() == '|') {
            ++pos_;
            skip_space(depth > 0);
            alts.push_back(parse_sequence(depth));
        }
        return alts;
    }

    elements parse_sequence(int depth) {
        elements seq;
        skip_space(depth > 0);
        while (!at_end()) {
            const char c = peek();
            if (c == '|' || c == ')' || c == '\n') break;
            if (depth == 0 && starts_rule()) break;
            const size_t item_start = pos_;
            elements item = parse_item(depth);
            skip_space(depth > 0);
            apply_repetition(item, item_start);
            seq.insert(seq.end(), item.begin(), item.end());
            count_ += item.size();
            if (count_ > max_elements) fail("the grammar is too large", item_start);
            skip_space(depth > 0);
        }
        return seq;
    }

    elements parse_item(int depth) {
        const size_t start = pos_;
        const char c = peek();
        if (c == '"') return parse_literal();
        if (c == '[') return {char_element(parse_class())};
        if (c == '.') {
            ++pos_;
            grammar::char_class any;
            any.ranges.push_back({0, max_codepoint});
            return {char_element(std::move(any))};
        }
        if (c == '(') {
            ++pos_;
            const uint32_t id = helper_rule(start);
            rules_[id] = parse_alternatives(depth + 1);
            if (peek() != ')') fail("expected ')' to close the '(' at " + where(text_, start), pos_);
            ++pos_;
            return {rule_element(id)};
        }
        if (name_char(c)) {
            const std::string name = parse_name();
            return {rule_element(rule_id(name, start))};
        }
        fail(std::string("unexpected '") + c + "'", start);
    }

    grammar::element char_element(grammar::char_class cls) {
        classes_.push_back(std::move(cls));
        return {grammar::kind::chars, static_cast<uint32_t>(classes_.size() - 1)};
    }
    static grammar::element rule_element(uint32_t id) { return {grammar::kind::rule, id}; }

    // One character of a literal or class, escapes decoded; UTF-8 in the text is decoded too.
    uint32_t parse_char() {
        const size_t start = pos_;
        if (at_end()) fail("unexpected end of the grammar", start);
        const auto byte = static_cast<unsigned char>(text_[pos_]);
        if (byte == '\\') {
            ++pos_;
            if (at_end()) fail("unfinished escape", start);
            const char e = text_[pos_++];
            switch (e) {
                case 'n': return '\n';
                case 'r': return '\r';
                case 't': return '\t';
                case '0': return 0;
                case '\\': case '"': case '\'': case '[': case ']': case '-': case '^': case '/': return uint32_t(e);
                case 'x': return parse_hex(2, start);
                case 'u': return parse_hex(4, start);
                case 'U': return parse_hex(8, start);
                default: fail(std::string("unknown escape '\\") + e + "'", start);
            }
        }
        if (byte < 0x80) {
            ++pos_;
            return byte;
        }
        const int len = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 0;
        if (len == 0 || pos_ + size_t(len) > text_.size()) fail("invalid UTF-8 in the grammar", start);
        uint32_t cp = byte & (0x7F >> len);
        for (int i = 1; i < len; ++i) {
            const auto b = static_cast<unsigned char>(text_[pos_ + size_t(i)]);
            if ((b & 0xC0) != 0x80) fail("invalid UTF-8 in the grammar", start);
            cp = (cp << 6) | (b & 0x3F);
        }
        pos_ += size_t(len);
        if (cp > max_codepoint) fail("invalid UTF-8 in the grammar", start);
        return cp;
    }

    uint32_t parse_hex(int digits, size_t start) {
        uint32_t v = 0;
        for (int i = 0; i < digits; ++i) {
            const char h = peek();
            int d = -1;
            if (h >= '0' && h <= '9') d = h - '0';
            else if (h >= 'a' && h <= 'f') d = h - 'a' + 10;
            else if (h >= 'A' && h <= 'F') d = h - 'A' + 10;
            if (d < 0) fail("escape needs " + std::to_string(digits) + " hex digits", start);
            v = v * 16 + uint32_t(d);
            ++pos_;
        }
        if (v > max_codepoint) fail("escape beyond U+10FFFF", start);
        return v;
    }

    elements parse_literal() {
        const size_t start = pos_;
        ++pos_;  // the opening quote
        elements seq;
        while (peek() != '"') {
            if (at_end() || peek() == '\n') fail("unterminated string literal", start);
            const uint32_t cp = parse_char();
            grammar::char_class one;
            one.ranges.push_back({cp, cp});
            seq.push_back(char_element(std::move(one)));
        }
        ++pos_;
        return seq;
    }

    grammar::char_class parse_class() {
        const size_t start = pos_;
        ++pos_;  // '['
        grammar::char_class cls;
        if (peek() == '^') {
            cls.negated = true;
            ++pos_;
        }
        while (peek() != ']') {
            if (at_end() || peek() == '\n') fail("unterminated character class", start);
            const size_t at = pos_;
            const uint32_t lo = parse_char();
            uint32_t hi = lo;
            if (peek() == '-' && peek(1) != ']') {
                ++pos_;
                if (at_end()) fail("unterminated character class", start);
                hi = parse_char();
                if (hi < lo) fail("character range runs backwards", at);
            }
            cls.ranges.push_back({lo, hi});
        }
        ++pos_;
        return cls;
    }

    uint32_t parse_count(size_t start) {
        uint64_t v = 0;
        const size_t digits_at = pos_;
        while (peek() >= '0' && peek() <= '9') {
            v = v * 10 + uint64_t(peek() - '0');
            if (v > max_repeat) fail("repetition count above " + std::to_string(max_repeat), start);
            ++pos_;
        }
        if (pos_ == digits_at) fail("expected a number in '{m,n}'", pos_);
        return static_cast<uint32_t>(v);
    }

    // `X*`, `X+`, `X?`, `X{m}`, `X{m,}`, `X{m,n}` -> helper rules (right-recursive, so the
    // automaton's stacks do not grow with the count).
    void apply_repetition(elements& item, size_t item_start) {
        const char c = peek();
        uint32_t min = 1, max = 1;
        bool unbounded = false;
        if (c == '*') {
            min = 0;
            unbounded = true;
        } else if (c == '+') {
            unbounded = true;
        } else if (c == '?') {
            min = 0;
        } else if (c == '{') {
            const size_t start = pos_;
            ++pos_;
            skip_space(false);
            min = max = parse_count(start);
            skip_space(false);
            if (peek() == ',') {
                ++pos_;
                skip_space(false);
                if (peek() == '}') unbounded = true;
                else max = parse_count(start);
                skip_space(false);
            }
            if (peek() != '}') fail("expected '}' to close '{'", pos_);
            if (!unbounded && max < min) fail("repetition {m,n} with n < m", start);
        } else {
            return;
        }
        ++pos_;
        if (uint64_t(item.size()) * std::max<uint32_t>(min, 1) > max_elements) fail("the grammar is too large", item_start);
        elements out;
        for (uint32_t i = 0; i < min; ++i) out.insert(out.end(), item.begin(), item.end());
        if (unbounded) {
            const uint32_t star = helper_rule(item_start);
            elements again = item;
            again.push_back(rule_element(star));
            rules_[star] = {std::move(again), {}};
            out.push_back(rule_element(star));
        } else if (max > min) {
            // opt_1 ::= X | ""; opt_k ::= X opt_(k-1) | ""
            uint32_t previous = 0;
            for (uint32_t k = 1; k <= max - min; ++k) {
                const uint32_t opt = helper_rule(item_start);
                elements body = item;
                if (k > 1) body.push_back(rule_element(previous));
                rules_[opt] = {std::move(body), {}};
                previous = opt;
                count_ += item.size() + 2;
                if (count_ > max_elements) fail("the grammar is too large", item_start);
            }
            out.push_back(rule_element(previous));
        }
        item = std::move(out);
    }

    // A rule that can reach itself before reading a character would expand forever.
    void check_left_recursion() {
        const size_t n = rules_.size();
        std::vector<char> nullable(n, 0);
        for (bool changed = true; changed;) {
            changed = false;
            for (size_t r = 0; r < n; ++r) {
                if (nullable[r]) continue;
                for (const auto& alt : rules_[r]) {
                    const bool all = std::all_of(alt.begin(), alt.end(), [&](const grammar::element& e) {
                        return e.k == grammar::kind::rule && nullable[e.arg];
                    });
                    if (all) {
                        nullable[r] = 1;
                        changed = true;
                        break;
                    }
                }
            }
        }
        // Edges: r -> the rules it can start with. Iterative DFS with colours.
        std::vector<std::vector<uint32_t>> starts(n);
        for (size_t r = 0; r < n; ++r)
            for (const auto& alt : rules_[r])
                for (const auto& e : alt) {
                    if (e.k != grammar::kind::rule) break;
                    starts[r].push_back(e.arg);
                    if (!nullable[e.arg]) break;
                }
        std::vector<uint8_t> colour(n, 0);  // 0 new, 1 on the path, 2 done
        for (size_t s = 0; s < n; ++s) {
            if (colour[s]) continue;
            std::vector<std::pair<uint32_t, size_t>> path{{uint32_t(s), 0}};
            colour[s] = 1;
            while (!path.empty()) {
                auto& [r, next] = path.back();
                if (next == starts[r].size()) {
                    colour[r] = 2;
                    path.pop_back();
                    continue;
                }
                const uint32_t to = starts[r][next++];
                if (colour[to] == 1) {
                    std::string name = names_[to];
                    if (const auto hash = name.find('#'); hash != std::string::npos) name.resize(hash);
                    fail("rule '" + name + "' is left-recursive (it can reach itself without reading a character)",
                         defined_at_[to]);
                }
                if (colour[to] == 0) {
                    colour[to] = 1;
                    path.push_back({to, 0});
                }
            }
        }
    }

    grammar flatten(uint32_t root) {
        grammar g;
        g.classes = std::move(classes_);
        g.rule_names = std::move(names_);
        g.root = root;
        g.alternatives.resize(rules_.size());
        for (size_t r = 0; r < rules_.size(); ++r)
            for (const auto& alt : rules_[r]) {
                g.alternatives[r].push_back(static_cast<uint32_t>(g.elements.size()));
                g.elements.insert(g.elements.end(), alt.begin(), alt.end());
                g.elements.push_back({grammar::kind::end, 0});
            }
        return g;
    }

    std::string_view text_;
    size_t pos_ = 0;
    std::vector<std::vector<elements>> rules_;
    std::vector<std::string> names_;
    std::unordered_map<std::string, uint32_t> ids_;
    std::vector<size_t> defined_at_, first_use_;
    std::vector<grammar::char_class> classes_;
    std::string current_;
    uint32_t helpers_ = 0;
    size_t count_ = 0;
};

}  // namespace

bool grammar::char_class::matches(uint32_t cp) const {
    bool in = false;
    for (const auto& [lo, hi] : ranges)
        if (cp >= lo && cp <= hi) {
            in = true;
            break;
        }
    return in != negated;
}

bool grammar::char_class::intersects(uint32_t lo, uint32_t hi) const {
    if (!negated) {
        for (const auto& [a, b] : ranges)
            if (a <= hi && b >= lo) return true;
        return false;
    }
    // Negated: some code point of [lo, hi] lies outside every range. Walk up from lo past the
    // ranges that cover it (ranges may overlap and come in any order).
    uint32_t cp = lo;
    for (bool moved = true; moved && cp <= hi;) {
        moved = false;
        for (const auto& [a, b] : ranges)
            if (cp >= a && cp <= b) {
                if (b >= hi) return false;
                cp = b + 1;
                moved = true;
            }
    }
    return cp <= hi;
}

grammar grammar::parse(std::string_view text, std::string_view root_rule) { return parser(text).run(root_rule); }

}  // namespace plinth
