// libFuzzer target for the server's request handling past the JSON parse: a request body becomes
// an Anthropic Messages, OpenAI Responses, chat or completion job, each of which checks its fields,
// renders the conversation through the chat template and tokenizes it, as `plinth serve` does
// before a request reaches the scheduler. The first byte picks the API, the rest is the body. A
// job is made or refused with api_error (a 4xx); anything else escaping, a sanitizer report or a
// slow input is a finding.
//
// It needs a real model and the plugins, found at start from the environment:
//   PLINTH_FUZZ_MODEL     a GGUF file (e.g. ../shared/models/stories260K.gguf)
//   PLINTH_FUZZ_TEMPLATE  a chat template file (optional; else the model's, else the fallback)
//   PLINTH_PLUGIN_PATH    the plugin folder (e.g. build/lib/plinth/plugins of the normal build)
#include <anthropic_job.hpp>
#include <api_error.hpp>
#include <generation_job.hpp>
#include <responses_job.hpp>

#include <plinth/chat_template.hpp>
#include <plinth/engine.hpp>
#include <plinth/plugin_host.hpp>
#include <plinth/scheduler.hpp>
#include <plinth/tokenizer.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace {

using namespace plinth;

struct served {
    plugin_host host;
    std::unique_ptr<engine> eng;
    std::unique_ptr<tokenizer> tok;
    std::optional<chat_template> tmpl;
    std::unique_ptr<scheduler> sched;
    std::unique_ptr<server::api_context> ctx;
};

served* model = nullptr;

[[noreturn]] void give_up(const std::string& why) {
    std::fprintf(stderr, "fuzz_api_jobs: %s\n", why.c_str());
    std::exit(2);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const char* path = std::getenv("PLINTH_FUZZ_MODEL");
    if (!path || !*path) give_up("set PLINTH_FUZZ_MODEL to a GGUF model (and PLINTH_PLUGIN_PATH to the plugins)");
    try {
        model = new served;  // never freed: the scheduler's thread lives as long as the process
        // The plugins the runs need; others (a GPU driver's loader) may keep allocations to the end,
        // which LeakSanitizer would report as the harness's at exit.
        plugin_search search;
        search.enable = {"cpu", "gguf"};
        model->host.load(search);
        model->eng = std::make_unique<engine>(model->host, path, engine_options{});
        model->tok = tokenizer::from_model(model->eng->file());
        if (const char* file = std::getenv("PLINTH_FUZZ_TEMPLATE"); file && *file) {
            std::ifstream in(file, std::ios::binary);
            if (!in) give_up(std::string("cannot read the chat template ") + file);
            model->tmpl = chat_template::parse(std::string(std::istreambuf_iterator<char>(in), {}), file);
        } else if (auto source = model->eng->file().get_string("tokenizer.chat_template")) {
            model->tmpl = chat_template::parse(std::move(*source), "tokenizer.chat_template");
        }
        model->sched = std::make_unique<scheduler>(*model->eng, *model->tok, scheduler_options{});
        model->ctx.reset(new server::api_context{*model->tok, *model->sched, "fuzz", 600, model->tmpl ? &*model->tmpl : nullptr});
    } catch (const std::exception& e) {
        give_up(e.what());
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        switch (data[0] % 4) {
        case 0: (void)server::anthropic_job(*model->ctx, body, 1).make_request(); break;
        case 1: (void)server::responses_job(*model->ctx, body, 1).make_request(); break;
        case 2: (void)server::generation_job(*model->ctx, body, server::api_kind::chat, 1).make_request(); break;
        default: (void)server::generation_job(*model->ctx, body, server::api_kind::completion, 1).make_request(); break;
        }
    } catch (const server::api_error& e) {
        if (e.status < 400 || e.status > 499) __builtin_trap();
        (void)e.body();
    }
    return 0;
}
