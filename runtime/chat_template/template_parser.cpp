// A recursive-descent parser for the statements and expressions of Jinja2 that chat templates use.
#include "template_parser.hpp"

#include <algorithm>

namespace plinth::jinja {

namespace {

// Deep enough for any real template; shallow enough that parsing and evaluating stay within the
// stack even under sanitizers.
constexpr int max_nesting = 128;

class parser {
public:
    explicit parser(const std::vector<token>& tokens) : t_(tokens) {}

    stmt_list parse_template() {
        stmt_list body = parse_body({});
        return body;
    }

private:
    using tk = token::kind;

    const token& cur() const { return t_[pos_]; }
    const token& peek(std::size_t ahead = 1) const { return t_[std::min(pos_ + ahead, t_.size() - 1)]; }
    void advance() {
        if (pos_ + 1 < t_.size()) ++pos_;
    }
    bool is_op(const char* op) const { return cur().type == tk::op && cur().text == op; }
    bool is_name(const char* name) const { return cur().type == tk::name && cur().text == name; }
    bool skip_op(const char* op) {
        if (!is_op(op)) return false;
        advance();
        return true;
    }
    bool skip_name(const char* name) {
        if (!is_name(name)) return false;
        advance();
        return true;
    }
    [[noreturn]] void fail(const std::string& message) const { throw failure_at{cur().offset, message}; }
    std::string describe() const {
        switch (cur().type) {
            case tk::end: return "end of template";
            case tk::block_end: return "end of statement block";
            case tk::print_end: return "end of print statement";
            case tk::text: return "template data";
            default: return "'" + cur().text + "'";
        }
    }
    void expect_op(const char* op) {
        if (!skip_op(op)) fail(std::string("expected '") + op + "', got " + describe());
    }
    std::string expect_name() {
        if (cur().type != tk::name) fail("expected a name, got " + describe());
        std::string name = cur().text;
        advance();
        return name;
    }
    void expect_block_end() {
        if (cur().type != tk::block_end) fail("expected end of statement block, got " + describe());
        advance();
    }

    struct depth_guard {
        explicit depth_guard(parser& p) : p_(p) {
            if (++p_.depth_ > max_nesting) p_.fail("template nested too deeply");
        }
        ~depth_guard() { --p_.depth_; }
        parser& p_;
    };

    // Statements until a block tag whose name is in `ends` (left as the current token).
    stmt_list parse_body(const std::vector<std::string>& ends) {
        depth_guard guard(*this);
        stmt_list body;
        for (;;) {
            const token& tok = cur();
            if (tok.type == tk::end) {
                if (!ends.empty()) fail("unexpected end of template, expected '" + ends.back() + "'");
                return body;
            }
            if (tok.type == tk::text) {
                auto s = make_stmt(stmt::kind::text, tok.offset);
                s->text = tok.text;
                body.push_back(std::move(s));
                advance();
            } else if (tok.type == tk::print_begin) {
                advance();
                auto s = make_stmt(stmt::kind::output, tok.offset);
                s->subject = parse_tuple_or_expression();
                if (cur().type != tk::print_end) fail("expected end of print statement, got " + describe());
                advance();
                body.push_back(std::move(s));
            } else if (tok.type == tk::block_begin) {
                advance();
                if (cur().type == tk::name && std::find(ends.begin(), ends.end(), cur().text) != ends.end()) return body;
                body.push_back(parse_statement());
            } else {
                fail("unexpected " + describe());
            }
        }
    }

    static std::unique_ptr<stmt> make_stmt(stmt::kind k, std::size_t offset) {
        auto s = std::make_unique<stmt>();
        s->type = k;
        s->offset = offset;
        return s;
    }

    std::unique_ptr<stmt> parse_statement() {
        if (cur().type != tk::name) fail("expected a statement name, got " + describe());
        const std::string word = cur().text;
        const std::size_t offset = cur().offset;
        advance();
        if (word == "if") return parse_if(offset);
        if (word == "for") return parse_for(offset);
        if (word == "set") return parse_set(offset);
        if (word == "macro") return parse_macro(offset);
        if (word == "break" || word == "continue") {
            if (loop_depth_ == 0) throw failure_at{offset, "'" + word + "' outside of a loop"};
            expect_block_end();
            return make_stmt(word == "break" ? stmt::kind::break_loop : stmt::kind::continue_loop, offset);
        }
        throw failure_at{offset, "Encountered unknown tag '" + word + "'."};
    }

    std::unique_ptr<stmt> parse_if(std::size_t offset) {
        auto s = make_stmt(stmt::kind::if_chain, offset);
        s->conditions.push_back(parse_tuple_or_expression());
        expect_block_end();
        for (;;) {
            s->bodies.push_back(parse_body({"elif", "else", "endif"}));
            if (skip_name("elif")) {
                s->conditions.push_back(parse_tuple_or_expression());
                expect_block_end();
                continue;
            }
            if (skip_name("else")) {
                expect_block_end();
                s->bodies.push_back(parse_body({"endif"}));
                s->has_else = true;
            }
            expect_name();  // endif
            expect_block_end();
            return s;
        }
    }

