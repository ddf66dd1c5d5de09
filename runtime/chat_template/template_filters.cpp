// Jinja2's filters as chat templates use them, plus Hugging Face's `tojson`.
#include "template_builtins.hpp"
#include "template_json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace plinth::jinja {

namespace {

using k = value::kind;

const value* opt(const call_args& a, std::size_t position, const char* name) { return a.get(position, name); }
bool flag(const call_args& a, std::size_t position, const char* name, bool fallback = false) {
    const value* v = a.get(position, name);
    return v ? truthy(*v) : fallback;
}

std::string as_text(const value& v) { return to_str(v); }

// Follows a dotted attribute path ("function.name", "0.x") as Jinja's attribute arguments do.
value attribute_path(const builtin_env& env, const value& item, const std::string& path) {
    value cur = item;
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = path.find('.', start);
        const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        const bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (cur.is_undefined()) return cur;
        cur = numeric ? get_item(env, cur, value::integer(std::atoll(part.c_str()))) : get_item(env, cur, value::string(part));
        if (dot == std::string::npos) return cur;
        start = dot + 1;
    }
}

value check_size(const builtin_env& env, value v) {
    if (v.is(k::string) && v.as_string().size() > env.max_size) throw failure("string too long");
    return v;
}

// Sorting key for dictsort/sort/min/max/unique: lower-cased strings unless case_sensitive.
value sort_key(const value& v, bool case_sensitive) {
    if (!case_sensitive && v.is(k::string)) return value::string(py_lower(v.as_string()));
    return v;
}

call_args rest_args(const call_args& a, std::size_t from) {
    call_args out;
    for (std::size_t i = from; i < a.positional.size(); ++i) out.positional.push_back(a.positional[i]);
    out.named = a.named;
    return out;
}

test_function test_named(const value& name) {
    if (!name.is(k::string)) throw failure("a test name must be a string");
    test_function t = find_test(name.as_string());
    if (!t) throw failure("No test named '" + name.as_string() + "'.");
    return t;
}

value select_items(const builtin_env& env, const value& input, const call_args& a, bool by_attribute, bool keep) {
    list_items out;
    std::size_t next = 0;
    std::string attribute;
    if (by_attribute) {
        const value* attr = opt(a, next++, "attribute");
        if (!attr || !attr->is(k::string)) throw failure("selectattr/rejectattr need an attribute name");
        attribute = attr->as_string();
    }
    test_function test = nullptr;
    call_args test_args;
    if (next < a.positional.size()) {
        test = test_named(a.positional[next]);
        test_args = rest_args(a, next + 1);
    }
    if (!truthy(input)) return value::list({});  // Jinja skips falsy inputs (None) instead of iterating them
    for (const auto& item : iterate(input)) {
        const value subject = by_attribute ? attribute_path(env, item, attribute) : item;
        const bool passed = test ? test(subject, test_args) : truthy(subject);
        if (passed == keep) out.push_back(item);
    }
    return value::list(std::move(out));
}

value f_tojson(const builtin_env& env, const value& input, const call_args& a) {
    dump_options o;
    if (const value* indent = opt(a, 0, "indent"); indent && !indent->is(k::none)) {
        if (indent->is(k::string))
            o.indent = indent->as_string();
        else if (indent->is(k::integer))
            o.indent = std::string(static_cast<std::size_t>(std::clamp<std::int64_t>(indent->as_int(), 0, 64)), ' ');
        else
            throw failure("tojson: indent must be an integer or a string");
        o.item_separator = ",";
    }
    if (const value* sep = opt(a, 1, "separators"); sep && !sep->is(k::none)) {
        if (!sep->is(k::list) || sep->as_list().size() != 2 || !sep->as_list()[0].is(k::string) || !sep->as_list()[1].is(k::string))
            throw failure("tojson: separators must be a pair of strings");
        o.item_separator = sep->as_list()[0].as_string();
        o.key_separator = sep->as_list()[1].as_string();
    }
    o.sort_keys = flag(a, 2, "sort_keys");
    o.ensure_ascii = flag(a, 3, "ensure_ascii");
    return check_size(env, value::string(to_json(input, o)));
}

