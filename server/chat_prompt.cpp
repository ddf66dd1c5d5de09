#include "chat_prompt.hpp"

namespace plinth::server {

std::string render_chat_prompt(const std::vector<chat_message>& messages) {
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

}  // namespace plinth::server
