#pragma once
// One request of OpenAI's Responses API (POST /v1/responses) over the same engine: `input` (a
// string, or message / function_call / function_call_output items) and `instructions` turned
// into a chat prompt, and the answer as output items (reasoning, a message with output_text,
// function_call), whole or as the API's semantic events (response.created ... response.completed
// or response.incomplete, each with its sequence_number).
#include "api_job.hpp"
#include "generation_job.hpp"
#include "reply_parser.hpp"

#include <nlohmann/json.hpp>

#include <optional>

#include <string_view>

namespace plinth::server {

class responses_job final : public api_job {
public:
    // Parses and checks the body, renders and tokenizes the prompt. Throws api_error.
    responses_job(const api_context& ctx, std::string_view body, uint64_t serial);

    completion_request make_request() const override;
    bool streaming() const override { return stream_; }
    const std::string& id() const override { return id_; }
    std::string stream_token(const token_event& ev) override;
    std::string stream_end(const completion_result& r) override;
    std::string stream_error(const api_error& e) const override;
    void add(const token_event& ev) override { text_ += ev.text; }
    std::string response_body(const completion_result& r) const override;

private:
    std::string event(const char* type, nlohmann::json data);
    nlohmann::json response_json(const char* status, const nlohmann::json& output, const completion_result* r) const;
    std::string events_for(const reply_parts& parts);
    std::string close_open_items();

    const api_context& ctx_;
    std::string id_;
    int64_t created_ = 0;
    std::vector<int32_t> prompt_;
    bool stream_ = false;
    std::optional<uint32_t> max_tokens_;
    sampling_settings sampling_;
    std::shared_ptr<const grammar> grammar_;  // text.format json_object / json_schema
    reply_format format_;
    reply_parser parser_{reply_format{}};
    std::string text_;  // collected when not streaming
    // Streaming state: every output item so far (the open reasoning or message one last).
    uint64_t sequence_ = 0;
    bool started_ = false;
    nlohmann::json items_ = nlohmann::json::array();
    int open_ = -1;           // index of the open reasoning / message item, -1: none
    bool open_is_message_ = false;
    size_t calls_ = 0;
};

}  // namespace plinth::server
