// JSON Schema -> grammar: each supported keyword, by the documents the grammar accepts and
// refuses; every unsupported keyword refused by name.
#include "grammar_test_support.hpp"

#include <plinth/json_schema.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace plinth;
using json = nlohmann::ordered_json;

namespace {

std::shared_ptr<const grammar> schema(const char* text) { return test::compile(json_schema_grammar(json::parse(text))); }
bool ok(const std::shared_ptr<const grammar>& g, std::string_view doc) { return test::accepts(g, doc); }

std::string refusal(const char* text) {
    try {
        json_schema_grammar(json::parse(text));
    } catch (const schema_error& e) {
        return e.keyword() + ": " + e.what();
    }
    return "accepted";
}

}  // namespace

TEST_CASE("json schema: type", "[grammar][schema]") {
    CHECK(ok(schema(R"({"type": "string"})"), R"("hi \"there\" \u00e9")"));
    CHECK_FALSE(ok(schema(R"({"type": "string"})"), "\"a\nb\""));  // raw control characters are not JSON
    CHECK(ok(schema(R"({"type": "integer"})"), "-42"));
    CHECK_FALSE(ok(schema(R"({"type": "integer"})"), "4.2"));
    CHECK_FALSE(ok(schema(R"({"type": "integer"})"), "012"));
    CHECK(ok(schema(R"({"type": "number"})"), "4.25e-3"));
    CHECK(ok(schema(R"({"type": "boolean"})"), "false"));
    CHECK(ok(schema(R"({"type": "null"})"), "null"));
    CHECK(ok(schema(R"({"type": "array"})"), R"([1, "x", {"a": [null]}])"));
    CHECK(ok(schema(R"({"type": "object"})"), R"({"a": {"b": [true]}})"));
    const auto either = schema(R"({"type": ["string", "null"]})");
    CHECK(ok(either, "null"));
    CHECK(ok(either, "\"s\""));
    CHECK_FALSE(ok(either, "1"));
    CHECK(ok(schema("{}"), "[1]"));
    CHECK(ok(schema("true"), "\"x\""));
}

TEST_CASE("json schema: properties, required, declared order, additionalProperties", "[grammar][schema]") {
    const auto g = schema(R"({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"},
        "c": {"type": "boolean"}}, "required": ["b"], "additionalProperties": false})");
    CHECK(ok(g, R"({"b": "x"})"));
    CHECK(ok(g, R"({"a": 1, "b": "x", "c": true})"));
    CHECK(ok(g, R"({"a": 1, "b": "x"})"));
    CHECK(ok(g, R"({"b":"x","c":false})"));
    CHECK_FALSE(ok(g, R"({"a": 1})"));              // b is required
    CHECK_FALSE(ok(g, R"({"b": "x", "a": 1})"));    // declared order
    CHECK_FALSE(ok(g, R"({"b": "x", "d": 1})"));    // no other properties
    CHECK_FALSE(ok(g, R"({"a": "1", "b": "x"})"));  // a's type
    const auto all_optional = schema(R"({"type": "object", "properties": {"a": {"type": "null"}, "b": {"type": "null"}}})");
    CHECK(ok(all_optional, "{}"));
    CHECK(ok(all_optional, R"({"b": null})"));
    CHECK_FALSE(ok(all_optional, R"({, "b": null})"));
    const auto map = schema(R"({"type": "object", "additionalProperties": {"type": "integer"}})");
    CHECK(ok(map, R"({"x": 1, "y": 2})"));
    CHECK_FALSE(ok(map, R"({"x": "1"})"));
    CHECK(ok(schema(R"({"type": "object", "additionalProperties": true})"), R"({"x": [1]})"));
    CHECK_FALSE(ok(schema(R"({"type": "object", "additionalProperties": false})"), R"({"x": 1})"));
    CHECK_THAT(refusal(R"({"properties": {"a": {}}, "required": ["z"]})"), Catch::Contains("'z', which is not in properties"));
}

TEST_CASE("json schema: items, minItems, maxItems", "[grammar][schema]") {
    const auto g = schema(R"({"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3})");
    CHECK_FALSE(ok(g, "[]"));
    CHECK(ok(g, "[1]"));
    CHECK(ok(g, "[1, 2, 3]"));
    CHECK_FALSE(ok(g, "[1, 2, 3, 4]"));
    CHECK_FALSE(ok(g, R"(["1"])"));
    CHECK(ok(schema(R"({"type": "array", "maxItems": 0})"), "[]"));
    CHECK(ok(schema(R"({"type": "array", "minItems": 2})"), "[1, 2, 3, 4, 5]"));
    CHECK_FALSE(ok(schema(R"({"type": "array", "minItems": 2})"), "[1]"));
}

