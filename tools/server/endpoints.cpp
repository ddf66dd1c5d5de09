#include "endpoints.hpp"

#include "web_page.hpp"

#include "api_error.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

namespace plinth::server {
namespace {

using json = nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json parse_object(std::string_view body) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded()) throw api_error(400, "the request body is not valid JSON");
    if (!j.is_object()) throw api_error(400, "the request body must be a JSON object");
    return j;
}

bool flag(const json& j, const char* name, bool fallback) {
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) throw api_error(400, std::string("'") + name + "' must be a boolean", name);
    return it->get<bool>();
}

simple_response tokenize(const server_state& state, std::string_view body) {
    const json j = parse_object(body);
    const auto content = j.find("content");
    if (content == j.end() || !content->is_string()) throw api_error(400, "'content' must be a string", "content");
    const auto ids = state.api.tok.encode(content->get<std::string>(), flag(j, "add_special", false), flag(j, "parse_special", true));
    return {200, "application/json", dump(json{{"tokens", ids}})};
}

simple_response detokenize(const server_state& state, std::string_view body) {
    const json j = parse_object(body);
    const auto tokens = j.find("tokens");
    if (tokens == j.end() || !tokens->is_array()) throw api_error(400, "'tokens' must be an array of token ids", "tokens");
    std::vector<int32_t> ids;
    for (const auto& t : *tokens) {
        if (!t.is_number_integer() || t.get<int64_t>() < 0 || static_cast<uint64_t>(t.get<int64_t>()) >= state.api.tok.vocab_size())
            throw api_error(400, "'tokens' holds something that is not a token id of this model", "tokens");
        ids.push_back(static_cast<int32_t>(t.get<int64_t>()));
    }
    return {200, "application/json", dump(json{{"content", state.api.tok.decode(ids)}})};
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
        return simple_response{200, "text/plain; version=0.0.4; charset=utf-8", state.stats.render(state.api.sched.stats())};
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
        const json model = {{"id", state.api.model_name},
                            {"object", "model"},
                            {"created", static_cast<int64_t>(std::time(nullptr))},
                            {"owned_by", "plinth"},
                            {"max_model_len", state.api.sched.context()}};
        return simple_response{200, "application/json", dump(json{{"object", "list"}, {"data", json::array({model})}})};
    }
    if (path == "/tokenize") {
        only("POST");
        return tokenize(state, body);
    }
    if (path == "/detokenize") {
        only("POST");
        return detokenize(state, body);
    }
    return std::nullopt;
}

}  // namespace plinth::server