value f_length(const builtin_env&, const value& input, const call_args&) {
    switch (input.type()) {
        case k::undefined: return value::integer(0);
        case k::string: return value::integer(static_cast<std::int64_t>(codepoint_count(input.as_string())));
        case k::list: return value::integer(static_cast<std::int64_t>(input.as_list().size()));
        case k::dict:
        case k::namespace_object: return value::integer(static_cast<std::int64_t>(input.as_dict().entries.size()));
        default: throw failure("object of type '" + type_name(input) + "' has no len()");
    }
}

value f_trim(const builtin_env&, const value& input, const call_args& a) {
    return value::string(py_strip(as_text(input), opt(a, 0, "chars"), true, true));
}

// Jinja's `string` keeps Markup as it is (soft_str).
value f_string(const builtin_env&, const value& input, const call_args&) {
    return input.is(k::string) ? input : value::string(as_text(input));
}

value f_items(const builtin_env&, const value& input, const call_args&) {
    if (input.is_undefined()) return value::list({});
    if (!input.is(k::dict) && !input.is(k::namespace_object)) throw failure("Can only get item pairs from a mapping.");
    list_items out;
    for (const auto& [key, item] : input.as_dict().entries) out.push_back(value::list({key, item}, true));
    return value::list(std::move(out));
}

value f_default(const builtin_env&, const value& input, const call_args& a) {
    const bool boolean = flag(a, 1, "boolean");
    if (input.is_undefined() || (boolean && !truthy(input))) {
        const value* fallback = opt(a, 0, "default_value");
        return fallback ? *fallback : value::string("");
    }
    return input;
}

value f_join(const builtin_env& env, const value& input, const call_args& a) {
    const value* sep = opt(a, 0, "d");
    const std::string separator = sep ? as_text(*sep) : "";
    const value* attribute = opt(a, 1, "attribute");
    std::string out;
    bool first = true;
    for (const auto& item : iterate(input)) {
        if (!first) out += separator;
        out += as_text(attribute ? attribute_path(env, item, as_text(*attribute)) : item);
        first = false;
        if (out.size() > env.max_size) throw failure("string too long");
    }
    return value::string(out);
}

value f_list(const builtin_env&, const value& input, const call_args&) { return value::list(iterate(input)); }

value f_dictsort(const builtin_env&, const value& input, const call_args& a) {
    if (!input.is(k::dict) && !input.is(k::namespace_object)) throw failure("dictsort needs a mapping");
    const bool case_sensitive = flag(a, 0, "case_sensitive");
    const value* by = opt(a, 1, "by");
    const bool by_value = by && by->is(k::string) && by->as_string() == "value";
    if (by && !(by->is(k::string) && (by->as_string() == "key" || by->as_string() == "value")))
        throw failure("You can only sort by either 'key' or 'value'");
    const bool reverse = flag(a, 2, "reverse");
    auto entries = input.as_dict().entries;
    std::stable_sort(entries.begin(), entries.end(), [&](const auto& x, const auto& y) {
        const int c = compare(sort_key(by_value ? x.second : x.first, case_sensitive), sort_key(by_value ? y.second : y.first, case_sensitive));
        return reverse ? c > 0 : c < 0;
    });
    list_items out;
    for (auto& [key, item] : entries) out.push_back(value::list({key, item}, true));
    return value::list(std::move(out));
}

value f_lower(const builtin_env&, const value& input, const call_args&) { return value::string(py_lower(as_text(input))); }
value f_upper(const builtin_env&, const value& input, const call_args&) { return value::string(py_upper(as_text(input))); }
value f_safe(const builtin_env&, const value& input, const call_args&) { return value::markup(as_text(input)); }

