// plinth chat as people use it: scripted (one turn per line of stdin), with a saved and reloaded
// conversation and the cache reused between turns; and in a real terminal (tmux), where Ctrl-C
// in the middle of a reply stops that reply and the prompt comes back.
#include <catch2/catch.hpp>

#include "cli.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <unistd.h>

using namespace plinth::test;

namespace {

std::string chatml() { return shell_quote((shared_dir() / "templates" / "Qwen-Qwen2.5-7B-Instruct.jinja").string()); }

std::filesystem::path temp_file(const std::string& name) { return std::filesystem::temp_directory_path() / ("plinth-chat-" + name); }

size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// `plinth chat ARGS` with `input` as its stdin.
command_result chat_with_input(const std::string& args, const std::string& input, const std::string& name) {
    const auto in = temp_file(name + ".in");
    std::ofstream(in, std::ios::binary) << input;
    auto r = run_plinth("chat " + args + " < " + shell_quote(in.string()));
    std::filesystem::remove(in);
    return r;
}

}  // namespace

TEST_CASE("plinth chat reads one turn per line when scripted, and saves and loads the conversation", "[cli][chat]") {
    const auto saved = temp_file("saved.json");
    std::filesystem::remove(saved);
    const std::string args = "-m " + model_arg("stories260K.gguf") + " --chat-template " + chatml() + " --temp 0 -n 40";

    const auto r = chat_with_input(args, "Once upon a time\nTell me more\n/save " + saved.string() + "\n", "two-turns");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    // One speed line per reply on stderr.
    CHECK(count(r.err, " tok/s; prompt ") == 2);
    // The second turn starts from the first turn's cached blocks.
    const auto second = r.err.rfind("prompt ");
    REQUIRE(second != std::string::npos);
    CHECK(r.err.find("(0 cached)", second) == std::string::npos);

    // The saved conversation is the turns as they were, the replies exactly as printed (each
    // followed by a line break on stdout).
    const auto j = nlohmann::json::parse(read_file(saved));
    REQUIRE(j["messages"].size() == 4);
    CHECK(j["messages"][0]["role"] == "user");
    CHECK(j["messages"][0]["content"] == "Once upon a time");
    CHECK(j["messages"][1]["role"] == "assistant");
    CHECK(j["messages"][3]["role"] == "assistant");
    const std::string first_reply = j["messages"][1]["content"], second_reply = j["messages"][3]["content"];
    CHECK_FALSE(first_reply.empty());
    CHECK(r.out == first_reply + "\n" + second_reply + "\n");

    const auto again = chat_with_input(args, "/load " + saved.string() + "\n/help\n", "load");
    REQUIRE(again.exit_code == 0);
    CHECK_THAT(again.err, Catch::Contains("loaded 2 turns"));
    CHECK_THAT(again.err, Catch::Contains("/reset"));
    std::filesystem::remove(saved);

    // Greedy replies do not depend on the cache: after /reset the same first turn, the same reply.
    const auto replay = chat_with_input(args, "Once upon a time\n/reset\nOnce upon a time\n", "reset");
    REQUIRE(replay.exit_code == 0);
    CHECK(replay.out == first_reply + "\n" + first_reply + "\n");
}

TEST_CASE("plinth chat reports bad input and carries on; bad options exit 1", "[cli][chat]") {
    const std::string args = "-m " + model_arg("stories260K.gguf") + " --temp 0 -n 8";
    const auto r = chat_with_input(args, "/load /nonexistent/conversation.json\n/frobnicate\n/save\nhello\n", "bad-commands");
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("cannot read the conversation /nonexistent/conversation.json"));
    CHECK_THAT(r.err, Catch::Contains("unknown command /frobnicate"));
    CHECK_THAT(r.err, Catch::Contains("/save needs a file name"));
    CHECK(count(r.err, " tok/s; prompt ") == 1);  // the one real turn was answered

    const auto missing = run_plinth("chat -m " + model_arg("stories260K.gguf") + " --chat-template /nonexistent.jinja < /dev/null");
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Catch::Contains("cannot read the chat template /nonexistent.jinja"));

    // The config's model.chat_template, when no flag gives one.
    const auto config = temp_file("config.yaml");
    std::ofstream(config) << "model:\n  chat_template: /nonexistent-from-config.jinja\n";
    const auto from_config = run_plinth("chat --config " + shell_quote(config.string()) + " -m " + model_arg("stories260K.gguf") +
                                        " < /dev/null");
    CHECK(from_config.exit_code == 1);
    CHECK_THAT(from_config.err, Catch::Contains("cannot read the chat template /nonexistent-from-config.jinja"));
    std::filesystem::remove(config);
}

TEST_CASE("plinth chat in a terminal: Ctrl-C in the middle of the second reply stops it and the prompt returns", "[cli][chat][tmux]") {
    if (run_command("tmux -V").exit_code != 0) {
        WARN("tmux is not installed: the terminal case is skipped");
        return;
    }
    const std::string socket = "plinth-chat-test-" + std::to_string(::getpid());
    const auto tmux = [&](const std::string& args) { return run_command("tmux -L " + socket + " " + args); };
    // Long replies (no end-of-text stop, 3000 tokens) so that the Ctrl-C lands mid-reply.
    const std::string chat = shell_quote(PLINTH_CLI) + " chat -m " + model_arg("stories260K.gguf") + " --chat-template " + chatml() +
                             " --temp 0 -n 3000 -c 8192 --ignore-eos";
    REQUIRE(tmux("new-session -d -s chat -x 160 -y 40 " + shell_quote("env -u PLINTH_PLUGIN_PATH " + chat)).exit_code == 0);
    struct cleanup {
        std::function<void()> f;
        ~cleanup() { f(); }
    } done{[&] { tmux("kill-server"); }};
    const auto screen = [&] { return tmux("capture-pane -p -t chat").out; };
    const auto wait_for = [&](const std::function<bool(const std::string&)>& ready, double seconds) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (std::chrono::steady_clock::now() < until) {
            if (ready(screen())) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return false;
    };

    // (capture-pane drops trailing spaces: an empty prompt is a line ">".)
    const auto prompt_after = [](const std::string& s, size_t from) {
        for (auto at = s.find("\n>", from); at != std::string::npos; at = s.find("\n>", at + 1))
            if (at + 2 == s.size() || s[at + 2] == '\n' || s[at + 2] == ' ') return true;
        return false;
    };
    const bool started = wait_for([&](const std::string& s) { return prompt_after("\n" + s, 0); }, 30);
    INFO("screen:\n" << screen());
    REQUIRE(started);
    tmux("send-keys -t chat 'Once upon a time' Enter");
    // The first reply runs to its 3000 tokens; its speed line follows.
    REQUIRE(wait_for([](const std::string& s) { return s.find(" tok/s; prompt ") != std::string::npos; }, 120));
    tmux("send-keys -t chat 'Tell me more' Enter");
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    CHECK(screen().find("stopped]") == std::string::npos);  // still writing
    tmux("send-keys -t chat C-c");
    INFO(screen());
    REQUIRE(wait_for([](const std::string& s) { return s.find("; stopped]") != std::string::npos; }, 20));
    // The program is still there, at its prompt.
    REQUIRE(wait_for([&](const std::string& s) {
        const auto at = s.find("; stopped]");
        return at != std::string::npos && prompt_after(s, at);
    }, 10));
    tmux("send-keys -t chat '/quit' Enter");
    CHECK(wait_for([&](const std::string&) { return tmux("has-session -t chat").exit_code != 0; }, 10));
}
