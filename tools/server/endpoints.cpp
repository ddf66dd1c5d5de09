#include "endpoints.hpp"

#include "web_page.hpp"

#include "api_error.hpp"
#include "request_fields.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

namespace plinth::server {
namespace {

using json = nlohmann::json;

simple_response tokenize(const api_context& api, std::string_view body) {
    const json j = request_object(body);
    const auto content = j.find("content");
    if (content == j.end() || !content->is_string()) throw api_error(400, "'content' must be a string", "content");
    const auto ids = api.tok.encode(content->get<std::string>(), bool_field(j, "add_special", false), bool_field(j, "parse_special", true));
    return {200, "application/json", dump_json(json{{"tokens", ids}})};
}

simple_response detokenize(const api_context& api, std::string_view body) {
    const json j = request_object(body);
    const auto tokens = j.find("tokens");
    if (tokens == j.end() || !tokens->is_array()) throw api_error(400, "'tokens' must be an array of token ids", "tokens");
    std::vector<int32_t> ids;
    for (const auto& t : *tokens) {
        if (!t.is_number_integer() || t.get<int64_t>() < 0 || static_cast<uint64_t>(t.get<int64_t>()) >= api.tok.vocab_size())
            throw api_error(400, "'tokens' holds something that is not a token id of this model", "tokens");
        ids.push_back(static_cast<int32_t>(t.get<int64_t>()));
    }
    return {200, "application/json", dump_json(json{{"content", api.tok.decode(ids)}})};
}

}  // namespace

std::optional<simple_response> answer_simple(const server_state& state, std::string_view method, std::string_view path,
                                             std::string_view body) {
    const auto only = [&](std::string_view allowed) {
        if (method != allowed) throw api_error(405, "use " + std::string(allowed) + " for " + std::string(path), {}, "invalid_request_error");
    };
    if (path == "/health") {
        only("GET");
        return simple_response{200, "application/json", R"({"status":"ok"})"};
    }
    if (path == "/metrics") {
        only("GET");
        std::vector<metrics_source> sources;
        for (const auto& m : state.models.states())
            sources.push_back({m.stats, m.running.value_or(scheduler_stats{}), m.running.has_value()});
        return simple_response{200, "text/plain; version=0.0.4; charset=utf-8", render_metrics(sources)};
    }
    if (path == "/" || path == "/index.html") {  // the chat page
        only("GET");
        simple_response page{200, "text/html; charset=utf-8", std::string(chat_page()), {}};
        // Revalidated on every load (a new binary may bring a new page); nothing it runs comes
        // from elsewhere.
        page.headers = {{"Cache-Control", "no-cache"},
                        {"X-Content-Type-Options", "nosniff"},
                        {"Referrer-Policy", "no-referrer"},
                        {"Content-Security-Policy",
                         "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'"}};
        return page;
    }
    if (path == "/v1/models") {
        only("GET");
        json data = json::array();
        const auto created = static_cast<int64_t>(std::time(nullptr));
        for (const auto& m : state.models.states()) {
            // OpenAI's fields, then what this server knows of the model's state.
            json model = {{"id", m.name}, {"object", "model"}, {"created", created}, {"owned_by", "plinth"},
                          {"state", m.state}, {"in_use", m.in_use}, {"loads", m.loads}};
            if (m.memory_bytes) model["memory_bytes"] = m.memory_bytes;
            if (m.state == "loaded") {
                model["max_model_len"] = m.context;
                model["idle_seconds"] = m.idle_seconds;
            }
            data.push_back(std::move(model));
        }
        json list = {{"object", "list"}, {"data", std::move(data)}};
        if (state.models.memory_budget()) list["memory_budget_bytes"] = state.models.memory_budget();
        return simple_response{200, "application/json", dump_json(list)};
    }
    return std::nullopt;
}

bool needs_model(std::string_view path) { return path == "/tokenize" || path == "/detokenize"; }

simple_response answer_with_model(const api_context& api, std::string_view method, std::string_view path, std::string_view body) {
    if (method != "POST") throw api_error(405, "use POST for " + std::string(path), {}, "invalid_request_error");
    return path == "/tokenize" ? tokenize(api, body) : detokenize(api, body);
}

}  // namespace plinth::server