    std::vector<std::string> parse_targets() {
        std::vector<std::string> names;
        const bool parens = skip_op("(");
        do {
            names.push_back(expect_name());
        } while (skip_op(","));
        if (parens) expect_op(")");
        return names;
    }

    std::unique_ptr<stmt> parse_for(std::size_t offset) {
        auto s = make_stmt(stmt::kind::for_loop, offset);
        s->targets = parse_targets();
        if (!skip_name("in")) fail("expected 'in', got " + describe());
        s->subject = parse_tuple_or_expression(/*with_conditional=*/false);
        if (skip_name("if")) s->loop_filter = parse_expression();
        if (is_name("recursive")) fail("recursive loops are not supported");
        expect_block_end();
        ++loop_depth_;
        s->bodies.push_back(parse_body({"endfor", "else"}));
        --loop_depth_;
        if (skip_name("else")) {
            expect_block_end();
            s->bodies.push_back(parse_body({"endfor"}));
            s->has_else = true;
        }
        expect_name();  // endfor
        expect_block_end();
        return s;
    }

    std::unique_ptr<stmt> parse_set(std::size_t offset) {
        auto s = make_stmt(stmt::kind::set, offset);
        s->targets.push_back(expect_name());
        if (skip_op(".")) {
            s->attribute = expect_name();
        } else {
            while (skip_op(",")) s->targets.push_back(expect_name());
        }
        if (skip_op("=")) {
            s->subject = parse_tuple_or_expression();
            expect_block_end();
            return s;
        }
        if (!s->attribute.empty() || s->targets.size() != 1) fail("expected '='");
        s->type = stmt::kind::set_block;
        if (is_op("|")) s->block_filter = parse_filter_expression(nullptr);
        expect_block_end();
        s->bodies.push_back(parse_body({"endset"}));
        advance();
        expect_block_end();
        return s;
    }

    std::unique_ptr<stmt> parse_macro(std::size_t offset) {
        auto s = make_stmt(stmt::kind::macro, offset);
        s->targets.push_back(expect_name());
        expect_op("(");
        while (!skip_op(")")) {
            if (!s->params.empty()) expect_op(",");
            std::string name = expect_name();
            expr_ptr fallback;
            if (skip_op("=")) fallback = parse_expression();
            s->params.emplace_back(std::move(name), std::move(fallback));
        }
        expect_block_end();
        const int saved_loops = loop_depth_;
        loop_depth_ = 0;
        s->bodies.push_back(parse_body({"endmacro"}));
        loop_depth_ = saved_loops;
        advance();
        if (cur().type == tk::name) advance();  // {% endmacro name %}
        expect_block_end();
        return s;
    }

    // ---- expressions ----

    static expr_ptr make(expr::kind k, std::size_t offset) {
        auto e = std::make_unique<expr>();
        e->type = k;
        e->offset = offset;
        return e;
    }
    static expr_ptr make2(expr::kind k, std::size_t offset, expr_ptr a, expr_ptr b) {
        auto e = make(k, offset);
        e->children.push_back(std::move(a));
        e->children.push_back(std::move(b));
        return e;
    }

    bool at_expression_end() const {
        return cur().type == tk::block_end || cur().type == tk::print_end || cur().type == tk::end || is_op(")") || is_op("]") ||
               is_op("}");
    }

    expr_ptr parse_tuple_or_expression(bool with_conditional = true) {
        const std::size_t offset = cur().offset;
        expr_ptr first = parse_expression(with_conditional);
        if (!is_op(",")) return first;
        auto tuple = make(expr::kind::tuple, offset);
        tuple->children.push_back(std::move(first));
        while (skip_op(",")) {
            if (at_expression_end()) break;
            tuple->children.push_back(parse_expression(with_conditional));
        }
        return tuple;
    }

    expr_ptr parse_expression(bool with_conditional = true) {
        depth_guard guard(*this);
        return with_conditional ? parse_conditional() : parse_or();
    }

    expr_ptr parse_conditional() {
        expr_ptr value_if_true = parse_or();
        while (is_name("if")) {
            const std::size_t offset = cur().offset;
            advance();
            auto e = make(expr::kind::conditional, offset);
            e->children.push_back(parse_or());
            e->children.push_back(std::move(value_if_true));
            e->children.push_back(skip_name("else") ? parse_conditional() : nullptr);
            value_if_true = std::move(e);
        }
        return value_if_true;
    }

