#pragma once
// One completion or chat completion request from parse to answer: its checked parameters and
// prompt tokens, the scheduler request made of them, and the OpenAI JSON it answers with, whole
// or as server-sent-event chunks. Knows nothing of sockets.
#include "api_job.hpp"
#include "generation_params.hpp"
#include "reply_parser.hpp"

#include <plinth/chat_template.hpp>
#include <plinth/scheduler.hpp>
#include <plinth/tokenizer.hpp>

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace plinth::server {

// What every request handler reads; outlives the server.
struct api_context {
    const tokenizer& tok;
    scheduler& sched;
    std::string model_name;
    uint32_t request_timeout = 600;              // seconds
    const chat_template* chat_format = nullptr;  // the chat template; null: the built-in fallback format
};

class generation_job final : public api_job {
public:
    // Parses and checks the body, renders and tokenizes the prompt. Throws api_error.
    generation_job(const api_context& ctx, std::string_view body, api_kind kind, uint64_t serial);

    completion_request make_request() const override;
    bool streaming() const override { return params_.stream; }
    const std::string& id() const override { return id_; }
    uint32_t prompt_size() const { return static_cast<uint32_t>(prompt_.size()); }

    // Streaming: the SSE text for one token ("" when it releases nothing), and for the end
    // (the rest of the text, the finish reason, usage when asked, then [DONE]).
    std::string stream_token(const token_event& ev) override;
    std::string stream_end(const completion_result& r) override;
    std::string stream_error(const api_error& e) const override { return "data: " + e.body() + "\n\ndata: [DONE]\n\n"; }
    // Not streaming: collect, then the whole response body.
    void add(const token_event& ev) override;
    std::string response_body(const completion_result& r) const override;

private:
    std::string chunk(const std::string& text, const token_event* ev, const char* finish) const;
    // Chat streaming: the chunks of what the reply parser released (reasoning, content, tool calls).
    std::string chat_chunks(const reply_parts& parts, const token_event* ev);
    nlohmann::json tool_call_json(const tool_call& c, size_t index, bool with_index) const;
    nlohmann::json usage_json(const completion_result& r) const;

    const api_context& ctx_;
    generation_params params_;
    std::vector<int32_t> prompt_;
    std::string id_;
    int64_t created_ = 0;
    bool role_sent_ = false;
    reply_format format_;          // chat: how the model's reply splits (reasoning, tool calls)
    reply_parser parser_{reply_format{}};
    size_t calls_sent_ = 0;
    // Collected when not streaming.
    std::string text_;
    std::vector<token_event> events_;
};

}  // namespace plinth::server
