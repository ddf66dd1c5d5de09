#include "cli_model.hpp"

namespace plinth::cli {

void add_model_options(po::options_description& options, model_options& model) {
    options.add_options()
        ("model,m", po::value(&model.model)->value_name("MODEL"), "model file (default: the config's model.path)")
        ("ctx-size,c", po::value(&model.context)->value_name("N"), "context size in tokens (default: config, else the model's, at most 4096)")
        ("threads,t", po::value(&model.threads)->value_name("N"), "CPU threads (default: config, else physical cores)")
        ("device", po::value(&model.device)->value_name("ID"), "device to run on, e.g. cpu:0 (default: cpu:0)");
}

loaded_model load_model(const session& s, const model_options& flags) {
    const std::string path = !flags.model.empty() ? flags.model : s.config.model.path;
    if (path.empty()) throw po::error("no model given: pass -m MODEL or set model.path in --config");
    engine_options options;
    options.context = flags.context ? flags.context : s.config.model.context;
    if (flags.threads) options.threads = flags.threads;
    else options.threads = s.config.backends.cpu.threads;
    if (!flags.device.empty()) options.device = flags.device;
    loaded_model m;
    m.eng = std::make_unique<engine>(s.host, path, options);
    m.tok = tokenizer::from_model(m.eng->file());
    return m;
}

}  // namespace plinth::cli