    expr_ptr parse_or() {
        expr_ptr left = parse_and();
        while (is_name("or")) {
            const std::size_t offset = cur().offset;
            advance();
            left = make2(expr::kind::logical_or, offset, std::move(left), parse_and());
        }
        return left;
    }

    expr_ptr parse_and() {
        expr_ptr left = parse_not();
        while (is_name("and")) {
            const std::size_t offset = cur().offset;
            advance();
            left = make2(expr::kind::logical_and, offset, std::move(left), parse_not());
        }
        return left;
    }

    expr_ptr parse_not() {
        if (is_name("not")) {
            depth_guard guard(*this);
            auto e = make(expr::kind::logical_not, cur().offset);
            advance();
            e->children.push_back(parse_not());
            return e;
        }
        return parse_compare();
    }

    expr_ptr parse_compare() {
        const std::size_t offset = cur().offset;
        expr_ptr first = parse_math1();
        expr_ptr chain;
        for (;;) {
            std::string op;
            if (cur().type == tk::op && (cur().text == "==" || cur().text == "!=" || cur().text == "<" || cur().text == "<=" ||
                                         cur().text == ">" || cur().text == ">=")) {
                op = cur().text;
                advance();
            } else if (is_name("in")) {
                op = "in";
                advance();
            } else if (is_name("not") && peek().type == tk::name && peek().text == "in") {
                op = "notin";
                advance();
                advance();
            } else {
                break;
            }
            if (!chain) {
                chain = make(expr::kind::compare, offset);
                chain->children.push_back(std::move(first));
            }
            chain->ops.push_back(op);
            chain->children.push_back(parse_math1());
        }
        return chain ? std::move(chain) : std::move(first);
    }

    expr_ptr parse_binary_level(const std::vector<const char*>& ops, expr_ptr (parser::*next)()) {
        expr_ptr left = (this->*next)();
        for (;;) {
            const char* found = nullptr;
            for (const char* op : ops)
                if (is_op(op)) found = op;
            if (!found) return left;
            const std::size_t offset = cur().offset;
            advance();
            auto e = make2(expr::kind::binary, offset, std::move(left), (this->*next)());
            e->name = found;
            left = std::move(e);
        }
    }
    expr_ptr parse_math1() { return parse_binary_level({"+", "-"}, &parser::parse_concat); }
    expr_ptr parse_concat() { return parse_binary_level({"~"}, &parser::parse_math2); }
    expr_ptr parse_math2() { return parse_binary_level({"*", "/", "//", "%"}, &parser::parse_pow); }
    expr_ptr parse_pow() { return parse_binary_level({"**"}, &parser::parse_unary_with_filters); }
    expr_ptr parse_unary_with_filters() { return parse_unary(true); }

    expr_ptr parse_unary(bool with_filters) {
        depth_guard guard(*this);
        expr_ptr node;
        if (is_op("-") || is_op("+")) {
            node = make(is_op("-") ? expr::kind::negate : expr::kind::unary_plus, cur().offset);
            advance();
            node->children.push_back(parse_unary(false));
        } else {
            node = parse_primary();
        }
        node = parse_postfix(std::move(node));
        if (with_filters) node = parse_filter_expression(std::move(node));
        return node;
    }

    expr_ptr parse_primary() {
        const token& tok = cur();
        switch (tok.type) {
            case tk::name: {
                auto e = make(expr::kind::literal, tok.offset);
                if (tok.text == "true" || tok.text == "True") {
                    e->constant = value::boolean(true);
                } else if (tok.text == "false" || tok.text == "False") {
                    e->constant = value::boolean(false);
                } else if (tok.text == "none" || tok.text == "None") {
                    e->constant = value::none();
                } else {
                    e->type = expr::kind::name;
                    e->name = tok.text;
                }
                advance();
                return e;
            }
            case tk::string: {
                auto e = make(expr::kind::literal, tok.offset);
                std::string text;
                while (cur().type == tk::string) {  // adjacent literals concatenate
                    text += cur().text;
                    advance();
                }
                e->constant = value::string(std::move(text));
                return e;
            }
            case tk::integer:
            case tk::floating: {
                auto e = make(expr::kind::literal, tok.offset);
                e->constant = tok.type == tk::integer ? value::integer(tok.integer) : value::floating(tok.floating);
                advance();
                return e;
            }
            case tk::op:
                if (tok.text == "(") return parse_parenthesized();
                if (tok.text == "[") return parse_sequence(expr::kind::list, "]");
                if (tok.text == "{") return parse_dict();
                break;
            default: break;
        }
        fail("unexpected " + describe());
    }

    expr_ptr parse_parenthesized() {
        const std::size_t offset = cur().offset;
        advance();
        if (skip_op(")")) return make(expr::kind::tuple, offset);
        expr_ptr first = parse_expression();
        if (skip_op(")")) return first;
        auto tuple = make(expr::kind::tuple, offset);
        tuple->children.push_back(std::move(first));
        while (skip_op(",")) {
            if (is_op(")")) break;
            tuple->children.push_back(parse_expression());
        }
        expect_op(")");
        return tuple;
    }

