// Attribute, item and slice access, and the Python methods of str, dict and list that the
// immutable sandbox allows (a mutating method raises when called).
#include "template_builtins.hpp"

#include <algorithm>

namespace plinth::jinja {

bool is_py_space(char32_t c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

namespace {

std::string string_arg(const call_args& args, std::size_t position, const char* name) {
    const value* v = args.get(position, name);
    if (!v || !v->is(value::kind::string)) throw failure(std::string("expected a string argument '") + name + "'");
    return v->as_string();
}

std::vector<std::string> py_split(const std::string& s, const value* sep, std::int64_t maxsplit) {
    std::vector<std::string> parts;
    if (!sep || sep->is(value::kind::none)) {
        std::size_t i = 0;
        while (i < s.size()) {
            while (i < s.size() && is_py_space(static_cast<unsigned char>(s[i]))) ++i;
            if (i >= s.size()) break;
            if (maxsplit >= 0 && static_cast<std::int64_t>(parts.size()) == maxsplit) {
                std::size_t end = s.size();
                while (end > i && is_py_space(static_cast<unsigned char>(s[end - 1]))) --end;
                parts.push_back(s.substr(i, end - i));
                break;
            }
            std::size_t j = i;
            while (j < s.size() && !is_py_space(static_cast<unsigned char>(s[j]))) ++j;
            parts.push_back(s.substr(i, j - i));
            i = j;
        }
        return parts;
    }
    if (!sep->is(value::kind::string)) throw failure("must be str or None, not " + type_name(*sep));
    const std::string& d = sep->as_string();
    if (d.empty()) throw failure("empty separator");
    std::size_t start = 0;
    for (;;) {
        if (maxsplit >= 0 && static_cast<std::int64_t>(parts.size()) == maxsplit) break;
        const std::size_t found = s.find(d, start);
        if (found == std::string::npos) break;
        parts.push_back(s.substr(start, found - start));
        start = found + d.size();
    }
    parts.push_back(s.substr(start));
    return parts;
}

std::vector<std::string> py_rsplit(const std::string& s, const value* sep, std::int64_t maxsplit) {
    if (maxsplit < 0) return py_split(s, sep, maxsplit);
    if (!sep || sep->is(value::kind::none)) throw failure("rsplit() without a separator is not supported");
    if (!sep->is(value::kind::string)) throw failure("must be str or None, not " + type_name(*sep));
    const std::string& d = sep->as_string();
    if (d.empty()) throw failure("empty separator");
    std::vector<std::string> parts;
    std::size_t end = s.size();
    while (static_cast<std::int64_t>(parts.size()) < maxsplit) {
        if (end < d.size()) break;
        const std::size_t found = s.rfind(d, end - d.size());
        if (found == std::string::npos) break;
        parts.push_back(s.substr(found + d.size(), end - found - d.size()));
        end = found;
    }
    parts.push_back(s.substr(0, end));
    std::reverse(parts.begin(), parts.end());
    return parts;
}

value string_list(const std::vector<std::string>& parts) {
    list_items items;
    for (const auto& p : parts) items.push_back(value::string(p));
    return value::list(std::move(items));
}

bool matches_affix(const std::string& s, const value& affix, bool prefix) {
    auto one = [&](const value& a) {
        if (!a.is(value::kind::string)) throw failure("startswith/endswith takes a str or a tuple of str");
        const std::string& x = a.as_string();
        if (x.size() > s.size()) return false;
        return prefix ? s.compare(0, x.size(), x) == 0 : s.compare(s.size() - x.size(), x.size(), x) == 0;
    };
    if (affix.is(value::kind::list)) return std::any_of(affix.as_list().begin(), affix.as_list().end(), one);
    return one(affix);
}

// str.format with automatic ('{}'), numbered ('{0}') and named ('{name}') fields.
std::string py_format(const std::string& fmt, const call_args& args) {
    std::string out;
    std::size_t next_auto = 0;
    for (std::size_t i = 0; i < fmt.size(); ++i) {
        const char c = fmt[i];
        if (c == '{' && i + 1 < fmt.size() && fmt[i + 1] == '{') {
            out += '{';
            ++i;
        } else if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') {
            out += '}';
            ++i;
        } else if (c == '{') {
            const std::size_t close = fmt.find('}', i);
            if (close == std::string::npos) throw failure("Single '{' encountered in format string");
            const std::string field = fmt.substr(i + 1, close - i - 1);
            if (field.find_first_of(":!") != std::string::npos) throw failure("format specifications are not supported");
            const value* v = nullptr;
            if (field.empty()) {
                v = next_auto < args.positional.size() ? &args.positional[next_auto] : nullptr;
                ++next_auto;
            } else if (std::all_of(field.begin(), field.end(), [](char d) { return d >= '0' && d <= '9'; })) {
                const auto index = std::stoul(field);
                v = index < args.positional.size() ? &args.positional[index] : nullptr;
            } else {
                for (const auto& [n, x] : args.named)
                    if (n == field) v = &x;
            }
            if (!v) throw failure("Replacement index " + field + " out of range for positional args tuple");
            out += to_str(*v);
            i = close;
        } else if (c == '}') {
            throw failure("Single '}' encountered in format string");
        } else {
            out += c;
        }
    }
    return out;
}

std::int64_t int_arg(const call_args& args, std::size_t position, const char* name, std::int64_t fallback) {
    const value* v = args.get(position, name);
    if (!v || v->is(value::kind::none)) return fallback;
    if (!v->is(value::kind::integer) && !v->is(value::kind::boolean)) throw failure(std::string("expected an integer '") + name + "'");
    return v->as_int();
}

value string_method(const builtin_env& env, const std::string& s, const std::string& name) {
    auto bind = [&](auto body) {
        return value::function(name, [s, env, body](const call_args& args) -> value { return body(s, env, args); });
    };
    if (name == "split" || name == "rsplit") {
        const bool right = name == "rsplit";
        return bind([right](const std::string& self, const builtin_env&, const call_args& args) {
            const value* sep = args.get(0, "sep");
            const std::int64_t maxsplit = int_arg(args, 1, "maxsplit", -1);
            return string_list(right ? py_rsplit(self, sep, maxsplit) : py_split(self, sep, maxsplit));
        });
    }
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
        const bool left = name != "rstrip", right = name != "lstrip";
        return bind([left, right](const std::string& self, const builtin_env&, const call_args& args) {
            return value::string(py_strip(self, args.get(0, "chars"), left, right));
        });
    }
    if (name == "startswith" || name == "endswith") {
        const bool prefix = name == "startswith";
        return bind([prefix](const std::string& self, const builtin_env&, const call_args& args) {
            const value* affix = args.get(0, "prefix");
            if (!affix) throw failure("startswith/endswith takes exactly one argument");
            return value::boolean(matches_affix(self, *affix, prefix));
        });
    }
    if (name == "replace")
        return bind([](const std::string& self, const builtin_env& e, const call_args& args) {
            return value::string(py_replace(e, self, string_arg(args, 0, "old"), string_arg(args, 1, "new"), int_arg(args, 2, "count", -1)));
        });
    if (name == "format")
        return bind([](const std::string& self, const builtin_env&, const call_args& args) { return value::string(py_format(self, args)); });
    if (name == "upper" || name == "lower")
        return bind([upper = name == "upper"](const std::string& self, const builtin_env&, const call_args&) {
            return value::string(upper ? py_upper(self) : py_lower(self));
        });
    if (name == "title" || name == "capitalize")
        return bind([title = name == "title"](const std::string& self, const builtin_env&, const call_args&) {
            return value::string(title ? py_title(self) : py_capitalize(self));
        });
    if (name == "find" || name == "count")
        return bind([find = name == "find"](const std::string& self, const builtin_env&, const call_args& args) {
            const std::string needle = string_arg(args, 0, "sub");
            if (find) {
                const auto at = self.find(needle);
                return value::integer(at == std::string::npos ? -1 : static_cast<std::int64_t>(codepoint_count(self.substr(0, at))));
            }
            if (needle.empty()) return value::integer(static_cast<std::int64_t>(codepoint_count(self)) + 1);
            std::int64_t n = 0;
            for (auto at = self.find(needle); at != std::string::npos; at = self.find(needle, at + needle.size())) ++n;
            return value::integer(n);
        });
    if (name == "join")
        return bind([](const std::string& self, const builtin_env& e, const call_args& args) {
            const value* items = args.get(0, "iterable");
            if (!items) throw failure("join() takes exactly one argument");
            std::string out;
            bool first = true;
            for (const auto& item : iterate(*items)) {
                if (!item.is(value::kind::string)) throw failure("sequence item: expected str instance, " + type_name(item) + " found");
                if (!first) out += self;
                out += item.as_string();
                first = false;
                if (out.size() > e.max_size) throw failure("string too long");
            }
            return value::string(out);
        });
    if (name == "isdigit" || name == "isalpha" || name == "isspace" || name == "islower" || name == "isupper")
        return bind([name](const std::string& self, const builtin_env&, const call_args&) {
            if (self.empty()) return value::boolean(false);
            bool cased = false, ok = true;
            for (char c : self) {
                const bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
                cased = cased || lower || upper;
                if (name == "isdigit") ok = ok && c >= '0' && c <= '9';
                if (name == "isalpha") ok = ok && (lower || upper);
                if (name == "isspace") ok = ok && is_py_space(static_cast<unsigned char>(c));
                if (name == "islower") ok = ok && !upper;
                if (name == "isupper") ok = ok && !lower;
            }
            return value::boolean(ok && (name == "islower" || name == "isupper" ? cased : true));
        });
    return value::undefined("'str object' has no attribute '" + name + "'");
}

value unsafe_method(const std::string& type, const std::string& name) {
    return value::function(name, [type, name](const call_args&) -> value {
        throw failure("access to attribute '" + name + "' of '" + type + "' object is unsafe.");
    });
}

value dict_method(const value& self, const std::string& name) {
    if (name == "items" || name == "keys" || name == "values") {
        return value::function(name, [self, name](const call_args&) {
            list_items out;
            for (const auto& [k, v] : self.as_dict().entries) {
                if (name == "items")
                    out.push_back(value::list({k, v}, true));
                else
                    out.push_back(name == "keys" ? k : v);
            }
            return value::list(std::move(out));
        });
    }
    if (name == "get")
        return value::function(name, [self](const call_args& args) {
            const value* key = args.get(0, "key");
            if (!key) throw failure("get expected at least 1 argument, got 0");
            const value* found = self.as_dict().find(*key);
            if (found) return *found;
            const value* fallback = args.get(1, "default");
            return fallback ? *fallback : value::none();
        });
    if (name == "copy") return value::function(name, [self](const call_args&) { return value::dict(self.as_dict()); });
    if (name == "pop" || name == "popitem" || name == "update" || name == "setdefault" || name == "clear")
        return unsafe_method("dict", name);
    return {};
}

value list_method(const value& self, const std::string& name) {
    if (name == "index" || name == "count")
        return value::function(name, [self, name](const call_args& args) {
            const value* x = args.get(0, "value");
            if (!x) throw failure(name + "() takes exactly one argument");
            std::int64_t n = 0;
            const auto& items = self.as_list();
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (!equals(items[i], *x)) continue;
                if (name == "index") return value::integer(static_cast<std::int64_t>(i));
                ++n;
            }
            if (name == "index") throw failure(repr(*x) + " is not in list");
            return value::integer(n);
        });
    if (name == "append" || name == "pop" || name == "insert" || name == "extend" || name == "remove" || name == "sort" ||
        name == "reverse" || name == "clear")
        return unsafe_method(self.is_tuple() ? "tuple" : "list", name);
    return {};
}

