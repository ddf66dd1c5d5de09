#include "anthropic_job.hpp"

#include "chat_request.hpp"
#include "request_fields.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace plinth::server {
namespace {

using json = nlohmann::json;

std::string event(const char* name, const json& data) { return std::string("event: ") + name + "\ndata: " + dump_json(data) + "\n\n"; }

// A string, or an array of text blocks, as one text.
std::string text_of(const json& content, const std::string& name) {
    if (content.is_string()) return content.get<std::string>();
    if (!content.is_array()) throw bad_field(name, "must be a string or an array of content blocks");
    std::string out;
    for (const auto& b : content) {
        if (!b.is_object() || string_field(b, "type", name) != "text" || !b.contains("text") || !b["text"].is_string())
            throw bad_field(name, "may hold only text blocks here");
        out += b["text"].get<std::string>();
    }
    return out;
}

// Anthropic's messages as the chat messages a template reads (OpenAI's shape: tool calls on the
// assistant message, tool results as `tool` messages).
std::vector<chat_message> convert_messages(const json& body) {
    std::vector<chat_message> out;
    if (const json* system = given(body, "system"))
        out.emplace_back("system", text_of(*system, "system"));
    const json* messages = given(body, "messages");
    if (!messages || !messages->is_array() || messages->empty()) throw bad_field("messages", "must be a non-empty array");
    for (size_t i = 0; i < messages->size(); ++i) {
        const json& m = (*messages)[i];
        const std::string name = "messages[" + std::to_string(i) + "]";
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) throw bad_field(name + ".role", "must be a string");
        const std::string role = m["role"];
        if (role != "user" && role != "assistant") throw bad_field(name + ".role", "must be user or assistant");
        const json* content = given(m, "content");
        if (!content) throw bad_field(name + ".content", "is required");
        if (content->is_string()) {
            out.emplace_back(role, content->get<std::string>());
            continue;
        }
        if (!content->is_array()) throw bad_field(name + ".content", "must be a string or an array of content blocks");
        chat_message msg(role);
        json calls = json::array();
        for (const auto& b : *content) {
            const std::string type = string_field(b, "type", name + ".content");
            if (type == "text" && b.contains("text") && b["text"].is_string()) {
                msg.content += b["text"].get<std::string>();
            } else if (type == "tool_use" && role == "assistant") {
                if (!b.contains("name") || !b["name"].is_string()) throw bad_field(name + ".content", "a tool_use block needs a name");
                calls.push_back({{"id", string_field(b, "id", name + ".content")}, {"type", "function"},
                                 {"function", {{"name", b["name"]}, {"arguments", b.contains("input") ? b["input"] : json::object()}}}});
            } else if (type == "tool_result" && role == "user") {
                chat_message result("tool", given(b, "content") ? text_of(b["content"], name + ".content") : "");
                result.tool_call_id = string_field(b, "tool_use_id", name + ".content");
                out.push_back(std::move(result));
            } else if (type == "thinking" || type == "redacted_thinking") {
                // Earlier reasoning is not shown to the model again.
            } else {
                throw bad_field(name + ".content", "has a block of type '" + type + "', which this server does not take");
            }
        }
        if (!calls.empty()) msg.tool_calls = calls.dump();
        if (!msg.content.empty() || !msg.tool_calls.empty()) out.push_back(std::move(msg));
    }
    return out;
}

