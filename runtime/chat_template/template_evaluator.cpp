// The evaluator: walks the statements, evaluates expressions with Python's semantics and Jinja's
// scoping (a for loop and a macro call get their own scope; if and set do not), and enforces the
// render limits.
#include "template_evaluator.hpp"

#include "template_builtins.hpp"

#include <cmath>
#include <ctime>
#include <unordered_map>

namespace plinth::jinja {

namespace {

using k = value::kind;

struct frame {
    std::unordered_map<std::string, value> vars;
    const frame* parent = nullptr;

    const value* find(const std::string& name) const {
        for (const frame* f = this; f; f = f->parent)
            if (auto it = f->vars.find(name); it != f->vars.end()) return &it->second;
        return nullptr;
    }
};

enum class flow { normal, break_loop, continue_loop };

// Statements and expressions being evaluated at once (nested blocks and expressions, through
// macro calls): bounded so that the evaluator's recursion stays well within a thread's stack, even
// under sanitizers (about 2 KiB a level there).
constexpr int max_eval_nesting = 1000;

[[noreturn]] void undefined_failure(const value& v) {
    throw failure(v.as_string().empty() ? std::string("value is undefined") : v.as_string());
}

// Python's ints are unbounded; ours are 64-bit and overflow is an error rather than a wrap.
template <class Op>
std::int64_t checked(Op op, std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (op(a, b, &r)) throw failure("integer overflow");
    return r;
}
bool add_overflow(std::int64_t a, std::int64_t b, std::int64_t* r) { return __builtin_add_overflow(a, b, r); }
bool sub_overflow(std::int64_t a, std::int64_t b, std::int64_t* r) { return __builtin_sub_overflow(a, b, r); }
bool mul_overflow(std::int64_t a, std::int64_t b, std::int64_t* r) { return __builtin_mul_overflow(a, b, r); }

class evaluator {
public:
    evaluator(const chat_template::program& program, const render_options& options)
        : program_(program), options_(options), env_{options.max_output_bytes} {
        install_globals();
        root_.parent = &globals_;
    }

    ~evaluator() {
        // namespace() objects may hold themselves (ns.x = ns); emptying them breaks such cycles.
        for (auto& ns : namespaces_) ns.namespace_items().entries.clear();
    }

    std::string render(const value& variables) {
        const text_limit_scope text_limit(options_.max_output_bytes);
        for (const auto& [name, v] : variables.as_dict().entries) root_.vars[to_str(name)] = v;
        std::string output;
        out_ = &output;
        exec(program_.body, root_);
        return output;
    }

private:
    // ---- limits ----

    void step(std::uint64_t n = 1) {
        steps_ += n;
        if (steps_ > options_.max_steps) throw failure("the template took too many steps (render_options.max_steps)");
    }
    value sized(value v) {
        if (v.is(k::string)) {
            if (v.as_string().size() > options_.max_output_bytes) throw failure("string too long (render_options.max_output_bytes)");
            step(v.as_string().size() / 64);
        } else if (v.is(k::list)) {
            if (v.as_list().size() > options_.max_output_bytes / 64) throw failure("list too long (render_options.max_output_bytes)");
            step(v.as_list().size());
        }
        return v;
    }
    // Builtins that scan their operand (`x in s`, `s.find()`, filters) cost steps by its size, so a
    // loop over them cannot run for hours within the step limit.
    const value& scanned(const value& v) {
        if (v.is(k::string))
            step(v.as_string().size() / 64);
        else if (v.is(k::list))
            step(v.as_list().size());
        else if (v.is(k::dict))
            step(v.as_dict().entries.size());
        return v;
    }
    void write(const std::string& s) {
        out_->append(s);
        if (out_->size() > options_.max_output_bytes) throw failure("output too long (render_options.max_output_bytes)");
        step(s.size() / 64);
    }

    // ---- statements ----

    flow exec(const stmt_list& body, frame& f) {
        for (const auto& s : body) {
            const flow result = exec_one(*s, f);
            if (result != flow::normal) return result;
        }
        return flow::normal;
    }

    struct nesting_guard {
        explicit nesting_guard(int& n) : n_(n) {
            if (++n_ > max_eval_nesting) {
                --n_;
                throw failure("the template nests too deeply while rendering");
            }
        }
        ~nesting_guard() { --n_; }
        int& n_;
    };

