// Hostile templates end in a template_error, never a crash, a hang or unbounded memory.
#include "template_test_support.hpp"

#include <catch2/catch.hpp>

#include <string>

using plinth::test::render;
using plinth::test::render_error;

TEST_CASE("loops that would never end run out of steps", "[template][limits]") {
    plinth::render_options small;
    small.max_steps = 100'000;
    CHECK(render_error("{% for i in range(1000000) %}{% for j in range(1000000) %}{% endfor %}{% endfor %}", "{}", small)
              .find("too many steps") != std::string::npos);
    CHECK(render_error("{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}")
              .find("too long") != std::string::npos);
}

TEST_CASE("output, strings and lists are bounded", "[template][limits]") {
    plinth::render_options small;
    small.max_output_bytes = 1 << 16;
    CHECK(render_error("{{ 'x' * 100000000000 }}", "{}", small).find("too long") != std::string::npos);
    CHECK(render_error("{{ [1] * 100000000 }}", "{}", small).find("too long") != std::string::npos);
    CHECK(render_error("{% for i in range(1000) %}{% for j in range(1000) %}x{% endfor %}{% endfor %}", "{}", small).find("output too long") != std::string::npos);
    CHECK(render_error("{{ range(100000000000) | length }}", "{}", small).find("range too long") != std::string::npos);
}

TEST_CASE("recursion and nesting are bounded", "[template][limits]") {
    CHECK(render_error("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").find("nested too deeply") != std::string::npos);
    CHECK(render_error("{{ " + std::string(100000, '(') + "1" + std::string(100000, ')') + " }}").find("nested too deeply") != std::string::npos);
    std::string ifs;
    for (int i = 0; i < 5000; ++i) ifs += "{% if true %}";
    CHECK(render_error(ifs).find("nested too deeply") != std::string::npos);
    CHECK(render_error("{{ " + std::string(100000, '-') + "1 }}").find("nested too deeply") != std::string::npos);
}

TEST_CASE("a namespace holding itself is freed", "[template][limits]") {
    // (LeakSanitizer in the fuzz build would report the cycle if it were not broken.)
    CHECK(render("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns.me.me is defined }}") == "True");
}

TEST_CASE("deep nesting through macro calls is bounded before the stack is", "[template][limits]") {
    // 60 nested blocks and 28 parentheses in a macro calling itself: each call is shallow
    // enough to parse, and the evaluator's total nesting stops the recursion.
    std::string source = "{% macro f(n) %}";
    for (int i = 0; i < 60; ++i) source += "{% if true %}";
    source += "{{ " + std::string(28, '(') + "f(n + 1)" + std::string(28, ')') + " }}";
    for (int i = 0; i < 60; ++i) source += "{% endif %}";
    source += "{% endmacro %}{{ f(0) }}";
    CHECK(render_error(source).find("nests too deeply") != std::string::npos);
}
