#include "cli_model.hpp"

#include <plinth/backend_options.hpp>

#include <iostream>
#include <optional>

namespace plinth::cli {

void add_sampling_options(po::options_description& options, sampling_settings& sampling) {
    options.add_options()
        ("temp", po::value(&sampling.temperature)->value_name("T"), "temperature; 0 (or below) = greedy (default 0.8)")
        ("top-k", po::value(&sampling.top_k)->value_name("K"), "keep the K most likely tokens; 0 = off (default 40)")
        ("top-p", po::value(&sampling.top_p)->value_name("P"), "nucleus sampling; 1 = off (default 0.95)")
        ("min-p", po::value(&sampling.min_p)->value_name("P"), "drop tokens below P x the top probability; 0 = off (default 0.05)")
        ("repeat-penalty", po::value(&sampling.repeat_penalty)->value_name("R"), "penalise recent tokens; 1 = off (default 1)")
        ("seed", po::value<uint64_t>()->value_name("S")->notifier([&sampling](uint64_t v) { sampling.seed = v; }),
         "random seed (default: random)");
}

void add_model_options(po::options_description& options, model_options& model) {
    options.add_options()
        ("model,m", po::value(&model.model)->value_name("MODEL"), "model file or store name (default: the config's model.path)")
        ("ctx-size,c", po::value(&model.context)->value_name("N"), "context size in tokens (default: config, else the model's, at most 4096)")
        ("threads,t", po::value(&model.threads)->value_name("N"),
         "threads of every backend with a 'threads' option, e.g. the CPU's (default: config, else the backend's own)")
        ("backend-option", po::value(&model.backend_options)->value_name("PLUGIN.KEY=VALUE")->composing(),
         "set a backend plugin's option, e.g. cpu.simd=avx2 (`plinth plugins --options` lists them; repeatable)")
        ("device", po::value(&model.device)->value_name("ID"), "run everything on this device, e.g. vulkan:0 (overrides the config's placement)")
        ("placement", po::value(&model.placement)->value_name("RULES"), "layer placement, e.g. \"0-2:vulkan:0,3-:cpu:0\" (overrides the config's)")
        ("show-placement", po::bool_switch(&model.show_placement), "print the placement plan to stderr before running");
}

loaded_model load_model(const session& s, const model_options& flags, uint32_t kv_sequences, uint32_t kv_tokens) {
    return load_model(s.host, s.config, flags, kv_sequences, kv_tokens);
}

loaded_model load_model(const plugin_host& host, const plinth::config& config, const model_options& flags, uint32_t kv_sequences,
                        uint32_t kv_tokens) {
    const std::string path = resolve_model_argument(config, flags.model);
    if (path.empty()) throw po::error("no model given: pass -m MODEL or set model.path in --config");
    engine_options options;
    options.context = flags.context ? flags.context : config.model.context;
    // The backends' options: the config's sections, then --backend-option, then -t (threads of
    // every backend that has that option), each checked against what the plugin declares.
    auto backends = config.backends;
    for (const auto& assignment : flags.backend_options) {
        try {
            add_backend_option(backends, assignment);
            const std::string plugin = assignment.substr(0, assignment.find('.'));
            if (!host.find(PLINTH_PLUGIN_BACKEND, plugin))
                throw std::invalid_argument("no backend plugin named '" + plugin + "' is loaded (see `plinth plugins`)");
        } catch (const std::invalid_argument& e) {
            throw po::error(std::string("--backend-option: ") + e.what());
        }
    }
    if (flags.threads) set_where_declared(backends, host, "threads", std::to_string(flags.threads));
    if (auto problems = check_backend_settings(backends, host); !problems.empty()) throw config_error(std::move(problems));
    options.backend_options = backend_option_values(backends);
    options.placement = config.placement;
    if (!flags.device.empty() && !flags.placement.empty())
        throw po::error("--device and --placement both say where to run: pass one of them");
    if (!flags.device.empty()) {
        options.device = flags.device;
        options.placement = {};
    }
    if (!flags.placement.empty()) {
        try {
            options.placement = {};
            options.placement.rules = parse_placement_flag(flags.placement);
        } catch (const std::exception& e) {
            throw po::error("--placement: " + std::string(e.what()));
        }
    }
    options.kv_sequences = kv_sequences;
    options.kv_tokens = kv_tokens;
    loaded_model m;
    m.eng = std::make_unique<engine>(host, path, options);
    if (flags.show_placement) std::cerr << m.eng->placement().describe() << std::flush;
    m.tok = tokenizer::from_model(m.eng->file());
    return m;
}

}  // namespace plinth::cli
