#pragma once
// One generation request in some API's wire format (OpenAI completions and chat in
// generation_job, Anthropic messages in anthropic_job): the scheduler request it makes, and its
// answer, whole or as server-sent events. The HTTP session drives every API through this.
#include "api_error.hpp"

#include <plinth/scheduler.hpp>

#include <string>

namespace plinth::server {

class api_job {
public:
    virtual ~api_job() = default;
    virtual completion_request make_request() const = 0;
    virtual bool streaming() const = 0;
    virtual const std::string& id() const = 0;
    // Streaming: the events for one token ("" when it releases nothing), and for the end.
    virtual std::string stream_token(const token_event& ev) = 0;
    virtual std::string stream_end(const completion_result& r) = 0;
    // An error after the stream began: the events that report it and end the stream.
    virtual std::string stream_error(const api_error& e) const = 0;
    // Not streaming: collect, then the whole response body.
    virtual void add(const token_event& ev) = 0;
    virtual std::string response_body(const completion_result& r) const = 0;
};

}  // namespace plinth::server