TEST_CASE("json schema: enum and const", "[grammar][schema]") {
    const auto g = schema(R"({"enum": ["red", 7, null, {"k": [1]}, "quote\"d"]})");
    CHECK(ok(g, "\"red\""));
    CHECK(ok(g, "7"));
    CHECK(ok(g, "null"));
    CHECK(ok(g, R"({"k":[1]})"));
    CHECK(ok(g, R"("quote\"d")"));
    CHECK_FALSE(ok(g, "\"blue\""));
    CHECK(ok(schema(R"({"const": "only"})"), "\"only\""));
    CHECK_FALSE(ok(schema(R"({"const": "only"})"), "\"other\""));
}

TEST_CASE("json schema: anyOf and oneOf", "[grammar][schema]") {
    const auto g = schema(R"({"anyOf": [{"type": "integer"}, {"type": "object", "properties": {"t": {"const": 1}}, "required": ["t"]}]})");
    CHECK(ok(g, "5"));
    CHECK(ok(g, R"({"t": 1})"));
    CHECK_FALSE(ok(g, "\"5\""));
    CHECK(ok(schema(R"({"oneOf": [{"const": "a"}, {"const": "b"}]})"), "\"b\""));
}

TEST_CASE("json schema: $ref to $defs and definitions, recursive", "[grammar][schema]") {
    const auto g = schema(R"({"$ref": "#/$defs/node", "$defs": {"node": {"type": "object",
        "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
        "required": ["v"], "additionalProperties": false}}})");
    CHECK(ok(g, R"({"v": 1, "kids": [{"v": 2}, {"v": 3, "kids": []}]})"));
    CHECK_FALSE(ok(g, R"({"v": 1, "kids": [{}]})"));
    CHECK(ok(schema(R"({"properties": {"a": {"$ref": "#/definitions/x"}}, "definitions": {"x": {"type": "null"}}})"),
             R"({"a": null})"));
    CHECK_THAT(refusal(R"({"$ref": "#/$defs/missing", "$defs": {}})"), Catch::Contains("names no definition"));
    CHECK_THAT(refusal(R"({"$ref": "http://example.com/s.json"})"), Catch::StartsWith("$ref:"));
}

TEST_CASE("json schema: minLength and maxLength count code points", "[grammar][schema]") {
    const auto g = schema(R"({"type": "string", "minLength": 2, "maxLength": 3})");
    CHECK_FALSE(ok(g, "\"a\""));
    CHECK(ok(g, "\"ab\""));
    CHECK(ok(g, "\"\xC3\xA9\\n\xE2\x82\xAC\""));  // é, an escape, €: three characters
    CHECK_FALSE(ok(g, "\"abcd\""));
    CHECK(ok(schema(R"({"type": "string", "maxLength": 0})"), "\"\""));
}

TEST_CASE("json schema: an unsupported keyword is refused by name", "[grammar][schema]") {
    for (const char* keyword : {"pattern", "format", "minimum", "maximum", "exclusiveMinimum", "multipleOf", "allOf", "not",
                                "if", "prefixItems", "minProperties", "patternProperties", "contains", "dependentRequired"}) {
        const std::string text = std::string(R"({"type": "object", "properties": {"x": {")") + keyword + R"(": 1}}})";
        const std::string why = refusal(text.c_str());
        INFO(text);
        CHECK_THAT(why, Catch::StartsWith(std::string(keyword) + ": "));
        CHECK_THAT(why, Catch::Contains("#/properties/x"));
    }
    CHECK_THAT(refusal(R"({"type": "strung"})"), Catch::Contains("not a JSON Schema type"));
    CHECK_THAT(refusal(R"({"uniqueItems": true})"), Catch::StartsWith("uniqueItems"));
    CHECK_THAT(refusal(R"({"type": "string", "maxLength": 1, "minLength": 2})"), Catch::Contains("below minLength"));
    CHECK_THAT(refusal("false"), Catch::Contains("accepts nothing"));
    CHECK_THAT(refusal(R"({"anyOf": [{"type": "integer"}], "type": "string"})"), Catch::Contains("next to anyOf"));
    // Inside an unused additionalProperties schema too: never accepted and ignored.
    CHECK_THAT(refusal(R"({"properties": {"a": {}}, "additionalProperties": {"pattern": "x"}})"), Catch::StartsWith("pattern"));
}

TEST_CASE("json schema: the json_object grammar is any object", "[grammar][schema]") {
    const auto g = test::compile(json_object_grammar());
    CHECK(ok(g, R"({"a": [1, 2.5, "x"], "b": {}})"));
    CHECK_FALSE(ok(g, "[1]"));
    CHECK_FALSE(ok(g, "\"x\""));
}