value f_replace(const builtin_env& env, const value& input, const call_args& a) {
    const value* from = opt(a, 0, "old");
    const value* to = opt(a, 1, "new");
    if (!from || !to) throw failure("replace needs two arguments");
    const value* count = opt(a, 2, "count");
    return value::string(py_replace(env, as_text(input), as_text(*from), as_text(*to), count && !count->is(k::none) ? count->as_int() : -1));
}

value f_map(const builtin_env& env, const value& input, const call_args& a) {
    list_items out;
    if (!truthy(input)) return value::list({});  // as select: a falsy input maps to nothing
    if (const value* attribute = opt(a, 99, "attribute")) {
        const value* fallback = opt(a, 99, "default");
        for (const auto& item : iterate(input)) {
            value v = attribute_path(env, item, as_text(*attribute));
            out.push_back(v.is_undefined() && fallback ? *fallback : v);
        }
        return value::list(std::move(out));
    }
    if (a.positional.empty() || !a.positional[0].is(k::string)) throw failure("map needs a filter name or attribute=");
    filter_function f = find_filter(a.positional[0].as_string());
    if (!f) throw failure("No filter named '" + a.positional[0].as_string() + "'.");
    const call_args rest = rest_args(a, 1);
    for (const auto& item : iterate(input)) out.push_back(f(env, item, rest));
    return value::list(std::move(out));
}

value f_select(const builtin_env& env, const value& input, const call_args& a) { return select_items(env, input, a, false, true); }
value f_reject(const builtin_env& env, const value& input, const call_args& a) { return select_items(env, input, a, false, false); }
value f_selectattr(const builtin_env& env, const value& input, const call_args& a) { return select_items(env, input, a, true, true); }
value f_rejectattr(const builtin_env& env, const value& input, const call_args& a) { return select_items(env, input, a, true, false); }

value f_indent(const builtin_env& env, const value& input, const call_args& a) {
    const value* width = opt(a, 0, "width");
    std::string indention = "    ";
    if (width && width->is(k::string)) {
        indention = width->as_string();
    } else if (width) {
        if (!width->is(k::integer)) throw failure("indent width must be an integer or a string");
        indention = std::string(static_cast<std::size_t>(std::clamp<std::int64_t>(width->as_int(), 0, 1024)), ' ');
    }
    const bool first = flag(a, 1, "first"), blank = flag(a, 2, "blank");
    // Jinja appends a newline before splitting lines, so a trailing newline is kept as one.
    const std::string s = as_text(input) + "\n";
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' || s[i] == '\r') {
            lines.push_back(s.substr(start, i - start));
            if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
            start = i + 1;
        }
    }
    if (start < s.size()) lines.push_back(s.substr(start));
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) out += '\n';
        if (i > 0 && (blank || !lines[i].empty())) out += indention;
        out += lines[i];
        if (out.size() > env.max_size) throw failure("string too long");
    }
    if (first) out = indention + out;
    return value::string(out);
}

value f_int(const builtin_env&, const value& input, const call_args& a) {
    const value* fallback = opt(a, 0, "default");
    const value def = fallback ? *fallback : value::integer(0);
    switch (input.type()) {
        case k::integer:
        case k::boolean: return value::integer(input.as_int());
        case k::floating: {
            const double f = input.as_float();
            if (!std::isfinite(f) || std::fabs(f) > 9.2e18) return def;
            return value::integer(static_cast<std::int64_t>(f));
        }
        case k::string: {
            const std::string s = py_strip(input.as_string(), nullptr, true, true);
            char* end = nullptr;
            errno = 0;
            const long long i = std::strtoll(s.c_str(), &end, 10);
            if (!s.empty() && end && *end == '\0' && errno == 0) return value::integer(i);
            const double f = std::strtod(s.c_str(), &end);
            if (!s.empty() && end && *end == '\0' && std::isfinite(f) && std::fabs(f) < 9.2e18) return value::integer(static_cast<std::int64_t>(f));
            return def;
        }
        default: return def;
    }
}

