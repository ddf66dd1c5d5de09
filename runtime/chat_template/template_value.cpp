// Python's semantics for the template values: truthiness, ==, ordering, `in`, str() and repr().
#include "template_value.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>

namespace plinth::jinja {

const value* dict_items::find(const value& key) const {
    for (const auto& [k, v] : entries)
        if (equals(k, key)) return &v;
    return nullptr;
}

void dict_items::set(value key, value item) {
    for (auto& [k, v] : entries)
        if (equals(k, key)) {
            v = std::move(item);
            return;
        }
    entries.emplace_back(std::move(key), std::move(item));
}

const value* call_args::get(std::size_t position, const char* name) const {
    if (position < positional.size()) return &positional[position];
    for (const auto& [n, v] : named)
        if (n == name) return &v;
    return nullptr;
}

value value::undefined(std::string hint) {
    value v;
    v.text_ = std::make_shared<const std::string>(std::move(hint));
    return v;
}
value value::none() {
    value v;
    v.kind_ = kind::none;
    return v;
}
value value::boolean(bool b) {
    value v;
    v.kind_ = kind::boolean;
    v.bool_ = b;
    return v;
}
value value::integer(std::int64_t i) {
    value v;
    v.kind_ = kind::integer;
    v.int_ = i;
    return v;
}
value value::floating(double f) {
    value v;
    v.kind_ = kind::floating;
    v.float_ = f;
    return v;
}
value value::string(std::string s) {
    value v;
    v.kind_ = kind::string;
    v.text_ = std::make_shared<const std::string>(std::move(s));
    return v;
}
value value::markup(std::string s) {
    value v = string(std::move(s));
    v.markup_ = true;
    return v;
}
value value::list(list_items items, bool tuple) {
    value v;
    for (const auto& item : items) v.depth_ = std::max<std::uint16_t>(v.depth_, static_cast<std::uint16_t>(item.depth_ + 1));
    if (v.depth_ > max_nesting) throw failure("values nested too deeply");
    v.kind_ = kind::list;
    v.tuple_ = tuple;
    v.list_ = std::make_shared<const list_items>(std::move(items));
    return v;
}
value value::dict(dict_items items) {
    value v;
    for (const auto& entry : items.entries)
        v.depth_ = std::max<std::uint16_t>(v.depth_, static_cast<std::uint16_t>(std::max(entry.first.depth_, entry.second.depth_) + 1));
    if (v.depth_ > max_nesting) throw failure("values nested too deeply");
    v.kind_ = kind::dict;
    v.dict_ = std::make_shared<const dict_items>(std::move(items));
    return v;
}
value value::make_namespace(dict_items items) {
    value v;
    v.kind_ = kind::namespace_object;
    v.namespace_ = std::make_shared<dict_items>(std::move(items));
    v.dict_ = v.namespace_;
    return v;
}
value value::function(std::string name, native_function fn) {
    value v;
    v.kind_ = kind::function;
    v.text_ = std::make_shared<const std::string>(std::move(name));
    v.function_ = std::make_shared<const native_function>(std::move(fn));
    return v;
}

bool truthy(const value& v) {
    switch (v.type()) {
        case value::kind::undefined:
        case value::kind::none: return false;
        case value::kind::boolean: return v.as_bool();
        case value::kind::integer: return v.as_int() != 0;
        case value::kind::floating: return v.as_float() != 0.0;
        case value::kind::string: return !v.as_string().empty();
        case value::kind::list: return !v.as_list().empty();
        case value::kind::dict: return !v.as_dict().entries.empty();
        case value::kind::namespace_object:
        case value::kind::function: return true;
    }
    return false;
}

bool equals(const value& a, const value& b) {
    using k = value::kind;
    if (a.is_number() && b.is_number()) {
        if (a.is(k::floating) || b.is(k::floating)) return a.as_float() == b.as_float();
        return a.as_int() == b.as_int();
    }
    if (a.type() != b.type()) return false;
    switch (a.type()) {
        case k::undefined:
        case k::none: return true;
        case k::string: return a.as_string() == b.as_string();
        case k::list: {
            const auto &x = a.as_list(), &y = b.as_list();
            if (x.size() != y.size() || a.is_tuple() != b.is_tuple()) return false;
            for (std::size_t i = 0; i < x.size(); ++i)
                if (!equals(x[i], y[i])) return false;
            return true;
        }
        case k::dict: {
            const auto &x = a.as_dict(), &y = b.as_dict();
            if (x.entries.size() != y.entries.size()) return false;
            for (const auto& [key, item] : x.entries) {
                const value* other = y.find(key);
                if (!other || !equals(item, *other)) return false;
            }
            return true;
        }
        case k::namespace_object: return &a.namespace_items() == &b.namespace_items();
        case k::function: return &a.as_function() == &b.as_function();
        default: return false;
    }
}

int compare(const value& a, const value& b) {
    using k = value::kind;
    if (a.is_number() && b.is_number()) {
        if (a.is(k::floating) || b.is(k::floating)) {
            const double x = a.as_float(), y = b.as_float();
            return x < y ? -1 : (x > y ? 1 : 0);
        }
        const auto x = a.as_int(), y = b.as_int();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (a.is(k::string) && b.is(k::string)) {
        const int c = a.as_string().compare(b.as_string());  // UTF-8 byte order is code point order
        return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    if (a.is(k::list) && b.is(k::list) && a.is_tuple() == b.is_tuple()) {
        const auto &x = a.as_list(), &y = b.as_list();
        for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
            if (!equals(x[i], y[i])) return compare(x[i], y[i]);
        return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
    }
    throw failure("'<' not supported between instances of '" + type_name(a) + "' and '" + type_name(b) + "'");
}

bool contains(const value& container, const value& item) {
    switch (container.type()) {
        case value::kind::undefined: return false;
        case value::kind::string:
            if (!item.is(value::kind::string))
                throw failure("'in <string>' requires string as left operand, not " + type_name(item));
            return container.as_string().find(item.as_string()) != std::string::npos;
        case value::kind::list:
            for (const auto& x : container.as_list())
                if (equals(x, item)) return true;
            return false;
        case value::kind::dict:
        case value::kind::namespace_object: return container.as_dict().find(item) != nullptr;
        default: throw failure("argument of type '" + type_name(container) + "' is not iterable");
    }
}

std::string float_repr(double f) {
    if (std::isnan(f)) return "nan";
    if (std::isinf(f)) return f < 0 ? "-inf" : "inf";
    // The shortest digits that round-trip, laid out as Python's repr does: positional for
    // exponents in [-4, 16), scientific otherwise, always with a '.0' or an exponent.
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    std::string sci(buf, res.ptr);
    const auto e_pos = sci.find('e');
    const int exponent = std::stoi(sci.substr(e_pos + 1));
    std::string mantissa = sci.substr(0, e_pos);
    const bool negative = mantissa[0] == '-';
    if (negative) mantissa.erase(0, 1);
    std::string digits;
    for (char c : mantissa)
        if (c != '.') digits += c;
    std::string out;
    if (exponent >= -4 && exponent < 16) {
        if (exponent < 0) {
            out = "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
        } else if (static_cast<std::size_t>(exponent) + 1 >= digits.size()) {
            out = digits + std::string(static_cast<std::size_t>(exponent) + 1 - digits.size(), '0') + ".0";
        } else {
            out = digits.substr(0, static_cast<std::size_t>(exponent) + 1) + "." + digits.substr(static_cast<std::size_t>(exponent) + 1);
        }
    } else {
        out = digits.substr(0, 1);
        if (digits.size() > 1) out += "." + digits.substr(1);
        char e[16];
        std::snprintf(e, sizeof e, "e%c%02d", exponent < 0 ? '-' : '+', exponent < 0 ? -exponent : exponent);
        out += e;
    }
    return negative ? "-" + out : out;
}

std::string html_escape(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&#34;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

namespace {

std::string repr_string(const std::string& s) {
    const bool has_single = s.find('\'') != std::string::npos, has_double = s.find('"') != std::string::npos;
    const char quote = has_single && !has_double ? '"' : '\'';
    std::string out(1, quote);
    for (unsigned char c : s) {
        if (c == static_cast<unsigned char>(quote) || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    out += quote;
    return out;
}

}  // namespace

std::string to_str(const value& v) {
    switch (v.type()) {
        case value::kind::undefined: return "";
        case value::kind::string: return v.as_string();
        default: return repr(v);
    }
}

namespace {

thread_local std::size_t text_limit = SIZE_MAX;

void grow_check(const std::string& out) {
    if (out.size() > text_limit) throw failure("string too long (render_options.max_output_bytes)");
}

void repr_into(std::string& out, const value& v) {
    switch (v.type()) {
        case value::kind::string: out += repr_string(v.as_string()); break;
        case value::kind::list: {
            out += v.is_tuple() ? "(" : "[";
            const auto& items = v.as_list();
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (i) out += ", ";
                repr_into(out, items[i]);
            }
            if (v.is_tuple() && items.size() == 1) out += ",";
            out += v.is_tuple() ? ")" : "]";
            break;
        }
        case value::kind::dict: {
            out += "{";
            bool first = true;
            for (const auto& [k, item] : v.as_dict().entries) {
                if (!first) out += ", ";
                repr_into(out, k);
                out += ": ";
                repr_into(out, item);
                first = false;
            }
            out += "}";
            break;
        }
        case value::kind::undefined: break;
        case value::kind::none: out += "None"; break;
        case value::kind::boolean: out += v.as_bool() ? "True" : "False"; break;
        case value::kind::integer: out += std::to_string(v.as_int()); break;
        case value::kind::floating: out += float_repr(v.as_float()); break;
        case value::kind::namespace_object: out += "<Namespace>"; break;
        case value::kind::function: out += "<function " + v.function_name() + ">"; break;
    }
    grow_check(out);
}

}  // namespace

text_limit_scope::text_limit_scope(std::size_t limit) : saved_(text_limit) { text_limit = limit; }
text_limit_scope::~text_limit_scope() { text_limit = saved_; }
std::size_t current_text_limit() { return text_limit; }

std::string repr(const value& v) {
    std::string out;
    repr_into(out, v);
    return out;
}

std::string type_name(const value& v) {
    switch (v.type()) {
        case value::kind::undefined: return "Undefined";
        case value::kind::none: return "NoneType";
        case value::kind::boolean: return "bool";
        case value::kind::integer: return "int";
        case value::kind::floating: return "float";
        case value::kind::string: return "str";
        case value::kind::list: return v.is_tuple() ? "tuple" : "list";
        case value::kind::dict: return "dict";
        case value::kind::namespace_object: return "Namespace";
        case value::kind::function: return "function";
    }
    return "object";
}

std::u32string decode_utf8(const std::string& s) {
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const int extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
        if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size()) {
            out += static_cast<char32_t>(c);  // a stray byte stands for itself
            ++i;
            continue;
        }
        char32_t cp = extra == 0 ? c : (c & (0x3f >> extra));
        bool ok = true;
        for (int k = 1; k <= extra; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
            if ((cc & 0xc0) != 0x80) ok = false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if (!ok) {
            out += static_cast<char32_t>(c);
            ++i;
            continue;
        }
        out += cp;
        i += static_cast<std::size_t>(extra) + 1;
    }
    return out;
}

std::string encode_utf8(const std::u32string& s) {
    std::string out;
    out.reserve(s.size());
    for (char32_t cp : s) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xc0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xe0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            out += static_cast<char>(0xf0 | ((cp >> 18) & 0x07));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        }
    }
    return out;
}

std::size_t codepoint_count(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xc0) != 0x80;
    return n;
}

list_items iterate(const value& v) {
    switch (v.type()) {
        case value::kind::undefined: return {};
        case value::kind::list: return v.as_list();
        case value::kind::dict:
        case value::kind::namespace_object: {
            list_items keys;
            for (const auto& entry : v.as_dict().entries) keys.push_back(entry.first);
            return keys;
        }
        case value::kind::string: {
            if (v.as_string().size() > (std::size_t{1} << 20)) throw failure("string too long to iterate over its characters");
            list_items chars;
            for (char32_t cp : decode_utf8(v.as_string())) chars.push_back(value::string(encode_utf8(std::u32string(1, cp))));
            return chars;
        }
        default: throw failure("'" + type_name(v) + "' object is not iterable");
    }
}

}  // namespace plinth::jinja