// Anthropic's tools as the OpenAI-shaped tools a template reads.
std::string convert_tools(const json& body, bool& allowed) {
    allowed = false;
    const json* tools = given(body, "tools");
    if (!tools) return {};
    if (!tools->is_array()) throw bad_field("tools", "must be an array");
    json out = json::array();
    for (size_t i = 0; i < tools->size(); ++i) {
        const json& t = (*tools)[i];
        if (!t.is_object() || !t.contains("name") || !t["name"].is_string())
            throw bad_field("tools[" + std::to_string(i) + "]", "must be an object with a name");
        out.push_back({{"type", "function"},
                       {"function", {{"name", t["name"]}, {"description", string_field(t, "description", "tools[" + std::to_string(i) + "]")},
                                     {"parameters", t.contains("input_schema") ? t["input_schema"] : json::object()}}}});
    }
    if (out.empty()) return {};
    allowed = true;
    if (const json* choice = given(body, "tool_choice")) {
        const std::string type = string_field(*choice, "type", "tool_choice");
        if (type == "none") allowed = false;
        else if (type != "auto")
            throw bad_field("tool_choice", "may be {\"type\": \"auto\"} or {\"type\": \"none\"} (forcing a tool call is not supported yet)");
    }
    return out.dump();
}

const char* stop_reason(const completion_result& r, bool called) {
    if (r.reason == finish_reason::length) return "max_tokens";
    return called ? "tool_use" : "end_turn";
}

}  // namespace

anthropic_job::anthropic_job(const api_context& ctx, std::string_view text, uint64_t serial) : ctx_(ctx) {
    char id[40];
    std::snprintf(id, sizeof id, "msg_%016llx", static_cast<unsigned long long>(serial));
    id_ = id;
    const json body = request_object(text);

    const json* max = given(body, "max_tokens");
    if (!max || !max->is_number_integer() || max->get<int64_t>() < 1 || max->get<int64_t>() > (1 << 30))
        throw bad_field("max_tokens", "is required: a whole number from 1");
    max_tokens_ = static_cast<uint32_t>(max->get<int64_t>());
    sampling_.temperature = static_cast<float>(number_field(body, "temperature", 0, 1, 1));
    sampling_.top_p = static_cast<float>(number_field(body, "top_p", 0, 1, 1));
    sampling_.top_k = static_cast<int32_t>(number_field(body, "top_k", 0, 1 << 30, 0));
    sampling_.min_p = 0;
    if (const json* stops = given(body, "stop_sequences")) {
        if (!stops->is_array()) throw bad_field("stop_sequences", "must be an array of strings");
        for (const auto& s : *stops) {
            if (!s.is_string()) throw bad_field("stop_sequences", "must be an array of strings");
            if (!s.get<std::string>().empty()) stop_.push_back(s.get<std::string>());
        }
    }
    if (const json* s = given(body, "stream")) {
        if (!s->is_boolean()) throw bad_field("stream", "must be true or false");
        stream_ = s->get<bool>();
    }
    try {
        sampling_.validate();
    } catch (const std::invalid_argument& e) {
        throw api_error(400, e.what());
    }

    const std::vector<chat_message> messages = convert_messages(body);
    bool tools_allowed = false;
    const std::string tools = convert_tools(body, tools_allowed);
    prepared_chat chat = prepare_chat(ctx, messages, tools, tools_allowed, "messages");
    prompt_ = std::move(chat.prompt);
    format_ = chat.format;
    parser_ = reply_parser(format_);
}

completion_request anthropic_job::make_request() const {
    completion_request r;
    r.prompt = prompt_;
    r.max_tokens = max_tokens_;
    r.sampling = sampling_;
    r.stop = stop_;
    r.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(ctx_.request_timeout);
    return r;
}

json anthropic_job::tool_use_json(const tool_call& c, size_t index) const {
    json input = json::parse(c.arguments, nullptr, false);
    if (input.is_discarded() || !input.is_object()) input = json::object();
    return {{"type", "tool_use"}, {"id", "toolu_" + id_.substr(4) + "_" + std::to_string(index)}, {"name", c.name}, {"input", input}};
}

std::string anthropic_job::start_message() {
    if (started_) return {};
    started_ = true;
    const json message = {{"id", id_},
                          {"type", "message"},
                          {"role", "assistant"},
                          {"model", ctx_.model_name},
                          {"content", json::array()},
                          {"stop_reason", nullptr},
                          {"stop_sequence", nullptr},
                          {"usage", {{"input_tokens", prompt_.size()}, {"output_tokens", 0}}}};
    return event("message_start", {{"type", "message_start"}, {"message", message}});
}

