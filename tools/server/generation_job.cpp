#include "generation_job.hpp"

#include "api_error.hpp"
#include "chat_request.hpp"
#include "request_fields.hpp"
#include "tool_choice.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>

namespace plinth::server {
namespace {

using json = nlohmann::json;

// Generated text may hold bytes that are not UTF-8 (byte tokens): they become U+FFFD.

json bytes_of(const std::string& s) {
    json a = json::array();
    for (unsigned char c : s) a.push_back(c);
    return a;
}

}  // namespace

generation_job::generation_job(const api_context& ctx, std::string_view body, api_kind kind, uint64_t serial)
    : ctx_(ctx), params_(parse_generation_request(body, kind)) {
    char id[40];
    std::snprintf(id, sizeof id, "%s-%llx", kind == api_kind::chat ? "chatcmpl" : "cmpl", static_cast<unsigned long long>(serial));
    id_ = id;
    created_ = static_cast<int64_t>(std::time(nullptr));

    const char* field = kind == api_kind::chat ? "messages" : "prompt";
    if (params_.prompt_is_tokens) {
        prompt_ = params_.prompt_tokens;
        for (int32_t t : prompt_)
            if (static_cast<size_t>(t) >= ctx.tok.vocab_size())
                throw api_error(400, "token id " + std::to_string(t) + " is outside the vocabulary (" +
                                         std::to_string(ctx.tok.vocab_size()) + " tokens)", field);
    } else {
        if (kind == api_kind::chat) {
            prepared_chat chat = prepare_chat(ctx, params_.messages, params_.tools, params_.tool_calls_allowed, field);
            prompt_ = std::move(chat.prompt);
            format_ = chat.format;
            parser_ = reply_parser(format_);
            if (params_.tool_call_forced)
                params_.constraint = compile_grammar(forced_call_grammar(params_.tools, params_.forced_function, format_), "tool_choice");
        } else {
            prompt_ = ctx.tok.encode(params_.prompt_text, /*add_special=*/true, /*parse_special=*/true);
        }
    }
    if (prompt_.empty()) throw api_error(400, "the prompt is empty", field);
    const uint32_t context = ctx.sched.context();
    if (prompt_.size() >= context)
        throw api_error(400, "the prompt has " + std::to_string(prompt_.size()) + " tokens; the context holds " +
                                 std::to_string(context) + " (with room for at least one generated token)", field);
}

completion_request generation_job::make_request() const {
    completion_request r;
    r.prompt = prompt_;
    r.max_tokens = params_.max_tokens.value_or(ctx_.sched.context());
    r.sampling = params_.sampling;
    r.stop = params_.stop;
    r.ignore_eos = params_.ignore_eos;
    r.logprobs = params_.logprobs;
    r.top_logprobs = params_.top_logprobs;
    r.constraint = params_.constraint;
    r.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(ctx_.request_timeout);
    return r;
}

nlohmann::json generation_job::usage_json(const completion_result& r) const {
    return json{{"prompt_tokens", r.prompt_tokens},
                     {"completion_tokens", r.completion_tokens},
                     {"total_tokens", r.prompt_tokens + r.completion_tokens},
                     {"prompt_tokens_details", {{"cached_tokens", r.cached_tokens}}}};
}

namespace {

// Completions' logprobs: parallel arrays.
void add_completion_logprobs(json& lp, const tokenizer& tok, const token_event& ev, size_t text_offset) {
    lp["tokens"].push_back(tok.token_piece(ev.token));
    lp["token_logprobs"].push_back(ev.logprob);
    json top = json::object();
    for (const auto& t : ev.top) top[tok.token_piece(t.token)] = t.logprob;
    lp["top_logprobs"].push_back(top);
    lp["text_offset"].push_back(text_offset);
}

// Chat's logprobs: one object per token.
json chat_logprob(const tokenizer& tok, const token_event& ev) {
    const std::string piece = tok.token_piece(ev.token);
    json top = json::array();
    for (const auto& t : ev.top) {
        const std::string p = tok.token_piece(t.token);
        top.push_back({{"token", p}, {"logprob", t.logprob}, {"bytes", bytes_of(p)}});
    }
    return {{"token", piece}, {"logprob", ev.logprob}, {"bytes", bytes_of(piece)}, {"top_logprobs", top}};
}

json empty_completion_logprobs() {
    return {{"tokens", json::array()}, {"token_logprobs", json::array()}, {"top_logprobs", json::array()}, {"text_offset", json::array()}};
}

}  // namespace

std::string generation_job::chunk(const std::string& text, const token_event* ev, const char* finish) const {
    json choice = {{"index", 0}, {"logprobs", nullptr}, {"finish_reason", finish ? json(finish) : json(nullptr)}};
    json c;
    if (params_.kind == api_kind::chat) {
        json delta = json::object();
        if (!role_sent_) delta["role"] = "assistant";
        if (!text.empty() || !finish) delta["content"] = text;
        choice["delta"] = delta;
        if (ev && params_.logprobs) choice["logprobs"] = {{"content", json::array({chat_logprob(ctx_.tok, *ev)})}};
        c = {{"id", id_}, {"object", "chat.completion.chunk"}, {"created", created_}, {"model", ctx_.model_name}};
    } else {
        choice["text"] = text;
        if (ev && params_.logprobs) {
            json lp = empty_completion_logprobs();
            add_completion_logprobs(lp, ctx_.tok, *ev, 0);
            choice["logprobs"] = lp;
        }
        c = {{"id", id_}, {"object", "text_completion"}, {"created", created_}, {"model", ctx_.model_name}};
    }
    c["choices"] = json::array({choice});
    if (params_.include_usage) c["usage"] = nullptr;
    return "data: " + dump_json(c) + "\n\n";
}

json generation_job::tool_call_json(const tool_call& c, size_t index, bool with_index) const {
    json j = {{"id", id_ + "-call-" + std::to_string(index)}, {"type", "function"},
              {"function", {{"name", c.name}, {"arguments", c.arguments}}}};
    if (with_index) j["index"] = index;
    return j;
}

std::string generation_job::chat_chunks(const reply_parts& parts, const token_event* ev) {
    json c = {{"id", id_}, {"object", "chat.completion.chunk"}, {"created", created_}, {"model", ctx_.model_name}};
    std::string out;
    const auto send = [&](json delta, bool with_logprobs) {
        if (!role_sent_) delta["role"] = "assistant";
        role_sent_ = true;
        json choice = {{"index", 0}, {"delta", delta}, {"logprobs", nullptr}, {"finish_reason", nullptr}};
        if (with_logprobs && ev && params_.logprobs) choice["logprobs"] = {{"content", json::array({chat_logprob(ctx_.tok, *ev)})}};
        c["choices"] = json::array({choice});
        if (params_.include_usage) c["usage"] = nullptr;
        out += "data: " + dump_json(c) + "\n\n";
    };
    if (!parts.reasoning.empty()) send({{"reasoning_content", parts.reasoning}}, false);
    if (!parts.content.empty() || (ev && params_.logprobs && parts.empty()) || (!role_sent_ && parts.empty() && ev))
        send({{"content", parts.content}}, true);
    for (const auto& call : parts.calls) send({{"content", nullptr}, {"tool_calls", json::array({tool_call_json(call, calls_sent_++, true)})}}, false);
    return out;
}

std::string generation_job::stream_token(const token_event& ev) {
    if (params_.kind == api_kind::chat) return chat_chunks(parser_.push(ev.text), &ev);
    if (ev.text.empty() && !params_.logprobs && role_sent_) return {};
    std::string out = chunk(ev.text, &ev, nullptr);
    role_sent_ = true;
    return out;
}

std::string generation_job::stream_end(const completion_result& r) {
    std::string out;
    const char* finish = finish_reason_name(r.reason);
    if (params_.kind == api_kind::chat) {
        reply_parts parts = parser_.push(r.tail);
        merge_parts(parts, parser_.finish());
        out += chat_chunks(parts, nullptr);
        if (parser_.called() && r.reason == finish_reason::stop) finish = "tool_calls";
    } else if (!r.tail.empty()) {
        out += chunk(r.tail, nullptr, nullptr);
        role_sent_ = true;
    }
    out += chunk("", nullptr, finish);
    if (params_.include_usage) {
        json c = {{"id", id_},
                  {"object", params_.kind == api_kind::chat ? "chat.completion.chunk" : "text_completion"},
                  {"created", created_},
                  {"model", ctx_.model_name},
                  {"choices", json::array()},
                  {"usage", usage_json(r)}};
        out += "data: " + dump_json(c) + "\n\n";
    }
    out += "data: [DONE]\n\n";
    return out;
}

void generation_job::add(const token_event& ev) {
    text_ += ev.text;
    if (params_.logprobs) events_.push_back(ev);
}

std::string generation_job::response_body(const completion_result& r) const {
    const std::string text = text_ + r.tail;
    json choice = {{"index", 0}, {"logprobs", nullptr}, {"finish_reason", finish_reason_name(r.reason)}};
    json body;
    if (params_.kind == api_kind::chat) {
        const reply_parts parts = parse_reply(format_, text);
        json message = {{"role", "assistant"}, {"content", parts.content}};
        if (!parts.reasoning.empty()) message["reasoning_content"] = parts.reasoning;
        if (!parts.calls.empty()) {
            if (parts.content.empty()) message["content"] = nullptr;
            message["tool_calls"] = json::array();
            for (size_t i = 0; i < parts.calls.size(); ++i) message["tool_calls"].push_back(tool_call_json(parts.calls[i], i, false));
            if (r.reason == finish_reason::stop) choice["finish_reason"] = "tool_calls";
        }
        choice["message"] = message;
        if (params_.logprobs) {
            json content = json::array();
            for (const auto& ev : events_) content.push_back(chat_logprob(ctx_.tok, ev));
            choice["logprobs"] = {{"content", content}};
        }
        body = {{"id", id_}, {"object", "chat.completion"}, {"created", created_}, {"model", ctx_.model_name}};
    } else {
        choice["text"] = text;
        if (params_.logprobs) {
            json lp = empty_completion_logprobs();
            size_t offset = 0;
            for (const auto& ev : events_) {
                add_completion_logprobs(lp, ctx_.tok, ev, offset);
                offset += ev.text.size();
            }
            choice["logprobs"] = lp;
        }
        body = {{"id", id_}, {"object", "text_completion"}, {"created", created_}, {"model", ctx_.model_name}};
    }
    body["choices"] = json::array({choice});
    body["usage"] = usage_json(r);
    return dump_json(body);
}

}  // namespace plinth::server