    expr_ptr parse_sequence(expr::kind k, const char* close) {
        auto e = make(k, cur().offset);
        advance();
        while (!skip_op(close)) {
            if (!e->children.empty()) {
                expect_op(",");
                if (skip_op(close)) break;
            }
            e->children.push_back(parse_expression());
        }
        return e;
    }

    expr_ptr parse_dict() {
        auto e = make(expr::kind::dict, cur().offset);
        advance();
        while (!skip_op("}")) {
            if (!e->children.empty()) {
                expect_op(",");
                if (skip_op("}")) break;
            }
            e->children.push_back(parse_expression());
            expect_op(":");
            e->children.push_back(parse_expression());
        }
        return e;
    }

    // Postfix nodes carry the offset where their whole expression starts, so an error in
    // `message.content.strip()` points at `message`.
    expr_ptr parse_postfix(expr_ptr node) {
        for (;;) {
            const std::size_t offset = node->offset;
            if (skip_op(".")) {
                if (cur().type == tk::integer) {
                    auto index = make(expr::kind::literal, cur().offset);
                    index->constant = value::integer(cur().integer);
                    advance();
                    node = make2(expr::kind::subscript, offset, std::move(node), std::move(index));
                } else {
                    auto e = make(expr::kind::attribute, offset);
                    e->name = expect_name();
                    e->children.push_back(std::move(node));
                    node = std::move(e);
                }
            } else if (skip_op("[")) {
                node = make2(expr::kind::subscript, offset, std::move(node), parse_subscript());
                expect_op("]");
            } else if (is_op("(")) {
                auto call = make(expr::kind::call, offset);
                call->children.push_back(std::move(node));
                parse_call_arguments(*call);
                node = std::move(call);
            } else {
                return node;
            }
        }
    }

    expr_ptr parse_subscript() {
        const std::size_t offset = cur().offset;
        expr_ptr start;
        if (!is_op(":")) {
            start = parse_expression();
            if (!is_op(":")) return start;
        }
        auto slice = make(expr::kind::slice, offset);
        advance();  // ':'
        slice->children.push_back(std::move(start));
        slice->children.push_back(is_op("]") || is_op(":") ? nullptr : parse_expression());
        expr_ptr step;
        if (skip_op(":") && !is_op("]")) step = parse_expression();
        slice->children.push_back(std::move(step));
        return slice;
    }

    // `(a, b, name=c)`: positional arguments are appended to children, named ones to named.
    void parse_call_arguments(expr& call) {
        expect_op("(");
        bool first = true;
        while (!skip_op(")")) {
            if (!first) {
                expect_op(",");
                if (skip_op(")")) break;
            }
            first = false;
            if (cur().type == tk::name && peek().type == tk::op && peek().text == "=") {
                std::string name = cur().text;
                advance();
                advance();
                call.named.emplace_back(std::move(name), parse_expression());
            } else {
                if (!call.named.empty()) fail("positional argument follows keyword argument");
                call.children.push_back(parse_expression());
            }
        }
    }

    expr_ptr parse_filter_expression(expr_ptr node) {
        for (;;) {
            const std::size_t offset = cur().offset;
            if (skip_op("|")) {
                auto e = make(expr::kind::filter, offset);
                e->name = expect_name();
                e->children.push_back(std::move(node));
                if (is_op("(")) parse_call_arguments(*e);
                node = std::move(e);
            } else if (skip_name("is")) {
                auto e = make(expr::kind::test, offset);
                e->negated = skip_name("not");
                e->name = expect_name();
                e->children.push_back(std::move(node));
                if (is_op("(")) {
                    parse_call_arguments(*e);
                } else if ((cur().type == tk::name || cur().type == tk::string || cur().type == tk::integer ||
                            cur().type == tk::floating || is_op("[") || is_op("{")) &&
                           !is_name("else") && !is_name("or") && !is_name("and")) {
                    if (is_name("is")) fail("You cannot chain multiple tests with is");
                    e->children.push_back(parse_postfix(parse_primary()));
                }
                node = std::move(e);
            } else if (is_op("(") && node && node->type == expr::kind::filter) {
                auto call = make(expr::kind::call, offset);
                call->children.push_back(std::move(node));
                parse_call_arguments(*call);
                node = std::move(call);
            } else {
                return node;
            }
        }
    }

    const std::vector<token>& t_;
    std::size_t pos_ = 0;
    int depth_ = 0;
    int loop_depth_ = 0;
};

}  // namespace

stmt_list parse_tokens(const std::vector<token>& tokens) { return parser(tokens).parse_template(); }

}  // namespace plinth::jinja
