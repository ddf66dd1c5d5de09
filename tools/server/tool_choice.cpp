#include "tool_choice.hpp"

#include "api_error.hpp"

#include <plinth/json_schema.hpp>

#include <nlohmann/json.hpp>

namespace plinth::server {

std::string forced_call_grammar(const std::string& tools, const std::string& function, const reply_format& format) {
    using json = nlohmann::ordered_json;
    if (format.tools == tool_call_style::none)
        throw api_error(400, "'tool_choice' needs a chat template that writes tool calls", "tool_choice");
    // Llama 3 writes its call's arguments as "parameters".
    const char* arguments = format.tools == tool_call_style::llama3 ? "parameters" : "arguments";
    json calls = json::array();
    for (const auto& tool : json::parse(tools)) {
        const json& f = tool["function"];
        const std::string name = f["name"].get<std::string>();
        if (!function.empty() && name != function) continue;
        const json params = f.contains("parameters") && !f["parameters"].is_null() ? f["parameters"] : json{{"type", "object"}};
        calls.push_back({{"type", "object"},
                         {"properties", {{"name", {{"const", name}}}, {arguments, params}}},
                         {"required", {"name", arguments}},
                         {"additionalProperties", false}});
    }
    std::string text;
    try {
        text = json_schema_grammar(calls.size() == 1 ? calls[0] : json{{"anyOf", calls}});
    } catch (const schema_error& e) {
        throw api_error(400, std::string("'tool_choice' cannot be enforced: the tool's parameters: ") + e.what(), "tool_choice");
    }
    // The schema's grammar becomes rule `call`, wrapped in what the model writes around a call.
    text.replace(0, text.find("::="), "call ");
    std::string root = format.starts_in_reasoning ? "\"</think>\\n\\n\" " : "";
    if (format.tools == tool_call_style::hermes) root += "\"<tool_call>\\n\" call \"\\n</tool_call>\"";
    else if (format.tools == tool_call_style::mistral) root += "\"[TOOL_CALLS][\" call \"]\"";
    else root += "call";
    return "root ::= " + root + "\n" + text;
}

}  // namespace plinth::server