std::string object_name(const value& v) {
    if (v.is(value::kind::none)) return "None";
    return type_name(v) + " object";
}

}  // namespace

std::string py_strip(const std::string& s, const value* chars, bool left, bool right) {
    const std::u32string text = decode_utf8(s);
    std::u32string set;
    const bool whitespace = !chars || chars->is(value::kind::none) || chars->is_undefined();
    if (!whitespace) {
        if (!chars->is(value::kind::string)) throw failure("strip arg must be None or str");
        set = decode_utf8(chars->as_string());
    }
    auto strip_it = [&](char32_t c) { return whitespace ? is_py_space(c) : set.find(c) != std::u32string::npos; };
    std::size_t b = 0, e = text.size();
    if (left)
        while (b < e && strip_it(text[b])) ++b;
    if (right)
        while (e > b && strip_it(text[e - 1])) --e;
    return encode_utf8(text.substr(b, e - b));
}

// Simple case mapping for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic; other scripts
// are left as they are.
char32_t lower_char(char32_t c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7) || (c >= 0x391 && c <= 0x3ab && c != 0x3a2) ||
        (c >= 0x410 && c <= 0x42f))
        return c + 32;
    if (c >= 0x400 && c <= 0x40f) return c + 80;
    if (c >= 0x100 && c <= 0x17f && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x178 && c != 0x17f) {
        const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e);
        if ((c % 2 == 1) == odd_upper) return c + 1;
    }
    return c;
}

