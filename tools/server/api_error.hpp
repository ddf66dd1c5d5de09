#pragma once
// An error the API answers with: an HTTP status and OpenAI's error body
// {"error": {"message", "type", "param", "code"}}.
#include <stdexcept>
#include <string>

namespace plinth::server {

struct api_error : std::runtime_error {
    int status;
    std::string type;
    std::string param;  // the request field at fault; empty: none

    api_error(int status_, std::string message, std::string param_ = {}, std::string type_ = "invalid_request_error")
        : std::runtime_error(std::move(message)), status(status_), type(std::move(type_)), param(std::move(param_)) {}

    // The JSON body, serialised.
    std::string body() const;
};

}  // namespace plinth::server