    flow exec_one(const stmt& s, frame& f) {
        try {
            const nesting_guard guard(nesting_);
            return exec_statement(s, f);
        } catch (const failure& e) {
            throw program_.error_at(s.offset, e.what());
        }
    }

    flow exec_statement(const stmt& s, frame& f) {
        step();
        switch (s.type) {
            case stmt::kind::text: write(s.text); return flow::normal;
            case stmt::kind::output: write(to_str(eval(*s.subject, f))); return flow::normal;
            case stmt::kind::if_chain:
                for (std::size_t i = 0; i < s.conditions.size(); ++i)
                    if (truthy(eval(*s.conditions[i], f))) return exec(s.bodies[i], f);
                if (s.has_else) return exec(s.bodies.back(), f);
                return flow::normal;
            case stmt::kind::for_loop: exec_for(s, f); return flow::normal;
            case stmt::kind::set: {
                value v = eval(*s.subject, f);
                if (!s.attribute.empty()) {
                    const value* target = f.find(s.targets[0]);
                    if (!target || !target->is(k::namespace_object)) throw failure("cannot assign attribute on non-namespace object");
                    target->namespace_items().set(value::string(s.attribute), std::move(v));
                } else {
                    assign(f, s.targets, v);
                }
                return flow::normal;
            }
            case stmt::kind::set_block: {
                std::string captured = capture([&] { exec(s.bodies[0], f); });
                value v = value::string(std::move(captured));
                if (s.block_filter) v = apply_filters(*s.block_filter, f, v);
                f.vars[s.targets[0]] = std::move(v);
                return flow::normal;
            }
            case stmt::kind::macro: {
                const stmt* macro = &s;
                f.vars[s.targets[0]] = value::function(s.targets[0], [this, macro](const call_args& args) { return call_macro(*macro, args); });
                return flow::normal;
            }
            case stmt::kind::break_loop: return flow::break_loop;
            case stmt::kind::continue_loop: return flow::continue_loop;
        }
        return flow::normal;
    }

    template <class Body>
    std::string capture(Body body) {
        std::string buffer;
        std::string* saved = out_;
        out_ = &buffer;
        try {
            body();
        } catch (...) {
            out_ = saved;
            throw;
        }
        out_ = saved;
        return buffer;
    }

    static void assign(frame& f, const std::vector<std::string>& targets, const value& v) {
        if (targets.size() == 1) {
            f.vars[targets[0]] = v;
            return;
        }
        const list_items items = iterate(v);
        if (items.size() != targets.size())
            throw failure(items.size() > targets.size() ? "too many values to unpack (expected " + std::to_string(targets.size()) + ")"
                                                        : "not enough values to unpack (expected " + std::to_string(targets.size()) +
                                                              ", got " + std::to_string(items.size()) + ")");
        for (std::size_t i = 0; i < targets.size(); ++i) f.vars[targets[i]] = items[i];
    }

    void exec_for(const stmt& s, frame& outer) {
        const value iterable = eval(*s.subject, outer);
        list_items items = iterate(iterable);
        frame loop_frame;
        loop_frame.parent = &outer;
        if (s.loop_filter) {
            list_items kept;
            for (auto& item : items) {
                step();
                assign(loop_frame, s.targets, item);
                if (truthy(eval(*s.loop_filter, loop_frame))) kept.push_back(std::move(item));
            }
            items = std::move(kept);
        }
        const auto n = static_cast<std::int64_t>(items.size());
        // The loop object's keys and its cycle() are made once per loop, not per iteration.
        static const value keys[] = {value::string("index"),   value::string("index0"),   value::string("revindex"),
                                     value::string("revindex0"), value::string("first"),  value::string("last"),
                                     value::string("length"),  value::string("depth"),    value::string("depth0"),
                                     value::string("previtem"), value::string("nextitem"), value::string("cycle")};
        auto position = std::make_shared<std::int64_t>(0);
        const value cycle = value::function("cycle", [position](const call_args& args) {
            if (args.positional.empty()) throw failure("no items for cycling given");
            return args.positional[static_cast<std::size_t>(*position) % args.positional.size()];
        });
        for (std::int64_t i = 0; i < n; ++i) {
            step();
            *position = i;
            // Each iteration starts from the enclosing scope: a set in the body does not carry over.
            loop_frame.vars.clear();
            assign(loop_frame, s.targets, items[static_cast<std::size_t>(i)]);
            dict_items loop;
            loop.entries.reserve(12);
            loop.entries.emplace_back(keys[0], value::integer(i + 1));
            loop.entries.emplace_back(keys[1], value::integer(i));
            loop.entries.emplace_back(keys[2], value::integer(n - i));
            loop.entries.emplace_back(keys[3], value::integer(n - i - 1));
            loop.entries.emplace_back(keys[4], value::boolean(i == 0));
            loop.entries.emplace_back(keys[5], value::boolean(i == n - 1));
            loop.entries.emplace_back(keys[6], value::integer(n));
            loop.entries.emplace_back(keys[7], value::integer(1));
            loop.entries.emplace_back(keys[8], value::integer(0));
            if (i > 0) loop.entries.emplace_back(keys[9], items[static_cast<std::size_t>(i - 1)]);
            if (i + 1 < n) loop.entries.emplace_back(keys[10], items[static_cast<std::size_t>(i + 1)]);
            loop.entries.emplace_back(keys[11], cycle);
            loop_frame.vars["loop"] = value::dict(std::move(loop));
            if (exec(s.bodies[0], loop_frame) == flow::break_loop) break;
        }
        if (n == 0 && s.has_else) {
            frame else_frame;
            else_frame.parent = &outer;
            exec(s.bodies[1], else_frame);
        }
    }