char32_t upper_char(char32_t c) {
    if ((c >= 'a' && c <= 'z') || (c >= 0xe0 && c <= 0xfe && c != 0xf7) || (c >= 0x3b1 && c <= 0x3cb && c != 0x3c2) ||
        (c >= 0x430 && c <= 0x44f))
        return c - 32;
    if (c >= 0x450 && c <= 0x45f) return c - 80;
    if (c >= 0x100 && c <= 0x17f && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x178 && c != 0x17f) {
        const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e);
        if ((c % 2 == 1) != odd_upper) return c - 1;
    }
    return c;
}

namespace {

std::string map_case(const std::string& s, char32_t (*f)(char32_t)) {
    bool ascii = true;
    for (unsigned char c : s) ascii = ascii && c < 0x80;
    if (ascii) {
        std::string out = s;
        for (auto& c : out) c = static_cast<char>(f(static_cast<unsigned char>(c)));
        return out;
    }
    std::u32string text = decode_utf8(s);
    for (auto& c : text) c = f(c);
    return encode_utf8(text);
}

}  // namespace

std::string py_lower(const std::string& s) { return map_case(s, lower_char); }
std::string py_upper(const std::string& s) { return map_case(s, upper_char); }

std::string py_title(const std::string& s) {
    std::u32string text = decode_utf8(s);
    bool word_start = true;
    for (auto& c : text) {
        const bool cased = lower_char(c) != c || upper_char(c) != c;
        c = word_start ? upper_char(c) : lower_char(c);
        word_start = !cased;
    }
    return encode_utf8(text);
}

