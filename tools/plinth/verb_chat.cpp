// plinth chat: a conversation with a model in the terminal. Replies stream to stdout; after each,
// a line on stderr gives its speed. Ctrl-C stops the reply being written (the part written so far
// stays in the conversation) and the prompt comes back; Ctrl-D or /quit ends the program. With
// stdin not a terminal, every line is one user turn (scriptable).
#include "chat_conversation.hpp"
#include "chat_input.hpp"
#include "cli_chat_template.hpp"
#include "cli_model.hpp"

#include <plinth/generate.hpp>
#include <plinth/text_stream.hpp>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <random>

namespace plinth::cli {
namespace {

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void on_chat_interrupt(int) { stop_requested = 1; }

// SIGINT raises a flag; without SA_RESTART, so that a read waiting for input returns.
void install_interrupt_handler() {
    struct sigaction sa{};
    sa.sa_handler = on_chat_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, nullptr);
}

constexpr const char* help_text =
    "commands:\n"
    "  /reset         start over (the system message stays)\n"
    "  /save FILE     write the conversation as JSON\n"
    "  /load FILE     continue a saved conversation\n"
    "  /quit          leave (also Ctrl-D)\n"
    "a line ending in \\ continues on the next; a line of \"\"\" opens and closes a block of lines.\n"
    "Ctrl-C stops a reply.\n";

// Runs one command line ("/save x.json"); false for /quit.
bool run_command(const std::string& line, chat_conversation& conv) {
    const auto space = line.find(' ');
    const std::string name = line.substr(0, space);
    const std::string arg = space == std::string::npos ? "" : line.substr(line.find_first_not_of(' ', space) == std::string::npos
                                                                               ? line.size()
                                                                               : line.find_first_not_of(' ', space));
    try {
        if (name == "/quit" || name == "/exit") return false;
        if (name == "/help") std::cerr << help_text;
        else if (name == "/reset") {
            conv.reset();
            std::cerr << "(conversation reset)\n";
        } else if ((name == "/save" || name == "/load") && arg.empty()) {
            std::cerr << name << " needs a file name\n";
        } else if (name == "/save") {
            conv.save(arg);
            std::cerr << "(saved " << conv.turns() << " turns to " << arg << ")\n";
        } else if (name == "/load") {
            conv.load(arg);
            std::cerr << "(loaded " << conv.turns() << " turns from " << arg << ")\n";
        } else {
            std::cerr << "unknown command " << name << " (/help lists them)\n";
        }
    } catch (const error& e) {
        std::cerr << e.what() << "\n";
    }
    return true;
}

}  // namespace

int run_chat(const std::vector<std::string>& args) {
    return guarded("chat", [&] {
        common_options common;
        model_options model;
        std::string system, chat_template_file;
        uint32_t max_reply = 1024;
        bool ignore_eos = false;
        sampling_settings sampling;
        po::options_description options("options");
        add_model_options(options, model);
        options.add_options()
            ("system", po::value(&system)->value_name("TEXT"), "a system message that opens the conversation")
            ("chat-template", po::value(&chat_template_file)->value_name("FILE"),
             "render the conversation with this Jinja template (default: the model's own, else a plain format)")
            ("n-predict,n", po::value(&max_reply)->value_name("N"), "at most N tokens per reply (default 1024)")
            ("ignore-eos", po::bool_switch(&ignore_eos), "write past the end-of-text token, up to -n (tests, benchmarks)");
        add_sampling_options(options, sampling);
        add_common_options(options, common);
        if (!parse_arguments("chat", "-m MODEL [--system TEXT] [--chat-template FILE] [options]", args, options, {}, common)) return 0;
        sampling.validate();
        if (max_reply == 0) throw po::error("-n must be at least 1");
        if (!sampling.seed) sampling.seed = (uint64_t(std::random_device{}()) << 32) | std::random_device{}();

        auto s = open_session(common);
        auto m = load_model(*s, model);
        const std::optional<chat_template> tmpl = choose_chat_template(m.eng->file(), chat_template_file.empty() ? s->config.model.chat_template : chat_template_file);
        chat_conversation conv(*m.tok, tmpl ? &*tmpl : nullptr, system);
        const bool interactive = isatty(STDIN_FILENO) != 0;
        install_interrupt_handler();
        if (interactive)
            std::cerr << "chatting with " << m.eng->file().path().filename().string() << " (context " << m.eng->context()
                      << ", " << (tmpl ? tmpl->name() : std::string("plain format")) << "); /help for commands, Ctrl-D to leave\n";

        chat_input input(STDIN_FILENO);
        uint64_t reply_number = 0;
        for (;;) {
            if (interactive) std::cout << "> " << std::flush;
            std::string text;
            const input_status st = input.read_message(text, interactive);
            if (st == input_status::end) break;
            if (st == input_status::interrupted || stop_requested) {
                stop_requested = 0;
                if (interactive) std::cout << "\n(Ctrl-D or /quit to leave)\n";
                continue;
            }
            if (text.find_first_not_of(" \t") == std::string::npos) continue;
            if (text[0] == '/') {
                if (!run_command(text, conv)) break;
                continue;
            }

            conv.add_user(text);
            generation_request request;
            request.prompt = conv.prompt_tokens();
            request.reuse_prefix = true;
            request.ignore_end = ignore_eos;
            request.sampling = sampling;
            request.sampling.seed = *sampling.seed + reply_number++;
            if (request.prompt.size() >= m.eng->context()) {
                std::cerr << "the conversation (" << request.prompt.size() << " tokens) no longer fits the context of "
                          << m.eng->context() << ": /reset, or raise -c\n";
                conv.drop_last_message();
                continue;
            }
            request.max_tokens = std::min<uint32_t>(max_reply, m.eng->context() - uint32_t(request.prompt.size()));

            text_stream stream(*m.tok, conv.stop_strings());
            std::string reply;
            bool stopped_by_user = false, stopped_by_text = false;
            stop_requested = 0;
            const auto timings = generate(*m.eng, *m.tok, request, [&](int32_t token, std::span<const float>) {
                if (stop_requested) {
                    stopped_by_user = true;
                    return false;
                }
                if (m.tok->is_end_of_generation(token)) return ignore_eos;
                const auto step = stream.push(token);
                std::cout << step.text << std::flush;
                reply += step.text;
                stopped_by_text = step.stopped;
                return !step.stopped;
            });
            if (!stopped_by_text) {
                const std::string rest = stream.finish();
                std::cout << rest;
                reply += rest;
            }
            std::cout << "\n" << std::flush;
            stop_requested = 0;
            conv.add_assistant(reply);

            const double gen_s = timings.generation_ms / 1000.0, prompt_s = timings.prompt_ms / 1000.0;
            const uint32_t computed = timings.prompt_tokens - timings.cached_tokens;
            char line[256];
            std::snprintf(line, sizeof line, "[%u tokens, %.1f tok/s; prompt %u tokens (%u cached), %.1f tok/s%s]\n",
                          timings.generated_tokens, gen_s > 0 ? (timings.generated_tokens - 1) / gen_s : 0.0,
                          timings.prompt_tokens, timings.cached_tokens, prompt_s > 0 ? computed / prompt_s : 0.0,
                          stopped_by_user ? "; stopped" : "");
            std::cerr << line << std::flush;
        }
        return 0;
    });
}

}  // namespace plinth::cli