    value call_macro(const stmt& macro, const call_args& args) {
        if (depth_ >= options_.max_call_depth) throw failure("macros nested too deeply (render_options.max_call_depth)");
        struct depth_guard {
            int& d;
            explicit depth_guard(int& depth) : d(depth) { ++d; }
            ~depth_guard() { --d; }
        } guard(depth_);
        // A macro sees its arguments and the template's top-level names, not its caller's locals.
        frame f;
        f.parent = &root_;
        for (std::size_t i = 0; i < macro.params.size(); ++i) {
            const auto& [name, fallback] = macro.params[i];
            if (const value* given = args.get(i, name.c_str()))
                f.vars[name] = *given;
            else if (fallback)
                f.vars[name] = eval(*fallback, f);
            else
                f.vars[name] = value::undefined("'" + name + "' is undefined");
        }
        list_items varargs;
        for (std::size_t i = macro.params.size(); i < args.positional.size(); ++i) varargs.push_back(args.positional[i]);
        f.vars["varargs"] = value::list(std::move(varargs), /*tuple=*/true);
        dict_items kwargs;
        for (const auto& [name, v] : args.named) {
            bool is_param = false;
            for (const auto& p : macro.params) is_param = is_param || p.first == name;
            if (!is_param) kwargs.set(value::string(name), v);
        }
        f.vars["kwargs"] = value::dict(std::move(kwargs));
        return value::string(capture([&] { exec(macro.bodies[0], f); }));
    }

    // ---- expressions ----

    value eval(const expr& e, const frame& f) {
        step();
        try {
            const nesting_guard guard(nesting_);
            return eval_node(e, f);
        } catch (const failure& x) {
            throw program_.error_at(e.offset, x.what());
        }
    }

    call_args eval_args(const expr& call, const frame& f, std::size_t first_positional) {
        call_args args;
        for (std::size_t i = first_positional; i < call.children.size(); ++i) args.positional.push_back(eval(*call.children[i], f));
        for (const auto& [name, arg] : call.named) args.named.emplace_back(name, eval(*arg, f));
        return args;
    }

    std::optional<std::int64_t> slice_bound(const expr* e, const frame& f) {
        if (!e) return std::nullopt;
        const value v = eval(*e, f);
        if (v.is(k::none)) return std::nullopt;
        if (!v.is(k::integer) && !v.is(k::boolean)) throw failure("slice indices must be integers or None");
        return v.as_int();
    }

    // A filter chain whose innermost input is `input` (the body of a filtered set block).
    value apply_filters(const expr& e, const frame& f, const value& input) {
        const value inner = e.children[0] ? apply_filters(*e.children[0], f, input) : input;
        return run_filter(e, f, inner);
    }

    value run_filter(const expr& e, const frame& f, const value& input) {
        const filter_function fn = find_filter(e.name);
        if (!fn) throw failure("No filter named '" + e.name + "'.");
        return sized(fn(env_, input, eval_args(e, f, 1)));
    }

