// plinth pull OWNER/REPO[:QUANT|:FILE]: fetch a GGUF model from a Hugging Face-compatible server
// into the local store (docs/models.md).
#include "cli_common.hpp"

#include <store/model_pull.hpp>
#include <store/model_selection.hpp>

#include <iostream>

#include <unistd.h>

namespace plinth::cli {

int run_pull(const std::vector<std::string>& args) {
    return guarded("pull", [&] {
        common_options common;
        common.default_log_level = "info";  // say what is resumed or fetched again
        store::pull_request request;
        po::options_description options("options");
        options.add_options()
            ("model", po::value(&request.reference)->value_name("OWNER/REPO[:QUANT|:FILE]"), "what to fetch (the first positional argument)")
            ("revision", po::value(&request.revision)->value_name("REV"), "branch, tag or commit (default: main)");
        add_common_options(options, common);
        po::positional_options_description positional;
        positional.add("model", 1);
        if (!parse_arguments("pull", "OWNER/REPO[:QUANT|:FILE] [--revision REV] [options]", args, options, positional, common)) return 0;
        if (request.reference.empty()) throw po::error("nothing to pull: give OWNER/REPO[:QUANT|:FILE]");
        if (request.revision.empty()) throw po::error("--revision must not be empty");
        try {
            (void)store::parse_reference(request.reference);
        } catch (const std::invalid_argument& e) {
            throw po::error(e.what());
        }
        const plinth::config config = load_config_and_logging(common);
        request.endpoint = store::default_endpoint(config);
        const store::model_store models(store::default_root(config));
        store::http_settings http = store::http_settings_from_environment();
        catch_interrupts();
        http.cancelled = interrupt_requested;
        store::progress_reporter progress(stderr, ::isatty(STDERR_FILENO) == 1);
        try {
            const auto result = store::pull_model(models, request, http, progress);
            const auto& m = result.model;
            std::cout << (result.already_present ? "up to date: " : "pulled: ") << m.name() << " (" << store::format_size(m.size())
                      << (m.files.size() > 1 ? ", " + std::to_string(m.files.size()) + " parts" : std::string()) << ")\n"
                      << "path: " << m.path().string() << "\n";
        } catch (const store::pull_interrupted& e) {
            std::cerr << "plinth pull: " << e.what() << "\n";
            return 130;
        } catch (const store::download_cancelled&) {  // while listing: nothing fetched yet
            std::cerr << "plinth pull: interrupted before any file was fetched\n";
            return 130;
        }
        return 0;
    });
}

}  // namespace plinth::cli
