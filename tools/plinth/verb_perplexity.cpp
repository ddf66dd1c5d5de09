// plinth perplexity: perplexity of a text file, computed as the reference does.
#include "cli_model.hpp"

#include <plinth/perplexity.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace plinth::cli {

int run_perplexity(const std::vector<std::string>& args) {
    return guarded("perplexity", [&] {
        common_options common;
        model_options model;
        std::string file;
        po::options_description options("options");
        add_model_options(options, model);
        options.add_options()("file,f", po::value(&file)->value_name("FILE"), "text to score");
        add_common_options(options, common);
        if (!parse_arguments("perplexity", "-m MODEL -f FILE [-c CTX] [options]", args, options, {}, common)) return 0;
        if (file.empty()) throw po::error("no text: pass -f FILE");
        if (std::filesystem::is_directory(file)) throw po::error(file + " is a folder, not a text file");
        std::ifstream in(file, std::ios::binary);
        if (!in) throw po::error("cannot read " + file);
        std::stringstream ss;
        ss << in.rdbuf();

        auto s = open_session(common);
        // The chunk is the context: -c, else the config's model.context, else 512.
        const uint32_t chunk = model.context ? model.context : s->config.model.context ? s->config.model.context : 512;
        model_options engine_flags = model;
        engine_flags.context = chunk;
        auto m = load_model(*s, engine_flags);
        const auto tokens = m.tok->encode(ss.str(), /*add_special=*/true, /*parse_special=*/false);
        const bool tty = isatty(STDERR_FILENO);
        const auto result = compute_perplexity(*m.eng, tokens, chunk, m.tok->bos(), [&](uint32_t c, double ppl) {
            std::printf("[%u] %.4f\n", c + 1, ppl);
            if (tty) std::fprintf(stderr, "\rchunk %u of %zu", c + 1, tokens.size() / chunk);
        });
        if (tty) std::fprintf(stderr, "\n");
        std::printf("%u chunks of %u tokens, %llu tokens scored\nPPL = %.4f\n", result.chunks, chunk,
                    static_cast<unsigned long long>(result.scored_tokens), result.perplexity);
        return 0;
    });
}

}  // namespace plinth::cli
