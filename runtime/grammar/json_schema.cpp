// JSON Schema -> grammar text: one rule per schema node, the JSON building blocks (strings,
// numbers, any value) as shared rules. What it generates is a subset of what the schema
// accepts (e.g. properties in declared order, bounded whitespace and digits), so every sentence
// validates; a keyword it cannot enforce is refused by name.
#include <plinth/json_schema.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <set>
#include <vector>

namespace plinth {
namespace {

using json = nlohmann::ordered_json;  // properties keep their declared order

constexpr int max_depth = 64;          // schema nesting (the converter recurses)
constexpr int64_t max_count = 10000;   // minItems, maxItems, minLength, maxLength at most

// The JSON pieces every schema grammar may use. `char` excludes control characters and \u
// escapes of lone surrogates, so one `char` is one code point (what minLength counts).
constexpr const char* base_rules = R"(ws ::= " "?
value ::= object | array | string | number | boolean | null
object ::= "{" ws ( member ( ws "," ws member )* )? ws "}"
member ::= string ws ":" ws value
array ::= "[" ws ( value ( ws "," ws value )* )? ws "]"
string ::= "\"" char* "\""
char ::= [^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" ( [0-9a-cA-CeEfF] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2} ) )
number ::= integer ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,2} )?
integer ::= "-"? ( "0" | [1-9] [0-9]{0,15} )
boolean ::= "true" | "false"
null ::= "null"
)";

// The keywords that only annotate: allowed, no effect on what is valid.
const std::set<std::string> annotations = {"title", "description", "$schema", "$id", "$comment", "default",
                                           "examples", "deprecated", "readOnly", "writeOnly", "$defs", "definitions"};
const std::set<std::string> supported = {"type", "properties", "required", "additionalProperties", "items", "minItems",
                                         "maxItems", "enum", "const", "anyOf", "oneOf", "$ref", "minLength", "maxLength",
                                         "uniqueItems"};

// A JSON value as a grammar literal.
std::string literal(const json& value) {
    const std::string text = value.dump(-1, ' ', false, json::error_handler_t::strict);
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c < 0x20) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02X", c);
            out += hex;
        } else {
            out += char(c);
        }
    }
    return out + "\"";
}

class converter {
public:
    explicit converter(const json& root) : root_(root) {}

    std::string run() {
        const std::string top = visit(root_, "#", 0);
        std::string text = "root ::= " + top + "\n" + base_rules;
        for (const auto& r : rules_) text += r + "\n";
        return text;
    }

private:
    [[noreturn]] static void fail(const std::string& keyword, const std::string& path, const std::string& why) {
        throw schema_error("json_schema: '" + keyword + "' at " + path + " " + why, keyword);
    }

    std::string add_rule(const std::string& body) {
        const std::string name = "s" + std::to_string(rules_.size());
        rules_.push_back(name + " ::= " + body);
        return name;
    }

    static int64_t count(const json& s, const char* key, const std::string& path, int64_t fallback) {
        if (!s.contains(key)) return fallback;
        const json& v = s[key];
        if (!v.is_number_integer() || v.get<int64_t>() < 0) fail(key, path, "must be a non-negative integer");
        if (v.get<int64_t>() > max_count) fail(key, path, "above " + std::to_string(max_count) + " is not supported");
        return v.get<int64_t>();
    }

    // `item` repeated min..max times (max < 0: unbounded), separated by `sep`.
    static std::string repeat(const std::string& item, const std::string& sep, int64_t min, int64_t max) {
        const std::string tail = "( " + sep + " " + item + " )";
        const auto bounds = [](int64_t lo, int64_t hi) {
            return "{" + std::to_string(lo) + "," + (hi < 0 ? std::string() : std::to_string(hi)) + "}";
        };
        if (max == 0) return "";
        if (min == 0) return "( " + item + " " + tail + bounds(0, max < 0 ? -1 : max - 1) + " )?";
        return item + " " + tail + bounds(min - 1, max < 0 ? -1 : max - 1);
    }

