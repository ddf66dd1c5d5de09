// Filters, tests and methods, and Hugging Face's tojson. Expected strings are Python Jinja2's.
#include "template_test_support.hpp"

#include <catch2/catch.hpp>

using plinth::test::render;

TEST_CASE("string filters and methods", "[template][builtins]") {
    CHECK(render("{{ ' a b ' | trim }}|{{ 'Hello' | upper }}{{ 'Hello' | lower }}|{{ 'hello world' | title }}|"
                 "{{ 'hello World' | capitalize }}") == "a b|HELLOhello|Hello World|Hello world");
    CHECK(render("{{ 'a,b,c'.split(',') }}|{{ '  x y  '.split() }}|{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith(('x','c')) }}|"
                 "{{ 'a,b,c'.rsplit(',', 1) }}") == "['a', 'b', 'c']|['x', 'y']|TrueTrue|['a,b', 'c']");
    CHECK(render("{{ '{} and {}'.format(1, 'x') }} {{ '{0}{0}{name}'.format('r', name='n') }} {{ 'aXbXc'.replace('X', '-') }} "
                 "{{ 'aXbXc'.replace('X', '-', 1) }} {{ 'x'.replace('', '.') }} {{ '..a..'.strip('.') }} [{{ '  a'.lstrip() }}] "
                 "[{{ 'a  '.rstrip() }}]") == "1 and x rrn a-b-c a-bXc .x. a [a] [a]");
    // Jinja's title filter starts words after whitespace and -([{<, str.title() after any non-letter.
    CHECK(render("{{ \"they're bill-o (x) 1st\" | title }}|{{ \"they're 1st\".title() }}") == "They're Bill-O (X) 1st|They'Re 1St");
    CHECK(render("{{ 'Ünï'|upper }}{{ 'ÀBΣΑ'|lower }}{{ 'привет'|upper }}") == "ÜNÏàbσαПРИВЕТ");
    CHECK(render("{{ 'text' | indent(2) }}|{{ 'a\nb\n\nc' | indent(2) }}|{{ 'a\nb\n' | indent(4, true) }}|"
                 "{{ 'a\n\nb' | indent(2, blank=true) }}") == "text|a\n  b\n\n  c|    a\n    b\n|a\n  \n  b");
}

TEST_CASE("sequence filters", "[template][builtins]") {
    const char* items = R"({"items": [{"n": 1}, {"n": 2}, {"n": 3}]})";
    CHECK(render("{{ [1,2,3] | join('-') }}|{{ items | map(attribute='n') | join(',') }}|"
                 "{{ items | selectattr('n', 'equalto', 2) | list }}|{{ items | rejectattr('n', 'gt', 1) | list }}",
                 items) == "1-2-3|1,2,3|[{'n': 2}]|[{'n': 1}]");
    CHECK(render("{{ [0,1,2,none] | select | list }}|{{ [1,2,3] | reject('odd') | list }}|{{ ['1','2'] | map('int') | sum }}|"
                 "{{ none | selectattr('type', 'equalto', 'x') | list }}") == "[1, 2]|[2]|3|[]");
    CHECK(render("{{ [3,1,2] | sort }}|{{ [1,2,2,3,1] | unique | list }}|{{ [{'a':2},{'a':1}] | sort(attribute='a') }}|"
                 "{{ ['B','a','C'] | sort }}{{ ['b','A'] | min }}") == "[1, 2, 3]|[1, 2, 3]|[{'a': 1}, {'a': 2}]|['a', 'B', 'C']A");
    CHECK(render("{{ [3,1,2] | min }} {{ [3,1,2] | max }} {{ [1,2] | first }}{{ [1,2] | last }} {{ 'abc' | reverse }} "
                 "{{ [1,2] | reverse | list }} {{ 'a b  c' | wordcount }}") == "1 3 12 cba [2, 1] 3");
}

