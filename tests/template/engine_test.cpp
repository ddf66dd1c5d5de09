// The engine's expressions and statements, with Python's semantics. Expected strings are what
// Python's Jinja2 renders in Hugging Face's settings.
#include "template_test_support.hpp"

#include <catch2/catch.hpp>

using plinth::test::render;
using plinth::test::render_error;

TEST_CASE("slicing follows Python, negative steps included", "[template]") {
    CHECK(render("{{ 'abcdef'[::-1] }}|{{ 'abcdef'[1:4] }}|{{ 'abcdef'[-2:] }}|{{ [1,2,3,4,5][::2] }}|{{ [1,2,3][5:] }}") ==
          "fedcba|bcd|ef|[1, 3, 5]|[]");
    CHECK(render("{{ 'héllo'[1:3] }}|{{ 'abc'[-1] }}|{{ (1, 2, 3)[1:] }}|{{ [1,2,3,4][3:0:-2] }}") == "él|c|(2, 3)|[4, 2]");
    CHECK(render("{% for m in messages[::-1] %}{{ m }}{% endfor %}", R"({"messages": [1, 2, 3]})") == "321");
    CHECK(render_error("{{ 'abc'[::0] }}").find("slice step cannot be zero") != std::string::npos);
}

TEST_CASE("arithmetic keeps Python's int and float rules", "[template]") {
    CHECK(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 1 + 2.0 }}") ==
          "3 -4 1 2 3.5 1024 0.5 3.0");
    // Unary minus binds tighter than ** in Jinja: - 2 ** 2 is 4.
    CHECK(render("{{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1e-5 }} {{ 3.0 }} {{ 10 / 5 }} {{ - 2 ** 2 }} {{ 10 - 2 - 3 }} {{ 2 * 3 % 4 }}") ==
          "0.30000000000000004 1e+20 1e-05 3.0 2.0 4 5 2");
    CHECK(render("{{ 'a' ~ 1 ~ none ~ true }}|{{ 'ab' * 3 }}|{{ [1] + [2] }}|{{ 3 * 'a' }}|{{ [1] * 2 }}") == "a1NoneTrue|ababab|[1, 2]|aaa|[1, 1]");
    CHECK(render_error("{{ 1 / 0 }}").find("division by zero") != std::string::npos);
    CHECK(render_error("{{ 'a' + 1 }}").find("can only concatenate str") != std::string::npos);
    CHECK(render_error("{{ 9223372036854775807 + 1 }}").find("integer overflow") != std::string::npos);
}

TEST_CASE("values print as Python's str() does", "[template]") {
    CHECK(render("{{ (1, 2) }}|{{ {'a': 1, 'b': [1, 'x']} }}|{{ none }}|{{ true }}|{{ undefined_thing }}|{{ (1,) }}") ==
          "(1, 2)|{'a': 1, 'b': [1, 'x']}|None|True||(1,)");
    CHECK(render(R"({{ ["it's", 'a"b', 'a\nb'] }})") == R"(["it's", 'a"b', 'a\nb'])");
}

TEST_CASE("comparisons, membership and boolean operators", "[template]") {
    CHECK(render("{{ 'a' in 'abc' }} {{ 1 in [1,2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }} {{ 1 < 2 < 3 }} {{ 1 == 1.0 }}") ==
          "True True True True True True");
    CHECK(render("{{ [1,2] < [1,3] }} {{ not 0 }} {{ 0 or 'x' }} {{ 1 and 'y' }} [{{ 'y' if false }}] {{ 'a' if 0 else 'b' }}") ==
          "True True x y [] b");
    CHECK(render("{{ x == none }} {{ x is none }} {{ none == none }}") == "False False True");
}

TEST_CASE("for loops: loop variables, filters, else, unpacking, break and continue", "[template]") {
    CHECK(render("{% for x in [1,2,3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}"
                 "{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }};{% endfor %}") ==
          "103TrueFalse32;212FalseFalse313;321FalseTrue32;");
    CHECK(render("{% for x in [1,2,3,4] if x is even %}{{ x }}{{ loop.length }}{% else %}none{% endfor %}"
                 "{% for x in [] %}a{% else %}empty{% endfor %}") == "2242empty");
    CHECK(render("{% for k, v in d.items() %}{{ k }}={{ v }},{% endfor %}{% for k in d %}{{ k }}{% endfor %}",
                 R"({"d": {"z": 1, "a": 2}})") == "z=1,a=2,za");
    CHECK(render("{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x > 4 %}{% break %}{% endif %}{{ x }}"
                 "{% endfor %}") == "0134");
    CHECK(render("{% for a in [[1,2],[3,4]] %}{% for b in a %}{{ loop.revindex0 }}{% endfor %}{{ loop.index }}{% endfor %}") ==
          "101102");
    CHECK(render_error("{% break %}").find("outside of a loop") != std::string::npos);
}