    value eval_node(const expr& e, const frame& f) {
        switch (e.type) {
            case expr::kind::literal: return e.constant;
            case expr::kind::name: {
                const value* v = f.find(e.name);
                return v ? *v : value::undefined("'" + e.name + "' is undefined");
            }
            case expr::kind::list:
            case expr::kind::tuple: {
                list_items items;
                for (const auto& c : e.children) items.push_back(eval(*c, f));
                return value::list(std::move(items), e.type == expr::kind::tuple);
            }
            case expr::kind::dict: {
                dict_items items;
                for (std::size_t i = 0; i + 1 < e.children.size(); i += 2) {
                    value key = eval(*e.children[i], f);
                    items.set(std::move(key), eval(*e.children[i + 1], f));
                }
                return value::dict(std::move(items));
            }
            case expr::kind::attribute: return get_attribute(env_, scanned(eval(*e.children[0], f)), e.name);
            case expr::kind::subscript: {
                const value obj = eval(*e.children[0], f);
                scanned(obj);
                const expr& index = *e.children[1];
                if (index.type == expr::kind::slice)
                    return sized(get_slice(obj, slice_bound(index.children[0].get(), f), slice_bound(index.children[1].get(), f),
                                           slice_bound(index.children[2].get(), f)));
                return get_item(env_, obj, eval(index, f));
            }
            case expr::kind::slice: throw failure("a slice outside of a subscript");
            case expr::kind::call: {
                const value callee = eval(*e.children[0], f);
                if (callee.is_undefined()) undefined_failure(callee);
                if (!callee.is(k::function)) throw failure("'" + type_name(callee) + "' object is not callable");
                const call_args args = eval_args(e, f, 1);
                return sized(callee.as_function()(args));
            }
            case expr::kind::filter: return run_filter(e, f, scanned(eval(*e.children[0], f)));
            case expr::kind::test: {
                const test_function fn = find_test(e.name);
                if (!fn) throw failure("No test named '" + e.name + "'.");
                const value subject = eval(*e.children[0], f);
                call_args args = eval_args(e, f, 1);
                for (const auto& a : args.positional) scanned(a);
                return value::boolean(fn(subject, args) != e.negated);
            }
            case expr::kind::logical_not: return value::boolean(!truthy(eval(*e.children[0], f)));
            case expr::kind::negate: {
                const value v = eval(*e.children[0], f);
                if (v.is(k::floating)) return value::floating(-v.as_float());
                if (v.is(k::integer) || v.is(k::boolean)) return value::integer(checked(sub_overflow, 0, v.as_int()));
                if (v.is_undefined()) undefined_failure(v);
                throw failure("bad operand type for unary -: '" + type_name(v) + "'");
            }
            case expr::kind::unary_plus: {
                const value v = eval(*e.children[0], f);
                if (v.is(k::boolean)) return value::integer(v.as_int());
                if (v.is_number()) return v;
                if (v.is_undefined()) undefined_failure(v);
                throw failure("bad operand type for unary +: '" + type_name(v) + "'");
            }
            case expr::kind::binary: return sized(binary(e.name, eval(*e.children[0], f), eval(*e.children[1], f)));
            case expr::kind::compare: {
                value left = eval(*e.children[0], f);
                for (std::size_t i = 0; i < e.ops.size(); ++i) {
                    value right = eval(*e.children[i + 1], f);
                    if (!compare_once(e.ops[i], left, right)) return value::boolean(false);
                    left = std::move(right);
                }
                return value::boolean(true);
            }
            case expr::kind::logical_and: {
                value left = eval(*e.children[0], f);
                return truthy(left) ? eval(*e.children[1], f) : left;
            }
            case expr::kind::logical_or: {
                value left = eval(*e.children[0], f);
                return truthy(left) ? left : eval(*e.children[1], f);
            }
            case expr::kind::conditional:
                if (truthy(eval(*e.children[0], f))) return eval(*e.children[1], f);
                return e.children[2] ? eval(*e.children[2], f) : value::undefined("the conditional expression has no else");
        }
        throw failure("unknown expression");
    }

    bool compare_once(const std::string& op, const value& a, const value& b) {
        if (op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=") {
            scanned(a);
            scanned(b);
        }
        if (op == "==") return equals(a, b);
        if (op == "!=") return !equals(a, b);
        if (op == "in") return contains(scanned(b), a);
        if (op == "notin") return !contains(scanned(b), a);
        if (a.is_undefined()) undefined_failure(a);
        if (b.is_undefined()) undefined_failure(b);
        const int c = compare(a, b);
        if (op == "<") return c < 0;
        if (op == "<=") return c <= 0;
        if (op == ">") return c > 0;
        return c >= 0;
    }

