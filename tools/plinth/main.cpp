// plinth: the management CLI. `plinth VERB [options]`; each verb lives in its own verb_*.cpp.
#include "cli_common.hpp"

#include <iostream>
#include <string>
#include <vector>

namespace plinth::cli {

int run_plugins(const std::vector<std::string>& args);
int run_devices(const std::vector<std::string>& args);
int run_inspect(const std::vector<std::string>& args);
int run_config(const std::vector<std::string>& args);
int run_run(const std::vector<std::string>& args);
int run_chat(const std::vector<std::string>& args);
int run_tokenize(const std::vector<std::string>& args);
int run_perplexity(const std::vector<std::string>& args);
int run_bench(const std::vector<std::string>& args);
int run_quantize(const std::vector<std::string>& args);
int run_make_model(const std::vector<std::string>& args);
int run_serve(const std::vector<std::string>& args);
int run_template(const std::vector<std::string>& args);
int run_ps(const std::vector<std::string>& args);
int run_pull(const std::vector<std::string>& args);
int run_ls(const std::vector<std::string>& args);
int run_rm(const std::vector<std::string>& args);
int run_show(const std::vector<std::string>& args);
int run_conformance(const std::vector<std::string>& args);

const std::vector<verb>& verbs() {
    static const std::vector<verb> table = {
        {"run", "generate text from a prompt", run_run},
        {"chat", "a conversation with a model in the terminal (one turn per line when scripted)", run_chat},
        {"serve", "an OpenAI-compatible HTTP server with continuous batching", run_serve},
        {"ps", "the models a running server has loaded", run_ps},
        {"tokenize", "print the token ids of a text", run_tokenize},
        {"template", "render a chat template with a JSON file of variables", run_template},
        {"perplexity", "perplexity of a text file, as the reference computes it", run_perplexity},
        {"bench", "prefill and decode speed, load time and peak memory", run_bench},
        {"plugins", "list every plugin found: loaded, disabled or refused (and why)", run_plugins},
        {"devices", "list the devices of every loaded backend", run_devices},
        {"conformance", "certify a backend plugin: every op against the CPU reference, a per-op table", run_conformance},
        {"pull", "fetch a GGUF model from Hugging Face into the local store", run_pull},
        {"ls", "list the models in the local store", run_ls},
        {"show", "where a stored model came from, and what inspect says about it", run_show},
        {"rm", "delete a model from the local store", run_rm},
        {"inspect", "show a model file's architecture, shape and weight types", run_inspect},
        {"quantize", "rewrite a model with its weights in another type (Q4_K_M, Q8_0, ...)", run_quantize},
        {"make-model", "write a Llama model of any shape with random weights", run_make_model},
        {"config", "check deployment files: `plinth config validate FILE...`", run_config},
    };
    return table;
}

namespace {

void print_overview(std::ostream& out) {
    out << "plinth " << PLINTH_VERSION << ": a plugin-based LLM inference runtime\n\n"
        << "usage: plinth VERB [options]\n\nverbs:\n";
    for (const auto& v : verbs()) out << "  " << v.name << std::string(12 - std::string(v.name).size(), ' ') << v.summary << "\n";
    out << "  help        `plinth help VERB` shows a verb's options\n\n"
        << "every verb accepts --config FILE and --log-level LEVEL\n";
}

const verb* find_verb(const std::string& name) {
    for (const auto& v : verbs())
        if (name == v.name) return &v;
    return nullptr;
}

}  // namespace
}  // namespace plinth::cli

int main(int argc, char** argv) {
    using namespace plinth::cli;
    std::vector<std::string> args(argv + 1, argv + argc);
    // The options every verb takes may also come before the verb (`plinth --log-level info run ...`):
    // they are handed to the verb after its own arguments.
    std::vector<std::string> common;
    while (args.size() >= 2 && (args[0] == "--config" || args[0] == "--log-level")) {
        common.insert(common.end(), args.begin(), args.begin() + 2);
        args.erase(args.begin(), args.begin() + 2);
    }
    while (!args.empty() && (args[0].rfind("--config=", 0) == 0 || args[0].rfind("--log-level=", 0) == 0)) {
        common.push_back(args[0]);
        args.erase(args.begin());
    }
    if (args.empty()) {
        print_overview(std::cerr);
        return 1;
    }
    const std::string& first = args[0];
    if (first == "--version" || first == "version") {
        std::cout << "plinth " << PLINTH_VERSION << " (plugin ABI " << PLINTH_ABI_MAJOR << "." << PLINTH_ABI_MINOR << ")\n";
        return 0;
    }
    if (first == "--help" || first == "-h") {
        print_overview(std::cout);
        return 0;
    }
    if (first == "help") {
        if (args.size() == 1 || args[1] == "help") {
            print_overview(std::cout);
            return 0;
        }
        const verb* v = find_verb(args[1]);
        if (!v) {
            std::cerr << "plinth help: unknown verb '" << args[1] << "'\n";
            return 1;
        }
        return v->run({"--help"});
    }
    const verb* v = find_verb(first);
    if (!v) {
        std::cerr << "plinth: unknown verb '" << first << "'\n\n";
        print_overview(std::cerr);
        return 1;
    }
    std::vector<std::string> verb_args(args.begin() + 1, args.end());
    verb_args.insert(verb_args.end(), common.begin(), common.end());
    return v->run(verb_args);
}
