// JSON conversions with Python's json module's exact text: key order kept, floats as repr().
#include "template_json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace plinth::jinja {

value from_json(const nlohmann::ordered_json& j) {
    switch (j.type()) {
        case nlohmann::ordered_json::value_t::null: return value::none();
        case nlohmann::ordered_json::value_t::boolean: return value::boolean(j.get<bool>());
        case nlohmann::ordered_json::value_t::number_integer: return value::integer(j.get<std::int64_t>());
        case nlohmann::ordered_json::value_t::number_unsigned: {
            const auto u = j.get<std::uint64_t>();
            if (u > static_cast<std::uint64_t>(INT64_MAX)) return value::floating(static_cast<double>(u));
            return value::integer(static_cast<std::int64_t>(u));
        }
        case nlohmann::ordered_json::value_t::number_float: return value::floating(j.get<double>());
        case nlohmann::ordered_json::value_t::string: return value::string(j.get<std::string>());
        case nlohmann::ordered_json::value_t::array: {
            list_items items;
            items.reserve(j.size());
            for (const auto& item : j) items.push_back(from_json(item));
            return value::list(std::move(items));
        }
        case nlohmann::ordered_json::value_t::object: {
            dict_items items;
            for (const auto& [k, item] : j.items()) items.entries.emplace_back(value::string(k), from_json(item));
            return value::dict(std::move(items));
        }
        default: return value::none();
    }
}

namespace {

// One byte below 0x80 as Python's json.dumps writes it. With ensure_ascii it also escapes DEL
// (its pattern is "not printable ASCII"); without, only the control characters below 0x20.
void write_string_byte(std::string& out, char c, bool escape_del) {
    switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 || (escape_del && c == 0x7f)) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
                out += buf;
            } else {
                out += c;
            }
    }
}

void write_string(std::string& out, const std::string& s, bool ensure_ascii) {
    out += '"';
    if (ensure_ascii) {
        for (char32_t cp : decode_utf8(s)) {
            if (cp < 0x80) {
                write_string_byte(out, static_cast<char>(cp), true);
                continue;
            }
            char buf[16];
            if (cp >= 0x10000) {
                const char32_t v = cp - 0x10000;
                std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", static_cast<unsigned>(0xd800 + (v >> 10)), static_cast<unsigned>(0xdc00 + (v & 0x3ff)));
            } else {
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
            }
            out += buf;
        }
    } else {
        for (char c : s) write_string_byte(out, c, false);
    }
    out += '"';
}

std::string number_text(const value& v) {
    if (v.is(value::kind::boolean)) return v.as_bool() ? "true" : "false";
    if (v.is(value::kind::integer)) return std::to_string(v.as_int());
    const double f = v.as_float();
    if (std::isnan(f)) return "NaN";
    if (std::isinf(f)) return f < 0 ? "-Infinity" : "Infinity";
    return float_repr(f);
}

// json.dumps turns non-string keys into strings.
std::string key_text(const value& k) {
    switch (k.type()) {
        case value::kind::string: return k.as_string();
        case value::kind::none: return "null";
        case value::kind::boolean:
        case value::kind::integer:
        case value::kind::floating: return number_text(k);
        default: throw failure("keys must be str, int, float, bool or None, not " + type_name(k));
    }
}

void write(std::string& out, const value& v, const dump_options& o, int level) {
    auto newline = [&](int lvl) {
        if (!o.indent) return;
        out += '\n';
        for (int i = 0; i < lvl; ++i) out += *o.indent;
    };
    if (out.size() > current_text_limit()) throw failure("string too long (render_options.max_output_bytes)");
    if (level > 500) throw failure("maximum recursion depth exceeded while encoding a JSON object");
    switch (v.type()) {
        case value::kind::none: out += "null"; return;
        case value::kind::boolean:
        case value::kind::integer:
        case value::kind::floating: out += number_text(v); return;
        case value::kind::string: write_string(out, v.as_string(), o.ensure_ascii); return;
        case value::kind::list: {
            const auto& items = v.as_list();
            if (items.empty()) {
                out += "[]";
                return;
            }
            out += '[';
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (i) out += o.item_separator;
                newline(level + 1);
                write(out, items[i], o, level + 1);
            }
            newline(level);
            out += ']';
            return;
        }
        case value::kind::dict: {
            std::vector<std::pair<std::string, const value*>> entries;
            for (const auto& [k, item] : v.as_dict().entries) entries.emplace_back(key_text(k), &item);
            if (o.sort_keys)
                std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            if (entries.empty()) {
                out += "{}";
                return;
            }
            out += '{';
            for (std::size_t i = 0; i < entries.size(); ++i) {
                if (i) out += o.item_separator;
                newline(level + 1);
                write_string(out, entries[i].first, o.ensure_ascii);
                out += o.key_separator;
                write(out, *entries[i].second, o, level + 1);
            }
            newline(level);
            out += '}';
            return;
        }
        default: throw failure("Object of type " + type_name(v) + " is not JSON serializable");
    }
}

}  // namespace

std::string to_json(const value& v, const dump_options& options) {
    std::string out;
    write(out, v, options, 0);
    return out;
}

}  // namespace plinth::jinja