std::string py_capitalize(const std::string& s) {
    std::u32string text = decode_utf8(py_lower(s));
    if (!text.empty()) text[0] = upper_char(text[0]);
    return encode_utf8(text);
}

std::string py_replace(const builtin_env& env, const std::string& s, const std::string& from, const std::string& to, std::int64_t count) {
    std::string out;
    std::int64_t done = 0;
    auto grow = [&](const std::string& piece) {
        out += piece;
        if (out.size() > env.max_size) throw failure("string too long");
    };
    if (from.empty()) {
        const std::u32string chars = decode_utf8(s);
        for (std::size_t i = 0; i <= chars.size(); ++i) {
            if (count < 0 || done < count) {
                grow(to);
                ++done;
            }
            if (i < chars.size()) grow(encode_utf8(chars.substr(i, 1)));
        }
        return out;
    }
    std::size_t start = 0;
    for (;;) {
        const std::size_t at = (count >= 0 && done >= count) ? std::string::npos : s.find(from, start);
        if (at == std::string::npos) break;
        grow(s.substr(start, at - start));
        grow(to);
        ++done;
        start = at + from.size();
    }
    grow(s.substr(start));
    return out;
}

value get_attribute(const builtin_env& env, const value& obj, const std::string& name) {
    switch (obj.type()) {
        case value::kind::undefined: throw failure(obj.as_string().empty() ? "undefined value has no attribute '" + name + "'" : obj.as_string());
        case value::kind::string: return string_method(env, obj.as_string(), name);
        case value::kind::dict: {
            if (value m = dict_method(obj, name); !m.is_undefined()) return m;
            if (const value* found = obj.as_dict().find(value::string(name))) return *found;
            break;
        }
        case value::kind::namespace_object:
            if (const value* found = obj.as_dict().find(value::string(name))) return *found;
            break;
        case value::kind::list:
            if (value m = list_method(obj, name); !m.is_undefined()) return m;
            break;
        default: break;
    }
    return value::undefined("'" + object_name(obj) + "' has no attribute '" + name + "'");
}

