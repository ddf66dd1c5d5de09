// plinth serve: an OpenAI-compatible HTTP server over one model (docs/server.md).
#include "cli_chat_template.hpp"
#include "cli_model.hpp"

#include <api_error.hpp>
#include <http_server.hpp>

#include <plinth/scheduler.hpp>

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

namespace plinth::cli {

int run_serve(const std::vector<std::string>& args) {
    return guarded("serve", [&] {
        common_options common;
        common.default_log_level = "info";
        model_options model;
        std::string host, api_key, chat_template_file;
        int port = -1;
        uint32_t parallel = 0, queue = 0, kv_tokens = 0;
        bool queue_set = false;
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
            ("api-key", po::value(&api_key)->value_name("KEY"), "require 'Authorization: Bearer KEY' on /v1/ (default: config)");
        add_common_options(options, common);
        if (!parse_arguments("serve", "-m MODEL [--host ADDRESS] [--port PORT] [--parallel N] [-c CTX] [--api-key KEY] [options]",
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

        // By default every slot may hold a whole context: the KV cache is the context times the slots.
        // A smaller cache is shared as needed (sequences wait, or are preempted and recomputed).
        auto m = load_model(*s, model, settings.parallel, settings.kv_tokens);
        scheduler_options so;
        so.max_running = settings.parallel;
        so.max_waiting = settings.queue;
        auto sched = std::make_unique<scheduler>(*m.eng, *m.tok, so);
        const std::string path = m.eng->file().path().string();
        // The chat template: --chat-template, else the model's own, else the built-in fallback.
        std::optional<chat_template> tmpl = choose_chat_template(m.eng->file(), chat_template_file.empty() ? s->config.model.chat_template : chat_template_file);
        spdlog::info("chat messages are rendered with {}", tmpl ? tmpl->name() : std::string("the built-in fallback format"));
        server::api_context api{*m.tok, *sched, std::filesystem::path(path).stem().string(), settings.request_timeout,
                                tmpl ? &*tmpl : nullptr};
        server::metrics stats(api.model_name);
        server::http_server http(api, stats, settings);
        spdlog::info("serving {} with {} slots, context {}, KV cache {} tokens", api.model_name, settings.parallel,
                     m.eng->context(), m.eng->kv_cache().slot_count());
        std::cout << "listening on http://" << (settings.host.find(':') != std::string::npos ? "[" + settings.host + "]" : settings.host)
                  << ":" << http.port() << std::endl;
        http.run();
        // Requests still running end (as cancelled) while the server's I/O context still exists:
        // their callbacks hold its connections.
        sched.reset();
        spdlog::info("stopped");
        return 0;
    });
}

}  // namespace plinth::cli