value f_float(const builtin_env&, const value& input, const call_args& a) {
    const value* fallback = opt(a, 0, "default");
    const value def = fallback ? *fallback : value::floating(0.0);
    if (input.is_number()) return value::floating(input.as_float());
    if (input.is(k::string)) {
        const std::string s = py_strip(input.as_string(), nullptr, true, true);
        char* end = nullptr;
        const double f = std::strtod(s.c_str(), &end);
        if (!s.empty() && end && *end == '\0') return value::floating(f);
    }
    return def;
}

value extreme(const builtin_env& env, const value& input, const call_args& a, bool want_max) {
    const bool case_sensitive = flag(a, 0, "case_sensitive");
    const value* attribute = opt(a, 1, "attribute");
    const list_items items = iterate(input);
    if (items.empty()) return value::undefined(std::string("No aggregated item, sequence was empty."));
    auto key = [&](const value& v) { return sort_key(attribute ? attribute_path(env, v, as_text(*attribute)) : v, case_sensitive); };
    const value* best = &items[0];
    for (const auto& item : items) {
        const int c = compare(key(item), key(*best));
        if (want_max ? c > 0 : c < 0) best = &item;
    }
    return *best;
}
value f_min(const builtin_env& env, const value& input, const call_args& a) { return extreme(env, input, a, false); }
value f_max(const builtin_env& env, const value& input, const call_args& a) { return extreme(env, input, a, true); }

value f_first(const builtin_env&, const value& input, const call_args&) {
    const list_items items = iterate(input);
    return items.empty() ? value::undefined("No first item, sequence was empty.") : items.front();
}
value f_last(const builtin_env&, const value& input, const call_args&) {
    const list_items items = iterate(input);
    return items.empty() ? value::undefined("No last item, sequence was empty.") : items.back();
}

value f_unique(const builtin_env& env, const value& input, const call_args& a) {
    const bool case_sensitive = flag(a, 0, "case_sensitive");
    const value* attribute = opt(a, 1, "attribute");
    list_items out, seen;
    for (const auto& item : iterate(input)) {
        const value key = sort_key(attribute ? attribute_path(env, item, as_text(*attribute)) : item, case_sensitive);
        if (std::none_of(seen.begin(), seen.end(), [&](const value& s) { return equals(s, key); })) {
            seen.push_back(key);
            out.push_back(item);
        }
    }
    return value::list(std::move(out));
}

value f_sort(const builtin_env& env, const value& input, const call_args& a) {
    const bool reverse = flag(a, 0, "reverse"), case_sensitive = flag(a, 1, "case_sensitive");
    const value* attribute = opt(a, 2, "attribute");
    list_items items = iterate(input);
    std::stable_sort(items.begin(), items.end(), [&](const value& x, const value& y) {
        auto key = [&](const value& v) { return sort_key(attribute ? attribute_path(env, v, as_text(*attribute)) : v, case_sensitive); };
        const int c = compare(key(x), key(y));
        return reverse ? c > 0 : c < 0;
    });
    return value::list(std::move(items));
}

value f_reverse(const builtin_env&, const value& input, const call_args&) {
    if (input.is(k::string)) {
        std::u32string s = decode_utf8(input.as_string());
        std::reverse(s.begin(), s.end());
        return value::string(encode_utf8(s));
    }
    list_items items = iterate(input);
    std::reverse(items.begin(), items.end());
    return value::list(std::move(items));
}

value f_abs(const builtin_env&, const value& input, const call_args&) {
    if (input.is(k::floating)) return value::floating(std::fabs(input.as_float()));
    if (input.is(k::integer) || input.is(k::boolean)) {
        if (input.as_int() == INT64_MIN) throw failure("integer overflow");
        return value::integer(std::llabs(input.as_int()));
    }
    throw failure("bad operand type for abs(): '" + type_name(input) + "'");
}

