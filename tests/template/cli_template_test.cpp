// `plinth template TEMPLATE_FILE VARIABLES.json`: the rendering on stdout exactly, errors exit 1.
#include "run_command.hpp"
#include "shared_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace {

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() / ("plinth-template-test-" + std::to_string(::getpid()) + "-" + name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

plinth::test::command_result plinth_template(const std::filesystem::path& tmpl, const std::filesystem::path& vars, const std::string& extra = "") {
    using plinth::test::shell_quote;
    return plinth::test::run_command(shell_quote(PLINTH_CLI) + " template " + shell_quote(tmpl.string()) + " " + shell_quote(vars.string()) + extra);
}

}  // namespace

TEST_CASE("plinth template prints the rendering exactly", "[template][cli]") {
    const auto tmpl = write_temp("a.jinja", "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}{{ strftime_now('%d %b %Y') }}\n");
    const auto vars = write_temp("a.json", R"({"messages": [{"role": "user", "content": "héllo"}]})");
    const auto r = plinth_template(tmpl, vars, " --now 2026-01-15");
    CHECK(r.exit_code == 0);
    CHECK(r.out == "<user>héllo15 Jan 2026");
    const auto qwen = plinth::test::shared_dir() / "templates" / "Qwen-Qwen2.5-7B-Instruct.jinja";
    const auto r2 = plinth_template(qwen, vars);
    CHECK(r2.exit_code == 0);
    CHECK(r2.out == "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nhéllo<|im_end|>\n");
    std::filesystem::remove(tmpl);
    std::filesystem::remove(vars);
}

TEST_CASE("plinth template exits 1 with file:line:column on a template error", "[template][cli]") {
    const auto tmpl = write_temp("b.jinja", "ok\n  {{ raise_exception('System role not supported') }}");
    const auto vars = write_temp("b.json", "{}");
    const auto r = plinth_template(tmpl, vars);
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.find(tmpl.string() + ":2:6: System role not supported") != std::string::npos);
    const auto bad_json = write_temp("c.json", "{not json");
    CHECK(plinth_template(tmpl, bad_json).exit_code == 1);
    CHECK(plinth_template(tmpl, "/nonexistent.json").exit_code == 1);
    std::filesystem::remove(tmpl);
    std::filesystem::remove(vars);
    std::filesystem::remove(bad_json);
}

TEST_CASE("plinth template -m reads the model's own template, and says when it has none", "[template][cli]") {
    using plinth::test::shell_quote;
    const auto vars = write_temp("d.json", "{}");
    const auto r = plinth::test::run_command("env -u PLINTH_PLUGIN_PATH " + shell_quote(PLINTH_CLI) + " template -m " +
                                             shell_quote(plinth::test::shared_model("stories260K.gguf").string()) + " " + shell_quote(vars.string()));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("has no chat template (no 'tokenizer.chat_template' in its metadata)") != std::string::npos);
    std::filesystem::remove(vars);
}
