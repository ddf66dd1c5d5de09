// Whitespace: trim_blocks, lstrip_blocks, `-`/`+` control, comments, raw blocks and the dropped
// final newline, as Jinja2 applies them in Hugging Face's settings.
#include "template_test_support.hpp"

#include <catch2/catch.hpp>

using plinth::test::render;

TEST_CASE("trim_blocks and lstrip_blocks around block tags and comments", "[template][whitespace]") {
    CHECK(render("  {% if true %}\n  yes\n  {% endif %}\n  {{ 'v' }}  \n{# comment #}\nend\n") == "  yes\n  v  \nend");
    CHECK(render("{% if true %}\n    a\n{% endif %}\n{% for i in [1,2] %}\n  {{ i }}\n{% endfor %}\n") == "    a\n  1\n  2\n");
    CHECK(render("{# multi\nline #}x{#- strip -#}   y {# c #}\nz") == "xy z");
}

TEST_CASE("minus and plus whitespace control", "[template][whitespace]") {
    CHECK(render("a  {%- if true -%}  b  {%- endif -%}  c\n{{- ' d ' -}}\n e {%+ if true %}f{% endif +%}\ng") == "abc d e f\ng");
    CHECK(render("{{- '  x  ' -}}  {{ 'y' }}\n\n  {%- if true %}  z{% endif %}") == "  x  y  z");
}

TEST_CASE("one trailing newline of the source is dropped, \\r\\n becomes \\n", "[template][whitespace]") {
    CHECK(render("a\n") == "a");
    CHECK(render("a\n\n") == "a\n");
    CHECK(render("a\r\nb\r\n") == "a\nb");
}

TEST_CASE("raw blocks keep tags as text", "[template][whitespace]") {
    CHECK(render("x{%- raw -%}  {{ y }}  {% endraw %}z") == "x{{ y }}  z");
    CHECK(render("x{% raw %}\n  {{ y }}\n  {% endraw %}\nz") == "x\n  {{ y }}\nz");
}
