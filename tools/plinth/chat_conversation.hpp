#pragma once
// The conversation `plinth chat` holds: messages (an optional system message first), rendered
// into the prompt with the chat template (or the fallback format), the text that ends an
// assistant turn in that format (a stop string), and saving and loading as JSON
// ({"messages": [{"role": ..., "content": ...}, ...]}, OpenAI's shape).
#include <chat_prompt.hpp>

#include <plinth/chat_template.hpp>
#include <plinth/tokenizer.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace plinth::cli {

class chat_conversation {
public:
    chat_conversation(const tokenizer& tok, const chat_template* tmpl, std::string system);

    void add_user(std::string text) { messages_.push_back({"user", std::move(text)}); }
    void add_assistant(std::string text) { messages_.push_back({"assistant", std::move(text)}); }
    void drop_last_message() {
        if (!messages_.empty()) messages_.pop_back();
    }
    // Back to the system message alone.
    void reset();
    size_t turns() const;  // user messages so far

    // The token ids of the whole conversation with an open assistant turn.
    std::vector<int32_t> prompt_tokens() const;
    // Strings that end an assistant turn in this format: the model writing one ends its reply.
    const std::vector<std::string>& stop_strings() const { return stop_; }

    // Throws plinth::error when the file cannot be written or read, or is not a conversation.
    void save(const std::filesystem::path& file) const;
    void load(const std::filesystem::path& file);

private:
    const tokenizer& tok_;
    const chat_template* tmpl_;
    std::string system_;
    std::vector<server::chat_message> messages_;
    std::vector<std::string> stop_;
};

}  // namespace plinth::cli
