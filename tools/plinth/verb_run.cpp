// plinth run: generate text from a prompt, streamed to stdout; timings to stderr.
#include "cli_model.hpp"

#include <plinth/generate.hpp>
#include <plinth/json_schema.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <iostream>
#include <sstream>

namespace plinth::cli {

int run_run(const std::vector<std::string>& args) {
    return guarded("run", [&] {
        common_options common;
        model_options model;
        std::string prompt, prompt_file;
        bool prompt_given = false;
        uint32_t n_predict = 128;
        bool echo = false;
        std::string grammar_file, schema_file;
        sampling_settings sampling;
        po::options_description options("options");
        add_model_options(options, model);
        options.add_options()
            ("prompt,p", po::value(&prompt)->value_name("TEXT")->notifier([&](const std::string&) { prompt_given = true; }),
             "the prompt (may be empty: the model starts from its first token alone)")
            ("file,f", po::value(&prompt_file)->value_name("FILE"), "read the prompt from a file")
            ("n-predict,n", po::value(&n_predict)->value_name("N"), "tokens to generate (default 128)")
            ("echo", po::bool_switch(&echo), "print the prompt before the continuation")
            ("grammar", po::value(&grammar_file)->value_name("FILE"), "constrain the output to this grammar (docs/sampling.md)")
            ("json-schema", po::value(&schema_file)->value_name("FILE"), "constrain the output to JSON valid under this schema");
        add_sampling_options(options, sampling);
        add_common_options(options, common);
        if (!parse_arguments("run", "-m MODEL -p PROMPT [-n N] [--temp T] [options]", args, options, {}, common)) return 0;
        if (prompt_given && !prompt_file.empty()) throw po::error("-p and -f both give the prompt: pass one of them");
        if (!prompt_file.empty()) {
            if (std::filesystem::is_directory(prompt_file)) throw po::error("the prompt file " + prompt_file + " is a folder");
            std::ifstream in(prompt_file, std::ios::binary);
            if (in) prompt.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
            if (!in.is_open() || in.bad()) throw po::error("cannot read the prompt file " + prompt_file);
        } else if (!prompt_given) {
            throw po::error("no prompt: pass -p TEXT or -f FILE");
        }
        sampling.validate();
        if (!grammar_file.empty() && !schema_file.empty()) throw po::error("--grammar and --json-schema: pass one of them");
        std::shared_ptr<const grammar> constraint;
        const auto read = [](const std::string& path) {
            std::ifstream in(path, std::ios::binary);
            if (!in || std::filesystem::is_directory(path)) throw po::error("cannot read " + path);
            return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        };
        // Checked before the model loads: a bad grammar fails fast, with its position.
        if (!grammar_file.empty()) constraint = std::make_shared<const grammar>(grammar::parse(read(grammar_file)));
        if (!schema_file.empty()) {
            const auto schema = nlohmann::ordered_json::parse(read(schema_file), nullptr, false);
            if (schema.is_discarded()) throw po::error(schema_file + " is not valid JSON");
            constraint = std::make_shared<const grammar>(grammar::parse(json_schema_grammar(schema)));
        }
        // Drawn here rather than in the sampler, so that the summary can say which seed to pass again.
        if (!sampling.seed) sampling.seed = (uint64_t(std::random_device{}()) << 32) | std::random_device{}();
        const uint64_t seed_used = *sampling.seed;

        const auto started = std::chrono::steady_clock::now();
        const auto seconds_since = [](std::chrono::steady_clock::time_point t) {
            return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
        };
        auto s = open_session(common);
        auto m = load_model(*s, model);
        const double load_s = seconds_since(started);
        generation_request request;
        request.prompt = m.tok->encode(prompt, /*add_special=*/true, /*parse_special=*/true);
        request.max_tokens = n_predict;
        request.sampling = sampling;
        request.constraint = constraint;

        if (echo) std::cout << prompt << std::flush;
        stream_decoder decoder(*m.tok);
        const auto timings = generate(*m.eng, *m.tok, request, [&](int32_t token, std::span<const float>) {
            if (!m.tok->is_end_of_generation(token)) std::cout << decoder.push(token) << std::flush;
            return true;
        });
        std::cout << decoder.flush() << "\n" << std::flush;

        const auto rate = [](uint32_t n, double ms) { return ms > 0 ? 1000.0 * n / ms : 0.0; };
        // One summary line: what was read and written, how fast, how long in all, and the seed
        // that reproduces a sampled run.
        char line[256];
        std::snprintf(line, sizeof line, "prompt: %u tokens, %.1f tok/s; generation: %u tokens, %.1f tok/s; load %.2f s, total %.2f s",
                      timings.prompt_tokens, rate(timings.prompt_tokens, timings.prompt_ms), timings.generated_tokens,
                      rate(timings.generated_tokens > 0 ? timings.generated_tokens - 1 : 0, timings.generation_ms), load_s,
                      seconds_since(started));
        std::cerr << line;
        if (sampling.temperature > 0) std::cerr << "; seed " << seed_used;
        if (constraint) {
            std::snprintf(line, sizeof line, "; grammar: trie %.1f ms, mask %.3f ms/token (%.1f%% of generation)",
                          timings.index_ms, timings.generated_tokens ? timings.mask_ms / timings.generated_tokens : 0.0,
                          timings.generation_ms > 0 ? 100.0 * timings.mask_ms / timings.generation_ms : 0.0);
            std::cerr << line;
        }
        std::cerr << "\n";
        return 0;
    });
}

}  // namespace plinth::cli
