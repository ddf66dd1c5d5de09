// Jinja2's tests (`x is name`), with Python's notion of each type.
#include "template_builtins.hpp"

#include <cmath>
#include <cstring>

namespace plinth::jinja {

namespace {

using k = value::kind;

const value& arg(const call_args& args, std::size_t position = 0) {
    if (position >= args.positional.size()) {
        if (position == 0 && !args.named.empty()) return args.named.front().second;
        throw failure("the test needs an argument");
    }
    return args.positional[position];
}

std::string text_of(const value& v) { return to_str(v); }

struct named_test {
    const char* name;
    test_function fn;
};

const named_test tests[] = {
    {"defined", [](const value& v, const call_args&) { return !v.is_undefined(); }},
    {"undefined", [](const value& v, const call_args&) { return v.is_undefined(); }},
    {"none", [](const value& v, const call_args&) { return v.is(k::none); }},
    {"boolean", [](const value& v, const call_args&) { return v.is(k::boolean); }},
    {"true", [](const value& v, const call_args&) { return v.is(k::boolean) && v.as_bool(); }},
    {"false", [](const value& v, const call_args&) { return v.is(k::boolean) && !v.as_bool(); }},
    {"integer", [](const value& v, const call_args&) { return v.is(k::integer); }},
    {"float", [](const value& v, const call_args&) { return v.is(k::floating); }},
    {"number", [](const value& v, const call_args&) { return v.is_number(); }},
    {"string", [](const value& v, const call_args&) { return v.is(k::string); }},
    {"mapping", [](const value& v, const call_args&) { return v.is(k::dict); }},
    // Undefined has __len__, __getitem__ and __iter__, so Jinja counts it as both.
    {"sequence", [](const value& v, const call_args&) { return v.is(k::string) || v.is(k::list) || v.is(k::dict) || v.is_undefined(); }},
    {"iterable", [](const value& v, const call_args&) {
         return v.is(k::string) || v.is(k::list) || v.is(k::dict) || v.is_undefined();
     }},
    {"callable", [](const value& v, const call_args&) { return v.is(k::function); }},
    {"odd", [](const value& v, const call_args&) {
         if (!v.is(k::integer) && !v.is(k::boolean)) throw failure("odd needs an integer");
         return v.as_int() % 2 != 0;
     }},
    {"even", [](const value& v, const call_args&) {
         if (!v.is(k::integer) && !v.is(k::boolean)) throw failure("even needs an integer");
         return v.as_int() % 2 == 0;
     }},
    {"divisibleby", [](const value& v, const call_args& a) {
         const value& d = arg(a);
         if (!v.is_number() || !d.is_number()) throw failure("divisibleby needs numbers");
         if (d.is(k::floating) || v.is(k::floating)) return d.as_float() != 0 && std::fmod(v.as_float(), d.as_float()) == 0;
         if (d.as_int() == 0) throw failure("integer division or modulo by zero");
         return d.as_int() == -1 || v.as_int() % d.as_int() == 0;
     }},
    {"lower", [](const value& v, const call_args&) { return py_lower(text_of(v)) == text_of(v) && py_upper(text_of(v)) != text_of(v); }},
    {"upper", [](const value& v, const call_args&) { return py_upper(text_of(v)) == text_of(v) && py_lower(text_of(v)) != text_of(v); }},
    {"eq", [](const value& v, const call_args& a) { return equals(v, arg(a)); }},
    {"equalto", [](const value& v, const call_args& a) { return equals(v, arg(a)); }},
    {"==", [](const value& v, const call_args& a) { return equals(v, arg(a)); }},
    {"ne", [](const value& v, const call_args& a) { return !equals(v, arg(a)); }},
    {"!=", [](const value& v, const call_args& a) { return !equals(v, arg(a)); }},
    {"lt", [](const value& v, const call_args& a) { return compare(v, arg(a)) < 0; }},
    {"lessthan", [](const value& v, const call_args& a) { return compare(v, arg(a)) < 0; }},
    {"<", [](const value& v, const call_args& a) { return compare(v, arg(a)) < 0; }},
    {"le", [](const value& v, const call_args& a) { return compare(v, arg(a)) <= 0; }},
    {"<=", [](const value& v, const call_args& a) { return compare(v, arg(a)) <= 0; }},
    {"gt", [](const value& v, const call_args& a) { return compare(v, arg(a)) > 0; }},
    {"greaterthan", [](const value& v, const call_args& a) { return compare(v, arg(a)) > 0; }},
    {">", [](const value& v, const call_args& a) { return compare(v, arg(a)) > 0; }},
    {"ge", [](const value& v, const call_args& a) { return compare(v, arg(a)) >= 0; }},
    {">=", [](const value& v, const call_args& a) { return compare(v, arg(a)) >= 0; }},
    {"in", [](const value& v, const call_args& a) { return contains(arg(a), v); }},
    {"sameas", [](const value& v, const call_args& a) {
         const value& o = arg(a);
         if (v.type() != o.type()) return false;
         if (v.is(k::none) || v.is_undefined()) return true;
         if (v.is(k::boolean)) return v.as_bool() == o.as_bool();
         return equals(v, o) && (v.is(k::integer) || v.is(k::string));
     }},
};

}  // namespace

test_function find_test(std::string_view name) {
    for (const auto& t : tests)
        if (name == t.name) return t.fn;
    return nullptr;
}

}  // namespace plinth::jinja
