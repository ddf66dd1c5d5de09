#pragma once
// The options every model-running verb shares (model, context, threads, device), and turning
// them plus the config into an engine. Flag > config file > built-in default.
#include "cli_common.hpp"

#include <plinth/engine.hpp>
#include <plinth/sampler.hpp>
#include <plinth/tokenizer.hpp>

#include <memory>
#include <optional>
#include <string>

namespace plinth::cli {

struct model_options {
    std::string model;
    uint32_t context = 0;
    uint32_t threads = 0;
    std::string device;
    std::string placement;  // "0-2:vulkan:0,3-:cpu:0"
    std::vector<std::string> backend_options;  // --backend-option PLUGIN.KEY=VALUE
    bool show_placement = false;
};

void add_model_options(po::options_description& options, model_options& model);
// --temp, --top-k, --top-p, --min-p, --repeat-penalty, --seed.
void add_sampling_options(po::options_description& options, sampling_settings& sampling);

struct loaded_model {
    std::unique_ptr<engine> eng;
    std::unique_ptr<tokenizer> tok;
};
// The KV cache holds kv_tokens tokens when set, else kv_sequences whole contexts (one per sequence
// served together).
loaded_model load_model(const session& s, const model_options& flags, uint32_t kv_sequences = 1, uint32_t kv_tokens = 0);
// The same with another config than the session's (a served model's own settings applied).
loaded_model load_model(const plugin_host& host, const plinth::config& config, const model_options& flags, uint32_t kv_sequences,
                        uint32_t kv_tokens);

}  // namespace plinth::cli