std::string anthropic_job::close_block() {
    if (open_ == block::none) return {};
    open_ = block::none;
    return event("content_block_stop", {{"type", "content_block_stop"}, {"index", index_}});
}

std::string anthropic_job::open_block(block kind) {
    if (open_ == kind) return {};
    std::string out = close_block();
    open_ = kind;
    ++index_;
    const json start = kind == block::text ? json{{"type", "text"}, {"text", ""}}
                                           : json{{"type", "thinking"}, {"thinking", ""}, {"signature", ""}};
    return out + event("content_block_start", {{"type", "content_block_start"}, {"index", index_}, {"content_block", start}});
}

std::string anthropic_job::events_for(const reply_parts& parts) {
    std::string out = start_message();
    if (!parts.reasoning.empty()) {
        out += open_block(block::thinking);
        out += event("content_block_delta", {{"type", "content_block_delta"}, {"index", index_},
                                             {"delta", {{"type", "thinking_delta"}, {"thinking", parts.reasoning}}}});
    }
    if (!parts.content.empty()) {
        out += open_block(block::text);
        out += event("content_block_delta",
                     {{"type", "content_block_delta"}, {"index", index_}, {"delta", {{"type", "text_delta"}, {"text", parts.content}}}});
    }
    for (const auto& call : parts.calls) {
        out += close_block();
        json use = tool_use_json(call, calls_++);
        const std::string input = use["input"].dump();
        use["input"] = json::object();
        ++index_;
        out += event("content_block_start", {{"type", "content_block_start"}, {"index", index_}, {"content_block", use}});
        out += event("content_block_delta", {{"type", "content_block_delta"}, {"index", index_},
                                             {"delta", {{"type", "input_json_delta"}, {"partial_json", input}}}});
        out += event("content_block_stop", {{"type", "content_block_stop"}, {"index", index_}});
    }
    return out;
}

std::string anthropic_job::stream_token(const token_event& ev) { return events_for(parser_.push(ev.text)); }

std::string anthropic_job::stream_end(const completion_result& r) {
    std::string out = events_for(parser_.push(r.tail));
    out += events_for(parser_.finish());
    if (index_ < 0) out += open_block(block::text);  // a message has at least one block
    out += close_block();
    out += event("message_delta", {{"type", "message_delta"},
                                   {"delta", {{"stop_reason", stop_reason(r, parser_.called())}, {"stop_sequence", nullptr}}},
                                   {"usage", {{"output_tokens", r.completion_tokens}}}});
    out += event("message_stop", {{"type", "message_stop"}});
    return out;
}

std::string anthropic_job::stream_error(const api_error& e) const {
    return event("error", {{"type", "error"}, {"error", {{"type", e.type}, {"message", e.what()}}}});
}

std::string anthropic_job::response_body(const completion_result& r) const {
    const reply_parts parts = parse_reply(format_, text_ + r.tail);
    json content = json::array();
    if (!parts.reasoning.empty()) content.push_back({{"type", "thinking"}, {"thinking", parts.reasoning}, {"signature", ""}});
    if (!parts.content.empty() || (parts.calls.empty() && parts.reasoning.empty()))
        content.push_back({{"type", "text"}, {"text", parts.content}});
    for (size_t i = 0; i < parts.calls.size(); ++i) content.push_back(tool_use_json(parts.calls[i], i));
    const json body = {{"id", id_},
                       {"type", "message"},
                       {"role", "assistant"},
                       {"model", ctx_.model_name},
                       {"content", content},
                       {"stop_reason", stop_reason(r, !parts.calls.empty())},
                       {"stop_sequence", nullptr},
                       {"usage", {{"input_tokens", r.prompt_tokens}, {"output_tokens", r.completion_tokens}}}};
    return dump_json(body);
}

}  // namespace plinth::server
