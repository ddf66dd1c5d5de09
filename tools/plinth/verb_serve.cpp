// plinth serve: an OpenAI-compatible HTTP server over one model or several (docs/server.md).
#include "cli_chat_template.hpp"
#include "cli_model.hpp"

#include "format_bytes.hpp"

#include <api_error.hpp>
#include <http_server.hpp>
#include <model_pool.hpp>

#include <plinth/backend_options.hpp>
#include <plinth/scheduler.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

namespace plinth::cli {

namespace {

// The models a --models-dir offers: every .gguf file in it, named by its file name without .gguf.
std::vector<served_model_settings> models_in(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) throw po::error("--models-dir " + dir.string() + " is not a folder");
    std::vector<served_model_settings> out;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (!e.is_regular_file() || e.path().extension() != ".gguf") continue;
        served_model_settings m;
        m.name = e.path().stem().string();
        m.path = e.path().string();
        out.push_back(std::move(m));
    }
    if (ec) throw po::error("--models-dir " + dir.string() + ": " + ec.message());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    if (out.empty()) throw po::error("--models-dir " + dir.string() + " holds no .gguf file");
    return out;
}

// A served model's own settings over the config's top-level ones.
plinth::config config_for(const plinth::config& base, const served_model_settings& m, const plugin_host& host) {
    plinth::config c = base;
    if (m.context) c.model.context = m.context;
    if (m.placement) c.placement = *m.placement;
    if (m.threads) set_where_declared(c.backends, host, "threads", std::to_string(*m.threads));
    if (!m.chat_template.empty()) c.model.chat_template = m.chat_template;
    return c;
}

}  // namespace

