#pragma once
// The endpoints answered at once on the I/O thread (no generation): health, models, metrics and
// the chat page; tokenize and detokenize once their model is at hand. Generation requests go
// through an api_job instead.
#include "server_state.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <string_view>

namespace plinth::server {

struct simple_response {
    simple_response(int s, std::string type, std::string b, std::vector<std::pair<std::string, std::string>> h = {})
        : status(s), content_type(std::move(type)), body(std::move(b)), headers(std::move(h)) {}
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // beyond the common ones
};

// The answer for GET/POST `path`, or nullopt when the path is not one of these endpoints.
// Throws api_error for bad requests.
std::optional<simple_response> answer_simple(const server_state& state, std::string_view method, std::string_view path,
                                             std::string_view body);

// Endpoints that read a model's tokenizer (/tokenize, /detokenize).
bool needs_model(std::string_view path);
simple_response answer_with_model(const api_context& api, std::string_view method, std::string_view path, std::string_view body);

}  // namespace plinth::server