    std::string visit(const json& s, const std::string& path, int depth) {
        if (depth > max_depth) fail("$ref", path, "nests deeper than " + std::to_string(max_depth) + " levels");
        if (s.is_boolean()) {
            if (!s.get<bool>()) fail("false", path, "accepts nothing");
            return "value";
        }
        if (!s.is_object()) fail("schema", path, "must be an object or a boolean");
        for (const auto& [key, v] : s.items())
            if (!supported.count(key) && !annotations.count(key)) fail(key, path, "is not supported");
        if (s.contains("uniqueItems") && s["uniqueItems"] != false) fail("uniqueItems", path, "is not supported (only false)");

        if (s.contains("$ref")) {
            if (s.size() > 1)
                for (const auto& [key, v] : s.items())
                    if (key != "$ref" && !annotations.count(key)) fail(key, path, "next to $ref is not supported");
            return reference(s["$ref"], path, depth);
        }
        if (s.contains("const")) return add_rule(literal(s["const"]));
        if (s.contains("enum")) {
            const json& e = s["enum"];
            if (!e.is_array() || e.empty()) fail("enum", path, "must be a non-empty array");
            std::string body;
            for (const auto& v : e) body += (body.empty() ? "" : " | ") + literal(v);
            return add_rule(body);
        }
        for (const char* key : {"anyOf", "oneOf"}) {
            if (!s.contains(key)) continue;
            const json& alts = s[key];
            if (!alts.is_array() || alts.empty()) fail(key, path, "must be a non-empty array");
            for (const auto& [other, v] : s.items())
                if (other != key && !annotations.count(other)) fail(other, path, std::string("next to ") + key + " is not supported");
            std::string body;
            for (size_t i = 0; i < alts.size(); ++i)
                body += (i ? " | " : "") + visit(alts[i], path + "/" + key + "/" + std::to_string(i), depth + 1);
            return add_rule(body);
        }

        std::vector<std::string> types;
        if (s.contains("type")) {
            const json& t = s["type"];
            if (t.is_string()) types.push_back(t.get<std::string>());
            else if (t.is_array() && !t.empty())
                for (const auto& x : t) {
                    if (!x.is_string()) fail("type", path, "must be a string or an array of strings");
                    types.push_back(x.get<std::string>());
                }
            else fail("type", path, "must be a string or a non-empty array of strings");
        } else {
            types = {"object", "array", "string", "number", "boolean", "null"};
        }
        std::string body;
        for (const std::string& t : types) {
            std::string alt;
            if (t == "object") alt = object(s, path, depth);
            else if (t == "array") alt = array(s, path, depth);
            else if (t == "string") alt = string(s, path);
            else if (t == "number" || t == "integer" || t == "boolean" || t == "null") alt = t;
            else fail("type", path, "'" + t + "' is not a JSON Schema type");
            body += (body.empty() ? "" : " | ") + alt;
        }
        return add_rule(body);
    }

    std::string reference(const json& ref, const std::string& path, int depth) {
        if (!ref.is_string()) fail("$ref", path, "must be a string");
        const std::string r = ref.get<std::string>();
        std::string section, name;
        for (const char* prefix : {"#/$defs/", "#/definitions/"})
            if (r.rfind(prefix, 0) == 0) {
                section = std::string(prefix).substr(2, std::string(prefix).size() - 3);
                name = r.substr(std::string(prefix).size());
            }
        if (section.empty() || name.empty() || name.find('/') != std::string::npos)
            fail("$ref", path, "'" + r + "' is not supported (only #/$defs/NAME and #/definitions/NAME)");
        // JSON pointer escapes.
        std::string key;
        for (size_t i = 0; i < name.size(); ++i) {
            if (name[i] == '~' && i + 1 < name.size() && (name[i + 1] == '0' || name[i + 1] == '1')) {
                key += name[i + 1] == '0' ? '~' : '/';
                ++i;
            } else {
                key += name[i];
            }
        }
        if (const auto it = refs_.find(r); it != refs_.end()) return it->second;
        if (!root_.is_object() || !root_.contains(section) || !root_[section].is_object() || !root_[section].contains(key))
            fail("$ref", path, "'" + r + "' names no definition");
        // The rule's name first, so a recursive reference finds it; its body once visited.
        const std::string rule = "ref" + std::to_string(refs_.size());
        refs_[r] = rule;
        const std::string body = visit(root_[section][key], r, depth + 1);
        rules_.push_back(rule + " ::= " + body);
        return rule;
    }