value f_round(const builtin_env&, const value& input, const call_args& a) {
    if (!input.is_number()) throw failure("round needs a number");
    const value* precision_arg = opt(a, 0, "precision");
    const std::int64_t precision = precision_arg ? precision_arg->as_int() : 0;
    const value* method_arg = opt(a, 1, "method");
    const std::string method = method_arg ? as_text(*method_arg) : "common";
    const double scale = std::pow(10.0, static_cast<double>(std::clamp<std::int64_t>(precision, -300, 300)));
    const double x = input.as_float() * scale;
    double r;
    if (method == "common")
        r = std::nearbyint(x);  // Python rounds half to even
    else if (method == "ceil")
        r = std::ceil(x);
    else if (method == "floor")
        r = std::floor(x);
    else
        throw failure("method must be common, ceil or floor");
    return value::floating(r / scale);
}

value f_sum(const builtin_env& env, const value& input, const call_args& a) {
    const value* attribute = opt(a, 0, "attribute");
    const value* start = opt(a, 1, "start");
    value total = start ? *start : value::integer(0);
    for (const auto& item : iterate(input)) {
        const value v = attribute ? attribute_path(env, item, as_text(*attribute)) : item;
        if (!v.is_number() || !total.is_number()) throw failure("sum needs numbers");
        if (v.is(k::floating) || total.is(k::floating))
            total = value::floating(total.as_float() + v.as_float());
        else {
            std::int64_t r;
            if (__builtin_add_overflow(total.as_int(), v.as_int(), &r)) throw failure("integer overflow");
            total = value::integer(r);
        }
    }
    return total;
}

value f_wordcount(const builtin_env&, const value& input, const call_args&) {
    std::int64_t n = 0;
    bool in_word = false;
    for (unsigned char c : as_text(input)) {
        const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
        if (word && !in_word) ++n;
        in_word = word;
    }
    return value::integer(n);
}

value f_capitalize(const builtin_env&, const value& input, const call_args&) { return value::string(py_capitalize(as_text(input))); }
// Jinja's title is not str.title(): words start only after whitespace, '-', '(', '{', '[' or '<'
// (so "they're" stays "They're").
value f_title(const builtin_env&, const value& input, const call_args&) {
    std::u32string text = decode_utf8(as_text(input));
    bool word_start = true;
    for (auto& c : text) {
        const bool separator = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || is_py_space(c);
        if (!separator) c = word_start ? upper_char(c) : lower_char(c);
        word_start = separator;
    }
    return value::string(encode_utf8(text));
}

value f_attr(const builtin_env& env, const value& input, const call_args& a) {
    const value* name = opt(a, 0, "name");
    if (!name) throw failure("attr needs a name");
    return get_attribute(env, input, as_text(*name));
}

struct named_filter {
    const char* name;
    filter_function fn;
};

const named_filter filters[] = {
    {"tojson", f_tojson},       {"length", f_length},     {"count", f_length},         {"trim", f_trim},
    {"string", f_string},       {"items", f_items},       {"default", f_default},      {"d", f_default},
    {"join", f_join},           {"list", f_list},         {"dictsort", f_dictsort},    {"lower", f_lower},
    {"upper", f_upper},         {"safe", f_safe},         {"replace", f_replace},      {"map", f_map},
    {"select", f_select},       {"reject", f_reject},     {"selectattr", f_selectattr}, {"rejectattr", f_rejectattr},
    {"indent", f_indent},       {"int", f_int},           {"float", f_float},          {"min", f_min},
    {"max", f_max},             {"first", f_first},       {"last", f_last},            {"unique", f_unique},
    {"sort", f_sort},           {"reverse", f_reverse},   {"abs", f_abs},              {"round", f_round},
    {"sum", f_sum},             {"wordcount", f_wordcount}, {"capitalize", f_capitalize}, {"title", f_title},
    {"attr", f_attr},
};

}  // namespace

filter_function find_filter(std::string_view name) {
    for (const auto& f : filters)
        if (name == f.name) return f.fn;
    return nullptr;
}

}  // namespace plinth::jinja