    value repeat(const value& seq, std::int64_t times) {
        if (times <= 0) return seq.is(k::string) ? value::string("") : value::list({});
        if (seq.is(k::string)) {
            const std::string& s = seq.as_string();
            if (s.size() * static_cast<std::size_t>(std::min<std::int64_t>(times, INT32_MAX)) > options_.max_output_bytes || times > INT32_MAX)
                throw failure("string too long (render_options.max_output_bytes)");
            std::string out;
            for (std::int64_t i = 0; i < times; ++i) out += s;
            return value::string(std::move(out));
        }
        const list_items& items = seq.as_list();
        if (items.size() * static_cast<std::size_t>(std::min<std::int64_t>(times, INT32_MAX)) > options_.max_output_bytes / 64 || times > INT32_MAX)
            throw failure("list too long (render_options.max_output_bytes)");
        list_items out;
        for (std::int64_t i = 0; i < times; ++i) out.insert(out.end(), items.begin(), items.end());
        return value::list(std::move(out));
    }

    value binary(const std::string& op, const value& a, const value& b) {
        if (op == "~") return value::string(to_str(a) + to_str(b));
        if (a.is_undefined()) undefined_failure(a);
        if (b.is_undefined()) undefined_failure(b);
        const bool numbers = a.is_number() && b.is_number();
        const bool any_float = a.is(k::floating) || b.is(k::floating);
        auto unsupported = [&]() -> value {
            throw failure("unsupported operand type(s) for " + op + ": '" + type_name(a) + "' and '" + type_name(b) + "'");
        };
        if (op == "+") {
            if (numbers) {
                if (any_float) return value::floating(a.as_float() + b.as_float());
                return value::integer(checked(add_overflow, a.as_int(), b.as_int()));
            }
            if (a.is(k::string) && b.is(k::string)) {
                // Markup + str escapes the str (markupsafe), and the result stays Markup.
                if (a.is_markup() || b.is_markup())
                    return value::markup((a.is_markup() ? a.as_string() : html_escape(a.as_string())) +
                                         (b.is_markup() ? b.as_string() : html_escape(b.as_string())));
                return value::string(a.as_string() + b.as_string());
            }
            if (a.is(k::list) && b.is(k::list)) {
                list_items items = a.as_list();
                items.insert(items.end(), b.as_list().begin(), b.as_list().end());
                return value::list(std::move(items), a.is_tuple() && b.is_tuple());
            }
            if (a.is(k::string)) throw failure("can only concatenate str (not \"" + type_name(b) + "\") to str");
            return unsupported();
        }
        if (op == "*") {
            if (numbers) {
                if (any_float) return value::floating(a.as_float() * b.as_float());
                return value::integer(checked(mul_overflow, a.as_int(), b.as_int()));
            }
            if ((a.is(k::string) || a.is(k::list)) && (b.is(k::integer) || b.is(k::boolean))) return repeat(a, b.as_int());
            if ((b.is(k::string) || b.is(k::list)) && (a.is(k::integer) || a.is(k::boolean))) return repeat(b, a.as_int());
            return unsupported();
        }
        if (!numbers) return unsupported();
        if (op == "-") {
            if (any_float) return value::floating(a.as_float() - b.as_float());
            return value::integer(checked(sub_overflow, a.as_int(), b.as_int()));
        }
        if (op == "/") {
            if (b.as_float() == 0.0) throw failure("division by zero");
            return value::floating(a.as_float() / b.as_float());
        }
        if (op == "//" || op == "%") {
            if (any_float) {
                if (b.as_float() == 0.0) throw failure("float divmod()");
                const double m = std::fmod(a.as_float(), b.as_float());
                const double mod = (m != 0 && ((m < 0) != (b.as_float() < 0))) ? m + b.as_float() : m;
                if (op == "%") return value::floating(mod);
                return value::floating(std::round((a.as_float() - mod) / b.as_float()));
            }
            const std::int64_t x = a.as_int(), y = b.as_int();
            if (y == 0) throw failure("integer division or modulo by zero");
            if (x == INT64_MIN && y == -1) return op == "%" ? value::integer(0) : throw failure("integer overflow");
            std::int64_t q = x / y, r = x % y;
            if (r != 0 && ((r < 0) != (y < 0))) {
                --q;
                r += y;
            }
            return value::integer(op == "%" ? r : q);
        }
        if (op == "**") {
            if (any_float || b.as_int() < 0) return value::floating(std::pow(a.as_float(), b.as_float()));
            std::int64_t result = 1, base = a.as_int();
            for (std::int64_t e = b.as_int(); e > 0; e >>= 1) {
                if (e & 1) result = checked(mul_overflow, result, base);
                if (e > 1) base = checked(mul_overflow, base, base);
            }
            return value::integer(result);
        }
        return unsupported();
    }