    std::string string(const json& s, const std::string& path) {
        const int64_t min = count(s, "minLength", path, 0), max = count(s, "maxLength", path, -1);
        if (max >= 0 && max < min) fail("maxLength", path, "is below minLength");
        if (min == 0 && max < 0) return "string";
        return "\"\\\"\" char{" + std::to_string(min) + "," + (max < 0 ? std::string() : std::to_string(max)) + "} \"\\\"\"";
    }

    std::string array(const json& s, const std::string& path, int depth) {
        std::string item = "value";
        if (s.contains("items")) item = visit(s["items"], path + "/items", depth + 1);
        const int64_t min = count(s, "minItems", path, 0), max = count(s, "maxItems", path, -1);
        if (max >= 0 && max < min) fail("maxItems", path, "is below minItems");
        return "\"[\" ws " + repeat(item, "ws \",\" ws", min, max) + " ws \"]\"";
    }

    std::string object(const json& s, const std::string& path, int depth) {
        const json* props = s.contains("properties") ? &s["properties"] : nullptr;
        if (props && !props->is_object()) fail("properties", path, "must be an object");
        std::set<std::string> required;
        if (s.contains("required")) {
            if (!s["required"].is_array()) fail("required", path, "must be an array of strings");
            for (const auto& r : s["required"]) {
                if (!r.is_string()) fail("required", path, "must be an array of strings");
                if (!props || !props->contains(r.get<std::string>()))
                    fail("required", path, "names '" + r.get<std::string>() + "', which is not in properties");
                required.insert(r.get<std::string>());
            }
        }
        std::string extra;  // the schema of additional properties' values ("" when none are generated)
        if (s.contains("additionalProperties")) {
            const json& ap = s["additionalProperties"];
            if (!ap.is_boolean() && !ap.is_object()) fail("additionalProperties", path, "must be a boolean or a schema");
            // Checked even when unused, so an unsupported keyword inside is still refused.
            const std::string value = ap == false ? "" : visit(ap, path + "/additionalProperties", depth + 1);
            if (!props || props->empty()) extra = value;
        } else if (!props) {
            extra = "value";  // {"type": "object"}: any object
        }
        if (!props || props->empty()) {
            if (extra.empty()) return "\"{\" ws \"}\"";
            return "\"{\" ws " + repeat("string ws \":\" ws " + extra, "ws \",\" ws", 0, -1) + " ws \"}\"";
        }
        // Declared order; optional ones may be left out. first_i: properties i.. with none
        // written yet; next_i: properties i.. after one was written (so each needs a comma).
        std::vector<std::string> kv, names;
        std::vector<bool> needed;
        for (const auto& [name, sub] : props->items()) {
            kv.push_back(literal(json(name)) + " ws \":\" ws " + visit(sub, path + "/properties/" + name, depth + 1));
            needed.push_back(required.count(name) > 0);
        }
        const size_t n = kv.size();
        std::vector<std::string> next(n + 1), first(n + 1);
        next[n] = first[n] = "";
        for (size_t i = n; i-- > 0;) {
            const std::string with = "ws \",\" ws " + kv[i] + (next[i + 1].empty() ? "" : " " + next[i + 1]);
            next[i] = add_rule(needed[i] ? with : "( ws \",\" ws " + kv[i] + " )? " + (next[i + 1].empty() ? "" : next[i + 1]));
            const std::string start = kv[i] + (next[i + 1].empty() ? "" : " " + next[i + 1]);
            if (needed[i]) first[i] = add_rule(start);
            else first[i] = add_rule(start + (first[i + 1].empty() ? " | " : " | " + first[i + 1]));
        }
        return "\"{\" ws " + first[0] + " ws \"}\"";
    }

    const json& root_;
    std::vector<std::string> rules_;
    std::map<std::string, std::string> refs_;
};

}  // namespace

std::string json_schema_grammar(const json& schema) { return converter(schema).run(); }

std::string json_object_grammar() { return std::string("root ::= object\n") + base_rules; }

}  // namespace plinth
