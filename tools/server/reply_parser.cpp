#include "reply_parser.hpp"

#include <nlohmann/json.hpp>

namespace plinth::server {
namespace {

using json = nlohmann::json;

constexpr std::string_view think_open = "<think>", think_close = "</think>";
constexpr std::string_view hermes_open = "<tool_call>", hermes_close = "</tool_call>";
constexpr std::string_view mistral_open = "[TOOL_CALLS]", python_tag = "<|python_tag|>";

// The length of the longest end of `text` that is the start of `tag` (text that may yet become it).
size_t partial_tag(std::string_view text, std::string_view tag) {
    for (size_t n = std::min(text.size(), tag.size() - 1); n > 0; --n)
        if (text.substr(text.size() - n) == tag.substr(0, n)) return n;
    return 0;
}

std::string_view trim_left(std::string_view s) {
    const auto at = s.find_first_not_of(" \t\r\n");
    return at == std::string_view::npos ? std::string_view() : s.substr(at);
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// A call object: {"name": ..., "arguments" or "parameters": {...} or "..."}.
bool call_of(const json& j, tool_call& out) {
    if (!j.is_object() || !j.contains("name") || !j["name"].is_string()) return false;
    out.name = j["name"].get<std::string>();
    const json* args = j.contains("arguments") ? &j["arguments"] : j.contains("parameters") ? &j["parameters"] : nullptr;
    if (args == nullptr) out.arguments = "{}";
    else if (args->is_string()) out.arguments = args->get<std::string>();
    else if (args->is_object()) out.arguments = args->dump();
    else return false;
    return true;
}

}  // namespace

reply_format detect_reply_format(std::string_view source, std::string_view rendered_prompt, bool tools_given) {
    reply_format f;
    f.reasoning = source.find(think_close) != std::string_view::npos;
    if (f.reasoning) {
        const auto end = rendered_prompt.find_last_not_of(" \t\r\n");
        const std::string_view tail = end == std::string_view::npos ? std::string_view() : rendered_prompt.substr(0, end + 1);
        f.starts_in_reasoning = tail.size() >= think_open.size() && tail.substr(tail.size() - think_open.size()) == think_open;
    }
    if (tools_given) {
        if (source.find(hermes_open) != std::string_view::npos) f.tools = tool_call_style::hermes;
        else if (source.find(mistral_open) != std::string_view::npos) f.tools = tool_call_style::mistral;
        else if (source.find(python_tag) != std::string_view::npos || source.find("ipython") != std::string_view::npos)
            f.tools = tool_call_style::llama3;
        else f.tools = tool_call_style::hermes;  // the most common convention for templates that say nothing
    }
    return f;
}

reply_parser::reply_parser(reply_format format) : format_(format) {
    if (format_.reasoning && format_.starts_in_reasoning) mode_ = mode::reasoning;
}

reply_parts reply_parser::push(std::string_view text) {
    held_.append(text);
    reply_parts out;
    run(out, false);
    return out;
}

reply_parts reply_parser::finish() {
    reply_parts out;
    run(out, true);
    return out;
}

bool reply_parser::parse_calls(const std::string& text, reply_parts& out) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) return false;
    std::vector<tool_call> calls;
    if (j.is_array()) {
        for (const auto& item : j) {
            tool_call c;
            if (!call_of(item, c)) return false;
            calls.push_back(std::move(c));
        }
    } else {
        tool_call c;
        if (!call_of(j, c)) return false;
        calls.push_back(std::move(c));
    }
    if (calls.empty()) return false;
    for (auto& c : calls) out.calls.push_back(std::move(c));
    called_ = true;
    return true;
}

void reply_parser::run(reply_parts& out, bool final) {
    for (;;) {
        switch (mode_) {
        case mode::undecided: {
            // How the reply opens: reasoning, a Llama 3 call, or plain content. After reasoning,
            // the blank lines before the answer are dropped.
            if (skip_space_) held_ = std::string(trim_left(held_));
            const std::string_view start = trim_left(held_);
            const bool may_think = format_.reasoning, may_llama = format_.tools == tool_call_style::llama3;
            if (may_think && starts_with(start, think_open)) {
                held_ = std::string(start.substr(think_open.size()));
                mode_ = mode::reasoning;
                format_.reasoning = false;  // one reasoning block
                continue;
            }
            skip_space_ = skip_space_ && start.empty();
            if (may_llama && starts_with(start, python_tag)) {
                held_ = std::string(start.substr(python_tag.size()));
                mode_ = mode::llama3_call;
                continue;
            }
            if (may_llama && starts_with(start, "{")) {
                mode_ = mode::llama3_call;
                continue;
            }
            const bool undecided = start.empty() || (may_think && starts_with(think_open, start)) ||
                                   (may_llama && starts_with(python_tag, start));
            if (undecided && !final) return;
            mode_ = mode::content;
            skip_space_ = false;
            continue;
        }
        case mode::reasoning: {
            const auto at = held_.find(think_close);
            if (at != std::string::npos) {
                out.reasoning += held_.substr(0, at);
                held_.erase(0, at + think_close.size());
                format_.reasoning = false;
                skip_space_ = true;
                mode_ = mode::undecided;
                continue;
            }
            const size_t keep = final ? 0 : partial_tag(held_, think_close);
            out.reasoning += held_.substr(0, held_.size() - keep);
            held_.erase(0, held_.size() - keep);
            return;
        }
        case mode::content: {
            const std::string_view tag = format_.tools == tool_call_style::hermes    ? hermes_open
                                         : format_.tools == tool_call_style::mistral ? mistral_open
                                                                                     : std::string_view();
            if (!tag.empty()) {
                if (const auto at = held_.find(tag); at != std::string::npos) {
                    out.content += held_.substr(0, at);
                    held_.erase(0, at + tag.size());
                    mode_ = format_.tools == tool_call_style::hermes ? mode::tool_call : mode::mistral_calls;
                    continue;
                }
            }
            const size_t keep = final || tag.empty() ? 0 : partial_tag(held_, tag);
            out.content += held_.substr(0, held_.size() - keep);
            held_.erase(0, held_.size() - keep);
            return;
        }
        case mode::tool_call: {
            const auto at = held_.find(hermes_close);
            if (at != std::string::npos) {
                const std::string body = held_.substr(0, at);
                held_.erase(0, at + hermes_close.size());
                if (!parse_calls(body, out)) out.content += std::string(hermes_open) + body + std::string(hermes_close);
                mode_ = mode::content;
                continue;
            }
            if (!final) return;
            // Ended without its closing tag (a model may stop right after the JSON).
            if (!parse_calls(held_, out)) out.content += std::string(hermes_open) + held_;
            held_.clear();
            return;
        }
        case mode::mistral_calls:
        case mode::llama3_call: {
            if (!final) return;  // the calls run to the end of the reply
            if (!parse_calls(held_, out))
                out.content += (mode_ == mode::mistral_calls ? std::string(mistral_open) : std::string()) + held_;
            held_.clear();
            return;
        }
        }
    }
}

}  // namespace plinth::server