    // ---- globals ----

    void install_globals() {
        globals_.vars["raise_exception"] = value::function("raise_exception", [](const call_args& args) -> value {
            throw failure(args.positional.empty() ? std::string("raise_exception() called") : to_str(args.positional[0]));
        });
        globals_.vars["strftime_now"] = value::function("strftime_now", [this](const call_args& args) {
            const value* fmt = args.get(0, "format");
            if (!fmt || !fmt->is(k::string)) throw failure("strftime_now needs a format string");
            return value::string(strftime_now(fmt->as_string()));
        });
        globals_.vars["namespace"] = value::function("namespace", [this](const call_args& args) {
            dict_items items;
            for (const auto& p : args.positional) {
                if (!p.is(k::dict)) throw failure("namespace() takes a mapping or keyword arguments");
                for (const auto& [key, v] : p.as_dict().entries) items.set(key, v);
            }
            for (const auto& [name, v] : args.named) items.set(value::string(name), v);
            value ns = value::make_namespace(std::move(items));
            namespaces_.push_back(ns);
            return ns;
        });
        globals_.vars["dict"] = value::function("dict", [](const call_args& args) {
            dict_items items;
            for (const auto& p : args.positional) {
                if (!p.is(k::dict)) throw failure("dict() takes a mapping or keyword arguments");
                for (const auto& [key, v] : p.as_dict().entries) items.set(key, v);
            }
            for (const auto& [name, v] : args.named) items.set(value::string(name), v);
            return value::dict(std::move(items));
        });
        globals_.vars["range"] = value::function("range", [this](const call_args& args) {
            std::vector<std::int64_t> n;
            for (const auto& p : args.positional) {
                if (!p.is(k::integer) && !p.is(k::boolean)) throw failure("range() takes integers");
                n.push_back(p.as_int());
            }
            if (n.empty() || n.size() > 3) throw failure("range expected 1 to 3 arguments");
            const std::int64_t start = n.size() == 1 ? 0 : n[0], stop = n.size() == 1 ? n[0] : n[1], by = n.size() == 3 ? n[2] : 1;
            if (by == 0) throw failure("range() arg 3 must not be zero");
            list_items items;
            for (std::int64_t i = start; by > 0 ? i < stop : i > stop; i += by) {
                if (items.size() >= options_.max_output_bytes / 64) throw failure("range too long (render_options.max_output_bytes)");
                step();
                items.push_back(value::integer(i));
                if ((by > 0 && i > INT64_MAX - by) || (by < 0 && i < INT64_MIN - by)) break;
            }
            return value::list(std::move(items));
        });
    }

    std::string strftime_now(const std::string& fmt) const {
        std::tm tm{};
        if (options_.fixed_time >= 0) {
            const std::time_t t = static_cast<std::time_t>(options_.fixed_time);
            gmtime_r(&t, &tm);
        } else {
            const std::time_t t = std::time(nullptr);
            localtime_r(&t, &tm);
        }
        if (fmt.size() > 4096) throw failure("strftime_now: format too long");
        std::string out(fmt.size() * 16 + 64, '\0');
        const std::size_t n = fmt.empty() ? 0 : std::strftime(out.data(), out.size(), fmt.c_str(), &tm);
        out.resize(n);
        return out;
    }

    const chat_template::program& program_;
    const render_options& options_;
    builtin_env env_;
    frame globals_;
    frame root_;
    std::string* out_ = nullptr;
    std::uint64_t steps_ = 0;
    int depth_ = 0;
    int nesting_ = 0;
    std::vector<value> namespaces_;
};

}  // namespace

std::string render_program(const chat_template::program& program, const value& variables, const render_options& options) {
    evaluator e(program, options);
    return e.render(variables);
}

}  // namespace plinth::jinja
