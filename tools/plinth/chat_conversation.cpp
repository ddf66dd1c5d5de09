#include "chat_conversation.hpp"

#include <plinth/error.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>

namespace plinth::cli {
namespace {

// What follows an assistant message in the template's rendering: render a conversation whose
// last message is the assistant's, with a marker as its text, and take the text after the marker
// (up to its first line break: "<|im_end|>", "<end_of_turn>", "</s>"). Empty when the template
// writes nothing there, or refuses the probe.
std::string turn_end(const chat_template& tmpl, const tokenizer& tok) {
    const std::string marker = "\x01reply\x01";
    nlohmann::ordered_json vars;
    vars["messages"] = nlohmann::ordered_json::array({{{"role", "user"}, {"content", "hi"}}, {{"role", "assistant"}, {"content", marker}}});
    vars["add_generation_prompt"] = false;
    vars["bos_token"] = tok.bos() >= 0 ? tok.token_text(tok.bos()) : "";
    vars["eos_token"] = tok.eos() >= 0 ? tok.token_text(tok.eos()) : "";
    try {
        const std::string text = tmpl.render(vars);
        const auto at = text.find(marker);
        if (at == std::string::npos) return {};
        std::string end = text.substr(at + marker.size());
        const auto first = end.find_first_not_of(" \t\r\n");
        if (first == std::string::npos) return {};
        end = end.substr(first);
        return end.substr(0, end.find_first_of("\r\n"));
    } catch (const template_error&) {
        return {};
    }
}

}  // namespace

chat_conversation::chat_conversation(const tokenizer& tok, const chat_template* tmpl, std::string system)
    : tok_(tok), tmpl_(tmpl), system_(std::move(system)) {
    reset();
    if (tmpl_) {
        if (std::string end = turn_end(*tmpl_, tok_); !end.empty()) stop_.push_back(std::move(end));
    } else {
        stop_.push_back("\nUser:");  // the fallback format's next turn
    }
}

void chat_conversation::reset() {
    messages_.clear();
    if (!system_.empty()) messages_.push_back({"system", system_});
}

size_t chat_conversation::turns() const {
    size_t n = 0;
    for (const auto& m : messages_) n += m.role == "user";
    return n;
}

std::vector<int32_t> chat_conversation::prompt_tokens() const {
    const auto prompt = server::render_chat_prompt(messages_, tmpl_, tok_);
    return tok_.encode(prompt.text, /*add_special=*/!prompt.has_bos, /*parse_special=*/true);
}

void chat_conversation::save(const std::filesystem::path& file) const {
    nlohmann::ordered_json j;
    j["messages"] = nlohmann::ordered_json::array();
    for (const auto& m : messages_) j["messages"].push_back({{"role", m.role}, {"content", m.content}});
    if (std::filesystem::is_directory(file)) throw error("cannot save the conversation: " + file.string() + " is a folder");
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << j.dump(2) << "\n";
    out.flush();
    if (!out) throw error("cannot write the conversation to " + file.string());
}

void chat_conversation::load(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in || std::filesystem::is_directory(file)) throw error("cannot read the conversation " + file.string());
    const std::string text(std::istreambuf_iterator<char>(in), {});
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("messages") || !j["messages"].is_array())
        throw error(file.string() + " is not a conversation (a JSON object with a \"messages\" array)");
    std::vector<server::chat_message> loaded;
    for (const auto& m : j["messages"]) {
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") || !m["content"].is_string())
            throw error(file.string() + ": every message needs a string \"role\" and \"content\"");
        const std::string role = m["role"];
        if (role != "system" && role != "user" && role != "assistant")
            throw error(file.string() + ": unknown role '" + role + "' (system, user or assistant)");
        loaded.push_back({role, m["content"]});
    }
    messages_ = std::move(loaded);
}

}  // namespace plinth::cli
