#include "chat_request.hpp"

#include "api_error.hpp"
#include "chat_prompt.hpp"

namespace plinth::server {

prepared_chat prepare_chat(const api_context& ctx, const std::vector<chat_message>& messages, const std::string& tools,
                           bool tool_calls_allowed, const char* field) {
    if (!tools.empty() && ctx.chat_format == nullptr)
        throw api_error(400, "tools need a chat template, and this model has none (start the server with --chat-template)", "tools");
    // A template that writes BOS itself must not get a second one from the tokenizer.
    const chat_prompt chat = render_chat_prompt(messages, ctx.chat_format, ctx.tok, tools);
    prepared_chat out;
    out.prompt = ctx.tok.encode(chat.text, /*add_special=*/!chat.has_bos, /*parse_special=*/true);
    if (out.prompt.empty()) throw api_error(400, "the prompt is empty", field);
    if (out.prompt.size() >= ctx.sched.context())
        throw api_error(400, "the prompt has " + std::to_string(out.prompt.size()) + " tokens; the context holds " +
                                 std::to_string(ctx.sched.context()) + " (with room for at least one generated token)", field);
    out.format = detect_reply_format(ctx.chat_format ? std::string_view(ctx.chat_format->source()) : std::string_view(), chat.text,
                                     tool_calls_allowed);
    return out;
}

void merge_parts(reply_parts& parts, reply_parts more) {
    parts.content += more.content;
    parts.reasoning += more.reasoning;
    for (auto& c : more.calls) parts.calls.push_back(std::move(c));
}

reply_parts parse_reply(const reply_format& format, const std::string& text) {
    reply_parser parser(format);
    reply_parts parts = parser.push(text);
    merge_parts(parts, parser.finish());
    return parts;
}

}  // namespace plinth::server
