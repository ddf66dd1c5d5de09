// libFuzzer target for the chat-template engine: the input is a template, optionally followed by
// a NUL byte and a JSON object of variables (else a small conversation is used). Parsing and
// rendering must end in a result or a template_error; anything else escaping, a sanitizer report,
// a leak or a slow input is a finding. The limits are small so that every input stays fast.
#include <plinth/chat_template.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const std::size_t split = input.find('\0');
    nlohmann::ordered_json variables = {
        {"messages", {{{"role", "system"}, {"content", "Be brief."}},
                      {{"role", "user"}, {"content", "Hi \"there\" \xc3\xa9\n"}},
                      {{"role", "assistant"}, {"content", ""}, {"tool_calls", {{{"id", "c1"}, {"type", "function"},
                          {"function", {{"name", "f"}, {"arguments", {{"x", 1}, {"y", {1.5, nullptr, true}}}}}}}}}},
                      {{"role", "tool"}, {"content", "{\"ok\": 1}"}}}},
        {"tools", {{{"type", "function"}, {"function", {{"name", "f"}, {"parameters", {{"type", "object"}}}}}}}},
        {"add_generation_prompt", true},
        {"bos_token", "<s>"},
        {"eos_token", "</s>"}};
    if (split != std::string::npos) {
        auto parsed = nlohmann::ordered_json::parse(input.substr(split + 1), nullptr, /*allow_exceptions=*/false);
        if (parsed.is_object()) variables = std::move(parsed);
    }
    plinth::render_options options;
    options.max_output_bytes = 1 << 20;
    options.max_steps = 200'000;
    options.max_call_depth = 32;
    options.fixed_time = 1768435200;
    try {
        const auto tmpl = plinth::chat_template::parse(input.substr(0, split), "fuzz");
        (void)tmpl.render(variables, options);
    } catch (const plinth::template_error& e) {
        (void)e.what();
    }
    return 0;
}
