#include "responses_job.hpp"

#include "chat_request.hpp"
#include "request_fields.hpp"

#include <cstdio>
#include <ctime>

namespace plinth::server {
namespace {

using json = nlohmann::json;

// A string, or an array of input_text / output_text parts, as one text.
std::string text_of(const json& content, const std::string& name) {
    if (content.is_string()) return content.get<std::string>();
    if (!content.is_array()) throw bad_field(name, "must be a string or an array of content parts");
    std::string out;
    for (const auto& p : content) {
        const std::string type = string_field(p, "type", name);
        if ((type != "input_text" && type != "output_text" && type != "text") || !p.contains("text") || !p["text"].is_string())
            throw bad_field(name, "has a part of type '" + type + "', which this server does not take (text only)");
        out += p["text"].get<std::string>();
    }
    return out;
}

// The input items as the chat messages a template reads: consecutive function calls become one
// assistant message's tool_calls, their outputs `tool` messages.
std::vector<chat_message> convert_input(const json& body) {
    std::vector<chat_message> out;
    if (const json* instructions = given(body, "instructions")) {
        if (!instructions->is_string()) throw bad_field("instructions", "must be a string");
        out.emplace_back("system", instructions->get<std::string>());
    }
    const json* input = given(body, "input");
    if (!input) throw bad_field("input", "is required");
    if (input->is_string()) {
        out.emplace_back("user", input->get<std::string>());
        return out;
    }
    if (!input->is_array() || input->empty()) throw bad_field("input", "must be a string or a non-empty array of items");
    for (size_t i = 0; i < input->size(); ++i) {
        const json& item = (*input)[i];
        const std::string name = "input[" + std::to_string(i) + "]";
        if (!item.is_object()) throw bad_field(name, "must be an object");
        const std::string type = string_field(item, "type", name, item.contains("role") ? "message" : "");
        if (type == "message") {
            const std::string role = string_field(item, "role", name);
            if (role != "user" && role != "system" && role != "developer" && role != "assistant")
                throw bad_field(name + ".role", "must be user, system, developer or assistant");
            if (!item.contains("content")) throw bad_field(name + ".content", "is required");
            out.emplace_back(role, text_of(item["content"], name + ".content"));
        } else if (type == "function_call") {
            if (!item.contains("name") || !item["name"].is_string()) throw bad_field(name + ".name", "must be a string");
            json args = json::object();
            if (item.contains("arguments") && item["arguments"].is_string()) {
                args = json::parse(item["arguments"].get<std::string>(), nullptr, false);
                if (args.is_discarded()) args = item["arguments"];
            }
            const json call = {{"id", string_field(item, "call_id", name)}, {"type", "function"}, {"function", {{"name", item["name"]}, {"arguments", args}}}};
            if (out.empty() || out.back().role != "assistant" || out.back().tool_calls.empty()) {
                out.emplace_back("assistant");
                out.back().tool_calls = json::array({call}).dump();
            } else {
                json calls = json::parse(out.back().tool_calls);
                calls.push_back(call);
                out.back().tool_calls = calls.dump();
            }
        } else if (type == "function_call_output") {
            chat_message result("tool", item.contains("output") ? text_of(item["output"], name + ".output") : "");
            result.tool_call_id = string_field(item, "call_id", name);
            out.push_back(std::move(result));
        } else if (type == "reasoning") {
            // Earlier reasoning is not shown to the model again.
        } else {
            throw bad_field(name + ".type", "'" + type + "' is not an input item this server takes");
        }
    }
    return out;
}

std::string convert_tools(const json& body, bool& allowed) {
    allowed = false;
    const json* tools = given(body, "tools");
    if (!tools) return {};
    if (!tools->is_array()) throw bad_field("tools", "must be an array");
    json out = json::array();
    for (size_t i = 0; i < tools->size(); ++i) {
        const json& t = (*tools)[i];
        if (!t.is_object() || string_field(t, "type", "tools[" + std::to_string(i) + "]") != "function" || !t.contains("name") || !t["name"].is_string())
            throw bad_field("tools[" + std::to_string(i) + "]", "must be a function tool with a name (other tool types are not supported)");
        out.push_back({{"type", "function"},
                       {"function", {{"name", t["name"]}, {"description", string_field(t, "description", "tools[" + std::to_string(i) + "]")},
                                     {"parameters", t.contains("parameters") ? t["parameters"] : json::object()}}}});
    }
    if (out.empty()) return {};
    allowed = true;
    if (const json* choice = given(body, "tool_choice")) {
        if (choice->is_string() && choice->get<std::string>() == "none") allowed = false;
        else if (!(choice->is_string() && choice->get<std::string>() == "auto"))
            throw bad_field("tool_choice", "may be \"auto\" or \"none\" (forcing a tool call is not supported yet)");
    }
    return out.dump();
}

}  // namespace

responses_job::responses_job(const api_context& ctx, std::string_view text, uint64_t serial) : ctx_(ctx) {
    char id[40];
    std::snprintf(id, sizeof id, "resp_%016llx", static_cast<unsigned long long>(serial));
    id_ = id;
    created_ = static_cast<int64_t>(std::time(nullptr));
    const json body = request_object(text);

    if (const json* max = given(body, "max_output_tokens")) {
        if (!max->is_number_integer() || max->get<int64_t>() < 1 || max->get<int64_t>() > (1 << 30))
            throw bad_field("max_output_tokens", "must be a whole number from 1");
        max_tokens_ = static_cast<uint32_t>(max->get<int64_t>());
    }
    sampling_.temperature = static_cast<float>(number_field(body, "temperature", 0, 2, 1));
    sampling_.top_p = static_cast<float>(number_field(body, "top_p", 0, 1, 1));
    sampling_.top_k = 0;
    sampling_.min_p = 0;
    if (const json* s = given(body, "stream")) {
        if (!s->is_boolean()) throw bad_field("stream", "must be true or false");
        stream_ = s->get<bool>();
    }
    if (const json* t = given(body, "text")) {
        if (!t->is_object()) throw bad_field("text", "must be an object");
        // The Responses API puts json_schema's name, schema and strict in the format object itself.
        if (given(*t, "format")) {
            // Parsed again keeping key order: a schema's properties are generated in declared order.
            const auto ordered = nlohmann::ordered_json::parse(text);
            grammar_ = response_format_grammar(ordered["text"]["format"], "text.format", /*flat=*/true);
        }
    }
    try {
        sampling_.validate();
    } catch (const std::invalid_argument& e) {
        throw api_error(400, e.what());
    }

    const std::vector<chat_message> messages = convert_input(body);
    bool tools_allowed = false;
    const std::string tools = convert_tools(body, tools_allowed);
    prepared_chat chat = prepare_chat(ctx, messages, tools, tools_allowed, "input");
    prompt_ = std::move(chat.prompt);
    format_ = chat.format;
    parser_ = reply_parser(format_);
}

completion_request responses_job::make_request() const {
    completion_request r;
    r.prompt = prompt_;
    r.max_tokens = max_tokens_.value_or(ctx_.sched.context());
    r.sampling = sampling_;
    r.constraint = grammar_;
    r.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(ctx_.request_timeout);
    return r;
}

json responses_job::response_json(const char* status, const json& output, const completion_result* r) const {
    json j = {{"id", id_},
              {"object", "response"},
              {"created_at", created_},
              {"status", status},
              {"error", nullptr},
              {"incomplete_details", nullptr},
              {"instructions", nullptr},
              {"max_output_tokens", max_tokens_ ? json(*max_tokens_) : json(nullptr)},
              {"model", ctx_.model_name},
              {"output", output},
              {"parallel_tool_calls", true},
              {"temperature", sampling_.temperature},
              {"top_p", sampling_.top_p},
              {"tool_choice", "auto"},
              {"tools", json::array()},
              {"usage", nullptr}};
    if (std::string(status) == "incomplete") j["incomplete_details"] = {{"reason", "max_output_tokens"}};
    if (r)
        j["usage"] = {{"input_tokens", r->prompt_tokens},
                      {"input_tokens_details", {{"cached_tokens", r->cached_tokens}}},
                      {"output_tokens", r->completion_tokens},
                      {"output_tokens_details", {{"reasoning_tokens", 0}}},
                      {"total_tokens", r->prompt_tokens + r->completion_tokens}};
    return j;
}

std::string responses_job::event(const char* type, json data) {
    data["type"] = type;
    data["sequence_number"] = sequence_++;
    return std::string("event: ") + type + "\ndata: " + dump_json(data) + "\n\n";
}

std::string responses_job::close_open_items() {
    if (open_ < 0) return {};
    json& item = items_[size_t(open_)];
    const int index = open_;
    open_ = -1;
    std::string out;
    const std::string item_id = item["id"];
    if (open_is_message_) {
        const json part = item["content"][0];
        out += event("response.output_text.done", {{"item_id", item_id}, {"output_index", index}, {"content_index", 0}, {"text", part["text"]}});
        out += event("response.content_part.done", {{"item_id", item_id}, {"output_index", index}, {"content_index", 0}, {"part", part}});
    } else {
        out += event("response.reasoning_text.done",
                     {{"item_id", item_id}, {"output_index", index}, {"content_index", 0}, {"text", item["content"][0]["text"]}});
    }
    item["status"] = "completed";
    out += event("response.output_item.done", {{"output_index", index}, {"item", item}});
    return out;
}

std::string responses_job::events_for(const reply_parts& parts) {
    std::string out;
    if (!started_) {
        started_ = true;
        out += event("response.created", {{"response", response_json("in_progress", json::array(), nullptr)}});
        out += event("response.in_progress", {{"response", response_json("in_progress", json::array(), nullptr)}});
    }
    // Text goes to the open item of its kind, opening one (and closing the other) as needed.
    const auto append = [&](const std::string& text, bool message) {
        if (text.empty()) return;
        if (open_ >= 0 && open_is_message_ != message) out += close_open_items();
        const int index = int(items_.size());
        if (open_ < 0) {
            const std::string item_id = (message ? "msg_" : "rs_") + id_.substr(5) + "_" + std::to_string(index);
            json item = message ? json{{"type", "message"}, {"id", item_id}, {"status", "in_progress"}, {"role", "assistant"}, {"content", json::array()}}
                                : json{{"type", "reasoning"}, {"id", item_id}, {"summary", json::array()}, {"content", json::array()}};
            out += event("response.output_item.added", {{"output_index", index}, {"item", item}});
            const json part = message ? json{{"type", "output_text"}, {"text", ""}, {"annotations", json::array()}}
                                      : json{{"type", "reasoning_text"}, {"text", ""}};
            if (message) out += event("response.content_part.added", {{"item_id", item_id}, {"output_index", index}, {"content_index", 0}, {"part", part}});
            item["content"].push_back(part);
            items_.push_back(item);
            open_ = index;
            open_is_message_ = message;
        }
        json& item = items_[size_t(open_)];
        item["content"][0]["text"] = item["content"][0]["text"].get<std::string>() + text;
        out += event(message ? "response.output_text.delta" : "response.reasoning_text.delta",
                     {{"item_id", item["id"]}, {"output_index", open_}, {"content_index", 0}, {"delta", text}});
    };
    append(parts.reasoning, false);
    append(parts.content, true);
    for (const auto& call : parts.calls) {
        out += close_open_items();
        const int index = int(items_.size());
        const std::string n = std::to_string(calls_++);
        json item = {{"type", "function_call"}, {"id", "fc_" + id_.substr(5) + "_" + n}, {"call_id", "call_" + id_.substr(5) + "_" + n},
                     {"name", call.name}, {"arguments", ""}, {"status", "in_progress"}};
        out += event("response.output_item.added", {{"output_index", index}, {"item", item}});
        out += event("response.function_call_arguments.delta", {{"item_id", item["id"]}, {"output_index", index}, {"delta", call.arguments}});
        out += event("response.function_call_arguments.done", {{"item_id", item["id"]}, {"output_index", index}, {"arguments", call.arguments}});
        item["arguments"] = call.arguments;
        item["status"] = "completed";
        out += event("response.output_item.done", {{"output_index", index}, {"item", item}});
        items_.push_back(item);
    }
    return out;
}

std::string responses_job::stream_token(const token_event& ev) { return events_for(parser_.push(ev.text)); }

std::string responses_job::stream_end(const completion_result& r) {
    std::string out = events_for(parser_.push(r.tail));
    out += events_for(parser_.finish());
    out += close_open_items();
    const bool incomplete = r.reason == finish_reason::length;
    for (auto& item : items_)
        if (item["type"] == "message" && incomplete) item["status"] = "incomplete";
    out += event(incomplete ? "response.incomplete" : "response.completed",
                 {{"response", response_json(incomplete ? "incomplete" : "completed", items_, &r)}});
    return out;
}

std::string responses_job::stream_error(const api_error& e) const {
    const json data = {{"type", "error"}, {"code", e.type}, {"message", e.what()}, {"param", nullptr}, {"sequence_number", sequence_}};
    return "event: error\ndata: " + dump_json(data) + "\n\n";
}

std::string responses_job::response_body(const completion_result& r) const {
    const reply_parts parts = parse_reply(format_, text_ + r.tail);
    const bool incomplete = r.reason == finish_reason::length;
    const std::string base = id_.substr(5);
    json output = json::array();
    if (!parts.reasoning.empty())
        output.push_back({{"type", "reasoning"}, {"id", "rs_" + base + "_0"}, {"summary", json::array()},
                          {"content", json::array({{{"type", "reasoning_text"}, {"text", parts.reasoning}}})}});
    if (!parts.content.empty() || (parts.calls.empty() && parts.reasoning.empty()))
        output.push_back({{"type", "message"}, {"id", "msg_" + base + "_" + std::to_string(output.size())},
                          {"status", incomplete ? "incomplete" : "completed"}, {"role", "assistant"},
                          {"content", json::array({{{"type", "output_text"}, {"text", parts.content}, {"annotations", json::array()}}})}});
    for (size_t i = 0; i < parts.calls.size(); ++i)
        output.push_back({{"type", "function_call"}, {"id", "fc_" + base + "_" + std::to_string(i)},
                          {"call_id", "call_" + base + "_" + std::to_string(i)}, {"name", parts.calls[i].name},
                          {"arguments", parts.calls[i].arguments}, {"status", "completed"}});
    return dump_json(response_json(incomplete ? "incomplete" : "completed", output, &r));
}

}  // namespace plinth::server