TEST_CASE("mapping filters and methods", "[template][builtins]") {
    const char* d = R"({"d": {"b": 1, "A": 2, "a": 3}})";
    CHECK(render("{{ d | dictsort }}|{{ d | items | list }}|{{ d.get('a') }}{{ d.get('q', 9) }}{{ d.get('q') }}|"
                 "{{ d.keys() | list }}{{ d.values() | list }}|{{ d | length }}{{ 'héllo' | length }}",
                 d) == "[('A', 2), ('a', 3), ('b', 1)]|[('b', 1), ('A', 2), ('a', 3)]|39None|['b', 'A', 'a'][1, 2, 3]|35");
    CHECK(render("{{ d['items'] }}|{{ d.items | string | length > 0 }}", R"({"d": {"items": 5}})") == "5|True");
}

TEST_CASE("number filters", "[template][builtins]") {
    CHECK(render("{{ '3' | int + 1 }} {{ 'x' | int }} {{ 3.9 | int }} {{ '2.5' | float }} {{ 'x' | float }} {{ -3 | abs }} "
                 "{{ 2.567 | round(2) }} {{ 2.5 | round }}") == "4 0 3 2.5 0.0 3 2.57 2.0");
}

TEST_CASE("default, string and safe", "[template][builtins]") {
    CHECK(render("{{ x | default('d') }}|{{ none | default('d') }}|{{ '' | default('d', true) }}|{{ 1.0 | string }}") == "d|None|d|1.0");
    // Markup + str escapes the str, as markupsafe does.
    CHECK(render("{{ 'a<'|safe + '\"b\"' }}|{{ 'a<' ~ '\"b\"'|safe }}") == "a<&#34;b&#34;|a<\"b\"");
}

TEST_CASE("tests", "[template][builtins]") {
    CHECK(render("{{ y is iterable }}{{ y is sequence }}{{ y is mapping }}{{ 1 is number }}{{ true is number }}{{ true is boolean }}"
                 "{{ 1.0 is integer }}{{ 1 is integer }}{{ 'a' is lower }}{{ 3 is divisibleby 3 }}{{ 2 is in [1,2] }}"
                 "{{ none is true }}{{ true is true }}{{ false is false }}") ==
          "TrueTrueFalseTrueTrueTrueFalseTrueTrueTrueTrueFalseTrueTrue");
    CHECK(render("{% if x is string %}s{% elif x is mapping %}m{% elif x is sequence %}q{% endif %}{{ x is iterable }}",
                 R"({"x": [1]})") == "qTrue");
}

TEST_CASE("tojson as Hugging Face defines it", "[template][builtins][tojson]") {
    const char* x = R"({"x": {"b": [1, 2.5, true, null], "a": {"c": "d"}}})";
    CHECK(render("{{ x | tojson }}", x) == R"({"b": [1, 2.5, true, null], "a": {"c": "d"}})");
    CHECK(render("{{ x | tojson(indent=2) }}", x) == "{\n  \"b\": [\n    1,\n    2.5,\n    true,\n    null\n  ],\n  \"a\": {\n    \"c\": \"d\"\n  }\n}");
    CHECK(render("{{ x | tojson(sort_keys=true) }}", x) == R"({"a": {"c": "d"}, "b": [1, 2.5, true, null]})");
    CHECK(render("{{ x | tojson(separators=(',', ':')) }}", x) == R"({"b":[1,2.5,true,null],"a":{"c":"d"}})");
    CHECK(render(R"({{ ('é"\\' ~ '\n\t\u0001') | tojson }})") == R"("é\"\\\n\t\u0001")");
    CHECK(render("{{ 'é😀<&>' | tojson(ensure_ascii=true) }}|{{ [] | tojson(indent=2) }}{{ {} | tojson }}|{{ 1.5 | tojson }}{{ none | tojson }}") ==
          R"("\u00e9\ud83d\ude00<&>"|[]{}|1.5null)");
    CHECK(plinth::test::render_error("{{ x | tojson }}").find("not JSON serializable") != std::string::npos);
}
