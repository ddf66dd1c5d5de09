// plinth tokenize: the token ids of a text, space-separated on one line.
#include "cli_common.hpp"

#include <plinth/model_file.hpp>
#include <plinth/tokenizer.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

namespace plinth::cli {

int run_tokenize(const std::vector<std::string>& args) {
    return guarded("tokenize", [&] {
        common_options common;
        std::string model, text, file;
        bool raw = false;
        po::options_description options("options");
        options.add_options()
            ("model,m", po::value(&model)->value_name("MODEL"), "model or vocabulary-only file")
            ("prompt,p", po::value(&text)->value_name("TEXT"), "text to tokenize")
            ("file,f", po::value(&file)->value_name("FILE"), "read the text from a file")
            ("raw", po::bool_switch(&raw), "add no BOS/EOS and treat special-token text as plain text");
        add_common_options(options, common);
        if (!parse_arguments("tokenize", "-m MODEL (-p TEXT | -f FILE) [--raw]", args, options, {}, common)) return 0;
        if (!file.empty()) {
            std::ifstream in(file, std::ios::binary);
            if (!in) throw po::error("cannot read " + file);
            std::stringstream ss;
            ss << in.rdbuf();
            text = ss.str();
        } else if (!args.empty() && text.empty()) {
            bool given = false;
            for (const auto& a : args) given = given || a == "-p" || a == "--prompt";
            if (!given) throw po::error("no text: pass -p TEXT or -f FILE");
        }
        auto s = open_session(common);
        model = resolve_model_argument(s->config, model);
        if (model.empty()) throw po::error("no model given: pass -m MODEL");
        const auto f = model_file::open(s->host, model);
        const auto tok = tokenizer::from_model(*f);
        const auto ids = tok->encode(text, /*add_special=*/!raw, /*parse_special=*/!raw);
        for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
        std::cout << "\n";
        return 0;
    });
}

}  // namespace plinth::cli
