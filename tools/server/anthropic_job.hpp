#pragma once
// One request of Anthropic's Messages API (POST /v1/messages) over the same engine: the request
// (system, messages with text / tool_use / tool_result blocks, tools, max_tokens, sampling,
// stop_sequences) turned into a chat prompt, and the answer as a message with thinking, text and
// tool_use content blocks, whole or as Anthropic's stream of events (message_start,
// content_block_start / _delta / _stop, message_delta, message_stop).
#include "api_job.hpp"
#include "generation_job.hpp"
#include "reply_parser.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string_view>

namespace plinth::server {

class anthropic_job final : public api_job {
public:
    // Parses and checks the body, renders and tokenizes the prompt. Throws api_error.
    anthropic_job(const api_context& ctx, std::string_view body, uint64_t serial);

    completion_request make_request() const override;
    bool streaming() const override { return stream_; }
    const std::string& id() const override { return id_; }
    std::string stream_token(const token_event& ev) override;
    std::string stream_end(const completion_result& r) override;
    std::string stream_error(const api_error& e) const override;
    void add(const token_event& ev) override { text_ += ev.text; }
    std::string response_body(const completion_result& r) const override;

private:
    enum class block { none, text, thinking };
    std::string events_for(const reply_parts& parts);
    std::string start_message();
    std::string open_block(block kind);
    std::string close_block();
    nlohmann::json tool_use_json(const tool_call& c, size_t index) const;

    const api_context& ctx_;
    std::string id_;
    std::vector<int32_t> prompt_;
    bool stream_ = false;
    uint32_t max_tokens_ = 0;
    sampling_settings sampling_;
    std::vector<std::string> stop_;
    reply_format format_;
    reply_parser parser_{reply_format{}};
    std::string text_;  // collected when not streaming
    // Streaming state.
    bool started_ = false;
    block open_ = block::none;
    int index_ = -1;    // the current content block
    size_t calls_ = 0;
};

}  // namespace plinth::server