value get_item(const builtin_env& env, const value& obj, const value& key) {
    switch (obj.type()) {
        case value::kind::undefined: throw failure(obj.as_string().empty() ? "undefined value has no item" : obj.as_string());
        case value::kind::dict:
        case value::kind::namespace_object:
            if (const value* found = obj.as_dict().find(key)) return *found;
            break;
        case value::kind::list:
        case value::kind::string:
            if (key.is(value::kind::integer) || key.is(value::kind::boolean)) {
                std::int64_t i = key.as_int();
                if (obj.is(value::kind::list)) {
                    const auto n = static_cast<std::int64_t>(obj.as_list().size());
                    if (i < 0) i += n;
                    if (i >= 0 && i < n) return obj.as_list()[static_cast<std::size_t>(i)];
                } else {
                    const std::u32string chars = decode_utf8(obj.as_string());
                    const auto n = static_cast<std::int64_t>(chars.size());
                    if (i < 0) i += n;
                    if (i >= 0 && i < n) return value::string(encode_utf8(chars.substr(static_cast<std::size_t>(i), 1)));
                }
                return value::undefined("'" + object_name(obj) + "' has no element " + std::to_string(key.as_int()));
            }
            break;
        default: break;
    }
    if (key.is(value::kind::string)) return get_attribute(env, obj, key.as_string());
    return value::undefined("'" + object_name(obj) + "' has no element " + repr(key));
}

value get_slice(const value& obj, std::optional<std::int64_t> start, std::optional<std::int64_t> stop, std::optional<std::int64_t> step) {
    const std::int64_t s = step.value_or(1);
    if (s == 0) throw failure("slice step cannot be zero");
    auto pick = [&](auto n, auto emit) {
        // Python's slice.indices(): clamp the bounds into the sequence.
        auto clamp = [&](std::optional<std::int64_t> v, std::int64_t fallback) {
            if (!v) return fallback;
            std::int64_t x = *v;
            if (x < 0) x += n;
            if (s > 0) return std::clamp<std::int64_t>(x, 0, n);
            return std::clamp<std::int64_t>(x, -1, n - 1);
        };
        const std::int64_t b = clamp(start, s > 0 ? 0 : n - 1), e = clamp(stop, s > 0 ? n : -1);
        for (std::int64_t i = b; s > 0 ? i < e : i > e; i += s) emit(static_cast<std::size_t>(i));
    };
    if (obj.is(value::kind::list)) {
        list_items out;
        const auto& items = obj.as_list();
        pick(static_cast<std::int64_t>(items.size()), [&](std::size_t i) { out.push_back(items[i]); });
        return value::list(std::move(out), obj.is_tuple());
    }
    if (obj.is(value::kind::string)) {
        const std::u32string chars = decode_utf8(obj.as_string());
        std::u32string out;
        pick(static_cast<std::int64_t>(chars.size()), [&](std::size_t i) { out += chars[i]; });
        return value::string(encode_utf8(out));
    }
    if (obj.is_undefined()) throw failure(obj.as_string().empty() ? "undefined value cannot be sliced" : obj.as_string());
    throw failure("'" + type_name(obj) + "' object is not subscriptable");
}

}  // namespace plinth::jinja
