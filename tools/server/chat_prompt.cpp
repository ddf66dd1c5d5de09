#include "chat_prompt.hpp"

#include "api_error.hpp"

#include <nlohmann/json.hpp>

namespace plinth::server {
namespace {

std::string fallback_prompt(const std::vector<chat_message>& messages) {
    // System (and developer) text first as plain paragraphs, then "User:" / "Assistant:" turns,
    // ending with an open assistant turn for the model to write.
    std::string out;
    for (const auto& m : messages) {
        if (m.role == "system" || m.role == "developer") out += m.content + "\n\n";
        else if (m.role == "user") out += "User: " + m.content + "\n";
        else if (m.role == "assistant") out += "Assistant: " + m.content + "\n";
        else out += "Tool: " + m.content + "\n";
    }
    out += "Assistant:";
    return out;
}

std::string special_text(const tokenizer& tok, int32_t id) { return id >= 0 ? tok.token_text(id) : std::string(); }

}  // namespace

chat_prompt render_chat_prompt(const std::vector<chat_message>& messages, const chat_template* tmpl, const tokenizer& tok,
                               const std::string& tools) {
    if (tmpl == nullptr) return {fallback_prompt(messages), false};
    // The variables Hugging Face's apply_chat_template gives a template.
    nlohmann::ordered_json vars;
    vars["messages"] = nlohmann::ordered_json::array();
    for (const auto& m : messages) {
        nlohmann::ordered_json msg = {{"role", m.role}, {"content", m.content}};
        if (!m.tool_calls.empty()) msg["tool_calls"] = nlohmann::ordered_json::parse(m.tool_calls);
        if (!m.tool_call_id.empty()) msg["tool_call_id"] = m.tool_call_id;
        if (!m.name.empty()) msg["name"] = m.name;
        vars["messages"].push_back(std::move(msg));
    }
    if (!tools.empty()) vars["tools"] = nlohmann::ordered_json::parse(tools);
    vars["add_generation_prompt"] = true;
    vars["bos_token"] = special_text(tok, tok.bos());
    vars["eos_token"] = special_text(tok, tok.eos());
    chat_prompt out;
    try {
        out.text = tmpl->render(vars);
    } catch (const template_error& e) {
        throw api_error(400, "the model's chat template refused the conversation: " + e.message(), "messages");
    }
    const std::string bos = vars["bos_token"].get<std::string>();
    out.has_bos = !bos.empty() && out.text.compare(0, bos.size(), bos) == 0;
    return out;
}

}  // namespace plinth::server