int run_serve(const std::vector<std::string>& args) {
    return guarded("serve", [&] {
        common_options common;
        common.default_log_level = "info";
        model_options model;
        std::string host, api_key, chat_template_file, models_dir, memory_budget;
        int port = -1;
        uint32_t parallel = 0, queue = 0, kv_tokens = 0, keep_alive = 0;
        bool queue_set = false, keep_alive_set = false;
        po::options_description options("options");
        add_model_options(options, model);
        options.add_options()
            ("host", po::value(&host)->value_name("ADDRESS"), "address to listen on (default: config, else 127.0.0.1)")
            ("port", po::value(&port)->value_name("PORT"), "port to listen on; 0 = any free port (default: config, else 8080)")
            ("parallel", po::value(&parallel)->value_name("N"), "sequences decoded together (default: config, else 4)")
            ("queue", po::value<uint32_t>()->value_name("N")->notifier([&](uint32_t v) { queue = v; queue_set = true; }),
             "requests that may wait beyond those; more get 503 (default: config, else 64)")
            ("kv-tokens", po::value(&kv_tokens)->value_name("N"),
             "tokens the KV cache holds for all requests, at least one context (default: config, else context x parallel)")
            ("chat-template", po::value(&chat_template_file)->value_name("FILE"),
             "render chat messages with this Jinja template (default: the model's tokenizer.chat_template, else a plain format)")
            ("api-key", po::value(&api_key)->value_name("KEY"), "require 'Authorization: Bearer KEY' on /v1/ (default: config)")
            ("models-dir", po::value(&models_dir)->value_name("DIR"),
             "serve every .gguf file in DIR, named by its file name, each loaded on its first request")
            ("memory-budget", po::value(&memory_budget)->value_name("SIZE"),
             "memory the loaded models may take together, e.g. 8GiB; least recently used ones unload (default: config, else no limit)")
            ("keep-alive", po::value<uint32_t>()->value_name("SECONDS")->notifier([&](uint32_t v) { keep_alive = v; keep_alive_set = true; }),
             "unload a model idle this long; 0 = never (default: config, else 0)");
        add_common_options(options, common);
        if (!parse_arguments("serve", "-m MODEL [--host ADDRESS] [--port PORT] [--parallel N] [-c CTX] [--api-key KEY] [options]\n"
                                      "       plinth serve --config FILE (with a models: list) | --models-dir DIR [options]",
                             args, options, {}, common))
            return 0;
        if (port < -1 || port > 65535) throw po::error("--port must be between 0 and 65535");

        auto s = open_session(common);
        server_settings settings = s->config.server;
        if (!host.empty()) settings.host = host;
        if (port >= 0) settings.port = static_cast<uint16_t>(port);
        if (parallel) settings.parallel = parallel;
        if (queue_set) settings.queue = queue;
        if (!api_key.empty()) settings.api_key = api_key;
        if (kv_tokens) settings.kv_tokens = kv_tokens;
        if (keep_alive_set) settings.keep_alive = keep_alive;
        if (!memory_budget.empty()) {
            try {
                settings.memory_budget = parse_size(memory_budget);
            } catch (const std::exception& e) {
                throw po::error("--memory-budget: " + std::string(e.what()));
            }
        }

        // Several models (the config's models: list, --models-dir), each loaded on first use with
        // its own settings; or one, from -m or model.path, loaded now.
        std::vector<served_model_settings> models = s->config.models;
        if (!models_dir.empty())
            for (auto& m : models_in(models_dir)) {
                for (const auto& other : models)
                    if (other.name == m.name) throw po::error("model name '" + m.name + "' is both in the config's models and in --models-dir");
                models.push_back(std::move(m));
            }
        const bool several = !models.empty();
        server::pool_options po_options;
        po_options.load_wait = std::chrono::seconds(settings.request_timeout);
        server::model_loader loader;
        std::unique_ptr<server::served_model> preloaded;
        if (several) {
            if (!model.model.empty() || model.context || model.threads || !model.device.empty() || !model.placement.empty() ||
                !chat_template_file.empty() || !model.backend_options.empty())
                throw po::error("with a models list (config or --models-dir), set -m, -c, -t, --device, --placement, --backend-option and --chat-template "
                                "per model in the config's models: entries");
            // A file or store name that is not there fails now, not on the first request.
            for (const auto& m : models) {
                if (!m.from_store && !std::filesystem::is_regular_file(m.path))
                    throw po::error("model '" + m.name + "': no such model file: " + m.path);
                if (m.from_store) resolve_model_argument(s->config, m.path);
            }
            po_options.memory_budget = settings.memory_budget;
            po_options.keep_alive = std::chrono::seconds(settings.keep_alive);
            loader = [&s, &settings](const served_model_settings& m) {
                const plinth::config c = config_for(s->config, m, s->host);
                model_options flags;
                flags.model = m.path;  // load_model resolves store names
                const uint32_t slots = m.parallel ? m.parallel : settings.parallel;
                auto lm = load_model(s->host, c, flags, slots, m.kv_tokens ? m.kv_tokens : settings.kv_tokens);
                std::optional<chat_template> tmpl = choose_chat_template(lm.eng->file(), c.model.chat_template);
                scheduler_options so;
                so.max_running = slots;
                so.max_waiting = settings.queue;
                return std::make_unique<server::served_model>(m.name, std::move(lm.eng), std::move(lm.tok), std::move(tmpl), so,
                                                              settings.request_timeout);
            };
        } else {
            // By default every slot may hold a whole context: the KV cache is the context times the
            // slots. A smaller cache is shared as needed (sequences wait, or are preempted and recomputed).
            auto m = load_model(*s, model, settings.parallel, settings.kv_tokens);
            const std::string path = m.eng->file().path().string();
            // The chat template: --chat-template, else the model's own, else the built-in fallback.
            std::optional<chat_template> tmpl =
                choose_chat_template(m.eng->file(), chat_template_file.empty() ? s->config.model.chat_template : chat_template_file);
            spdlog::info("chat messages are rendered with {}", tmpl ? tmpl->name() : std::string("the built-in fallback format"));
            scheduler_options so;
            so.max_running = settings.parallel;
            so.max_waiting = settings.queue;
            served_model_settings one;
            one.name = std::filesystem::path(path).stem().string();
            one.path = path;
            models.push_back(one);
            preloaded = std::make_unique<server::served_model>(one.name, std::move(m.eng), std::move(m.tok), std::move(tmpl), so,
                                                               settings.request_timeout);
            spdlog::info("serving {} with {} slots, context {}, KV cache {} tokens", one.name, settings.parallel,
                         preloaded->eng().context(), preloaded->eng().kv_cache().slot_count());
            // Requests may name any model: there is one (clients send names such as gpt-4o-mini).
            po_options.any_name = true;
            loader = [&preloaded](const served_model_settings&) {
                if (!preloaded) throw plinth::error("the model was unloaded and cannot be loaded again");
                return std::move(preloaded);
            };
        }
        // Destroyed after the HTTP server: requests still open at the end hold leases on models.
        server::model_pool pool(models, loader, po_options);
        if (!several) pool.acquire_now("");  // loaded: the preloaded model joins the pool
        else {
            std::string names;
            for (const auto& m : models) names += (names.empty() ? "" : ", ") + m.name;
            spdlog::info("serving {} models, each loaded on its first request: {}{}", models.size(), names,
                         settings.memory_budget ? " (memory budget " + format_bytes(settings.memory_budget) + ")" : std::string());
        }
        server::http_server http(pool, settings);
        std::cout << "listening on http://" << (settings.host.find(':') != std::string::npos ? "[" + settings.host + "]" : settings.host)
                  << ":" << http.port() << std::endl;
        http.run();
        // Requests still running end (as cancelled) while the server's I/O context still exists:
        // their callbacks hold its connections.
        pool.stop_all();
        spdlog::info("stopped");
        return 0;
    });
}

}  // namespace plinth::cli