TEST_CASE("scopes: a loop body's set stays in the iteration, namespace() carries out", "[template]") {
    CHECK(render("{% set x = 1 %}{% for i in range(3) %}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}") == "2221");
    CHECK(render("{% set ns = namespace(a=1, b='x') %}{% for i in range(3) %}{% set ns.a = ns.a + i %}{% endfor %}{{ ns.a }}{{ ns.b }}") ==
          "4x");
    CHECK(render("{{ x }}{% set x = 5 %}{{ x }}", R"({"x": 1})") == "15");
    CHECK(render("{% set a, b = [1, 2] %}{{ a }}{{ b }}") == "12");
    CHECK(render("{% set s %}  hello {{ 1 + 1 }}\n{% endset %}[{{ s }}]{{ s | trim }}") == "[  hello 2\n]hello 2");
    CHECK(render_error("{% set x = 1 %}{% set x.y = 2 %}").find("non-namespace") != std::string::npos);
}

TEST_CASE("macros: defaults, keyword arguments, nesting, and what they see", "[template]") {
    CHECK(render("{% macro f(a, b=2, c='z') %}[{{ a }}{{ b }}{{ c }}]{% endmacro %}{{ f(1) }}{{ f(1, 3) }}{{ f(1, c=5) }}{{ f() }}") ==
          "[12z][13z][125][2z]");
    CHECK(render("{% macro outer(x) %}<{{ inner(x) }}>{% endmacro %}{% macro inner(y) %}{{ y * 2 }}{% endmacro %}{{ outer(4) }}"
                 "{% set msg = 'top' %}{% macro see() %}{{ msg }}{% endmacro %}{{ see() }}") == "<8>top");
}

TEST_CASE("undefined values behave as Jinja2's default Undefined", "[template]") {
    CHECK(render("{{ d.missing }}|{{ d['missing'] }}|{{ d.missing is defined }}|{{ l[10] is defined }}|{{ none.x }}",
                 R"({"d": {"a": 1}, "l": [1]})") == "||False|False|");
    CHECK(render("{{ x | length }}{% for i in x %}no{% endfor %}{{ x ~ 'a' }}{{ x is iterable }}{{ not x }}") == "0aTrueTrue");
    CHECK(render_error("{{ x.y }}") == "t:1:4: 'x' is undefined");
    CHECK(render_error("{{ x + 1 }}").find("'x' is undefined") != std::string::npos);
    CHECK(render_error("{{ foo() }}").find("'foo' is undefined") != std::string::npos);
    CHECK(render_error("{{ d.a.b }}", R"({"d": {}})").find("'dict object' has no attribute 'a'") != std::string::npos);
}

TEST_CASE("errors name the template, line and column", "[template]") {
    CHECK(render_error("line one\n{{ raise_exception('boom: ' ~ 1) }}") == "t:2:4: boom: 1");
    CHECK(render_error("{% if true %}\n  {% for %}") == "t:2:10: expected a name, got end of statement block");
    CHECK(render_error("{{ 'unterminated }}") == "t:1:4: unterminated string literal");
    CHECK(render_error("{% if x %}") == "t:1:11: unexpected end of template, expected 'endif'");
    CHECK(render_error("{% generation %}") == "t:1:4: Encountered unknown tag 'generation'.");
    CHECK(render_error("a\n\n  {{ x | nofilter }}") == "t:3:8: No filter named 'nofilter'.");
    CHECK(render_error("{% for x in 5 %}{% endfor %}").find("'int' object is not iterable") != std::string::npos);
    try {
        render("\n{{ raise_exception('System role not supported') }}");
        FAIL("no error");
    } catch (const plinth::template_error& e) {
        CHECK(e.message() == "System role not supported");
        CHECK(e.line() == 2);
        CHECK(e.column() == 4);
    }
}

TEST_CASE("the sandbox refuses mutating methods", "[template]") {
    CHECK(render_error("{{ [1,2].append(3) }}").find("unsafe") != std::string::npos);
    CHECK(render_error("{% set d = {} %}{{ d.update({'a': 1}) }}").find("unsafe") != std::string::npos);
}

TEST_CASE("strftime_now formats the given clock", "[template]") {
    CHECK(render("{{ strftime_now('%Y-%m-%d %b %B %d %A %a %H:%M') }}") == "2026-01-15 Jan January 15 Thursday Thu 00:00");
    plinth::render_options real_clock;
    real_clock.fixed_time = -1;
    const std::string year = plinth::chat_template::parse("{{ strftime_now('%Y') }}").render(nlohmann::ordered_json::object(), real_clock);
    CHECK(year.size() == 4);
}
