#include "generation_params.hpp"

#include "api_error.hpp"
#include "request_fields.hpp"

#include <plinth/json_schema.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

namespace plinth::server {
namespace {

using json = nlohmann::json;

double number(const json& body, const char* name, double lo, double hi, double fallback, const char* range) {
    const json* v = given(body, name);
    if (!v) return fallback;
    if (!v->is_number()) throw bad_field(name, "must be a number");
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < lo || d > hi) throw bad_field(name, std::string("must be ") + range);
    return d;
}

std::optional<int64_t> integer(const json& body, const char* name, int64_t lo, int64_t hi) {
    const json* v = given(body, name);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) throw bad_field(name, "must be an integer");
    if (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
        throw bad_field(name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    const int64_t i = v->get<int64_t>();
    if (i < lo || i > hi) throw bad_field(name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return i;
}

std::vector<int32_t> token_ids(const json& array, const std::string& name) {
    std::vector<int32_t> ids;
    for (const auto& t : array) {
        if (!t.is_number_integer()) throw bad_field(name, "must be a string or an array of token ids");
        if (t.is_number_unsigned() ? t.get<uint64_t>() > uint64_t(INT32_MAX) : (t.get<int64_t>() < 0 || t.get<int64_t>() > INT32_MAX))
            throw bad_field(name, "holds a token id out of range");
        ids.push_back(static_cast<int32_t>(t.get<int64_t>()));
    }
    return ids;
}

void parse_prompt(const json& body, generation_params& p) {
    const json* v = given(body, "prompt");
    if (!v) throw bad_field("prompt", "is required");
    if (v->is_string()) {
        p.prompt_text = v->get<std::string>();
        return;
    }
    if (!v->is_array()) throw bad_field("prompt", "must be a string or an array of token ids");
    // One prompt per request: a batch of several would need n > 1 choices.
    if (!v->empty() && ((*v)[0].is_string() || (*v)[0].is_array())) {
        if (v->size() != 1) throw bad_field("prompt", "must hold one prompt (batches of prompts are not supported)");
        const json& only = (*v)[0];
        if (only.is_string()) {
            p.prompt_text = only.get<std::string>();
            return;
        }
        p.prompt_tokens = token_ids(only, "prompt");
    } else {
        p.prompt_tokens = token_ids(*v, "prompt");
    }
    if (p.prompt_tokens.empty()) throw bad_field("prompt", "must not be an empty array");
    p.prompt_is_tokens = true;
}

std::string message_content(const json& content, const std::string& name) {
    if (content.is_string()) return content.get<std::string>();
    if (!content.is_array()) throw bad_field(name, "must be a string or an array of content parts");
    std::string text;
    for (const auto& part : content) {
        if (!part.is_object()) throw bad_field(name, "parts must be objects");
        const json* type = given(part, "type");
        if (!type || !type->is_string()) throw bad_field(name, "parts need a 'type'");
        if (*type != "text") throw bad_field(name, "part type '" + type->get<std::string>() + "' is not supported (text only)");
        const json* t = given(part, "text");
        if (!t || !t->is_string()) throw bad_field(name, "text parts need a string 'text'");
        text += t->get<std::string>();
    }
    return text;
}

void parse_messages(const json& body, generation_params& p) {
    const json* v = given(body, "messages");
    if (!v) throw bad_field("messages", "is required");
    if (!v->is_array() || v->empty()) throw bad_field("messages", "must be a non-empty array");
    for (size_t i = 0; i < v->size(); ++i) {
        const json& m = (*v)[i];
        const std::string name = "messages[" + std::to_string(i) + "]";
        if (!m.is_object()) throw bad_field(name, "must be an object");
        const json* role = given(m, "role");
        if (!role || !role->is_string()) throw bad_field(name + ".role", "must be a string");
        const std::string r = role->get<std::string>();
        if (r != "system" && r != "developer" && r != "user" && r != "assistant" && r != "tool")
            throw bad_field(name + ".role", "must be one of system, developer, user, assistant, tool");
        const json* content = given(m, "content");
        const json* calls = r == "assistant" ? given(m, "tool_calls") : nullptr;
        if ((!content || content->is_null()) && !(r == "assistant")) throw bad_field(name + ".content", "is required");
        chat_message msg{r, content && !content->is_null() ? message_content(*content, name + ".content") : std::string()};
        if (calls && !calls->is_null()) {
            if (!calls->is_array()) throw bad_field(name + ".tool_calls", "must be an array");
            // Templates read arguments as an object (Hugging Face's convention); OpenAI sends a JSON string.
            json converted = *calls;
            for (auto& c : converted) {
                if (!c.is_object() || !c.contains("function") || !c["function"].is_object())
                    throw bad_field(name + ".tool_calls", "each call needs a 'function' object");
                json& f = c["function"];
                if (f.contains("arguments") && f["arguments"].is_string()) {
                    json parsed = json::parse(f["arguments"].get<std::string>(), nullptr, false);
                    if (!parsed.is_discarded()) f["arguments"] = parsed;
                }
            }
            msg.tool_calls = converted.dump();
        }
        if (const json* id = given(m, "tool_call_id"); id && id->is_string()) msg.tool_call_id = id->get<std::string>();
        if (const json* n = given(m, "name"); n && n->is_string()) msg.name = n->get<std::string>();
        p.messages.push_back(std::move(msg));
    }
}

void parse_tools(const json& body, generation_params& p) {
    const json* tools = given(body, "tools");
    if (!tools || tools->is_null()) return;
    if (!tools->is_array()) throw bad_field("tools", "must be an array");
    for (size_t i = 0; i < tools->size(); ++i) {
        const json& t = (*tools)[i];
        const std::string name = "tools[" + std::to_string(i) + "]";
        if (!t.is_object() || !t.contains("function") || !t["function"].is_object() || !t["function"].contains("name") ||
            !t["function"]["name"].is_string())
            throw bad_field(name, "must be {\"type\": \"function\", \"function\": {\"name\": ..., ...}}");
    }
    if (tools->empty()) return;
    p.tools = tools->dump();
    p.tool_calls_allowed = true;
    if (const json* choice = given(body, "tool_choice")) {
        // "required" and a named function are enforced: a grammar (tool_choice.cpp) makes the reply a call.
        if (choice->is_string() && choice->get<std::string>() == "none") {
            p.tool_calls_allowed = false;
        } else if (choice->is_string() && choice->get<std::string>() == "required") {
            p.tool_call_forced = true;
        } else if (choice->is_object() && choice->value("type", "") == "function" && choice->contains("function") &&
                   (*choice)["function"].is_object() && (*choice)["function"].contains("name") &&
                   (*choice)["function"]["name"].is_string()) {
            p.forced_function = (*choice)["function"]["name"].get<std::string>();
            bool known = false;
            for (const auto& t : *tools) known = known || t["function"]["name"] == p.forced_function;
            if (!known) throw bad_field("tool_choice", "names '" + p.forced_function + "', which is not among the tools");
            p.tool_call_forced = true;
        } else if (!(choice->is_string() && choice->get<std::string>() == "auto")) {
            throw bad_field("tool_choice", "must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}");
        }
    }
}

void parse_stop(const json& body, generation_params& p) {
    const json* v = given(body, "stop");
    if (!v) return;
    if (v->is_string()) {
        if (!v->get<std::string>().empty()) p.stop.push_back(v->get<std::string>());
        return;
    }
    if (!v->is_array()) throw bad_field("stop", "must be a string or an array of strings");
    if (v->size() > 16) throw bad_field("stop", "may hold at most 16 strings");
    for (const auto& s : *v) {
        if (!s.is_string()) throw bad_field("stop", "must be a string or an array of strings");
        if (!s.get<std::string>().empty()) p.stop.push_back(s.get<std::string>());
    }
}

}  // namespace

std::shared_ptr<const grammar> compile_grammar(const std::string& text, const std::string& name) {
    std::shared_ptr<const grammar> g;
    try {
        g = std::make_shared<const grammar>(grammar::parse(text));
    } catch (const grammar_error& e) {
        throw bad_field(name, std::string("is not a valid grammar: ") + e.what());
    }
    // Its start state, here rather than on the scheduler's thread: a grammar too ambiguous to
    // follow is the client's 400, not a failed generation.
    try {
        grammar_automaton start(g);
    } catch (const std::runtime_error& e) {
        throw bad_field(name, std::string("cannot be used: ") + e.what());
    }
    return g;
}

std::shared_ptr<const grammar> response_format_grammar(const nlohmann::ordered_json& rf, const std::string& name, bool flat) {
    using ojson = nlohmann::ordered_json;
    const auto member = [](const ojson& o, const char* key) -> const ojson* {
        const auto it = o.find(key);
        return it == o.end() || it->is_null() ? nullptr : &*it;
    };
    if (!rf.is_object() || !rf.contains("type") || !rf["type"].is_string()) throw bad_field(name, "must be an object with a string 'type'");
    const std::string type = rf["type"];
    if (type == "text") return nullptr;
    if (type == "json_object") return compile_grammar(json_object_grammar(), name);
    if (type != "json_schema")
        throw bad_field(name + ".type", "must be 'text', 'json_object' or 'json_schema', not '" + type + "'");
    const ojson* spec = flat ? &rf : member(rf, "json_schema");
    const std::string at = flat ? name : name + ".json_schema";
    if (!spec || !spec->is_object()) throw bad_field(at, "must be an object with 'name' and 'schema'");
    if (const ojson* n = member(*spec, "name"); n && !n->is_string()) throw bad_field(at + ".name", "must be a string");
    if (const ojson* strict = member(*spec, "strict"); strict && !strict->is_boolean()) throw bad_field(at + ".strict", "must be a boolean");
    const ojson* schema = member(*spec, "schema");
    // OpenAI lets the schema be left out (any JSON); the output is still held to JSON.
    std::string text;
    try {
        text = schema ? json_schema_grammar(*schema) : json_schema_grammar(ojson::object());
    } catch (const schema_error& e) {
        throw api_error(400, std::string(e.what()) + " (in '" + at + ".schema')", at + ".schema");
    }
    return compile_grammar(text, at + ".schema");
}

generation_params parse_generation_request(std::string_view text, api_kind kind) {
    json body = request_object(text);

    generation_params p;
    p.kind = kind;
    if (const json* m = given(body, "model")) {
        if (!m->is_string()) throw bad_field("model", "must be a string");
        p.model = m->get<std::string>();
    }
    if (kind == api_kind::completion) parse_prompt(body, p);
    else {
        parse_messages(body, p);
        parse_tools(body, p);
    }

    // OpenAI's defaults: plain sampling at temperature 1, every filter and penalty off.
    sampling_settings& s = p.sampling;
    s.temperature = static_cast<float>(number(body, "temperature", 0, 2, 1, "between 0 and 2"));
    s.top_p = static_cast<float>(number(body, "top_p", 0, 1, 1, "between 0 and 1"));
    s.top_k = static_cast<int32_t>(integer(body, "top_k", -1, 1 << 30).value_or(0));
    if (s.top_p == 0) {  // "only the most likely token"
        s.top_p = 1;
        s.top_k = 1;
    }
    s.min_p = static_cast<float>(number(body, "min_p", 0, 1, 0, "between 0 and 1"));
    s.presence_penalty = static_cast<float>(number(body, "presence_penalty", -2, 2, 0, "between -2 and 2"));
    s.frequency_penalty = static_cast<float>(number(body, "frequency_penalty", -2, 2, 0, "between -2 and 2"));
    const char* repetition = given(body, "repetition_penalty") ? "repetition_penalty" : "repeat_penalty";
    s.repeat_penalty = static_cast<float>(number(body, repetition, 1e-3, 100, 1, "between 0.001 and 100"));
    if (const auto seed = integer(body, "seed", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()))
        s.seed = static_cast<uint64_t>(*seed);

    const char* max_name = given(body, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
    if (const auto n = integer(body, max_name, 1, 1 << 30)) p.max_tokens = static_cast<uint32_t>(*n);
    if (const auto n = integer(body, "n", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()); n && *n != 1)
        throw bad_field("n", "must be 1 (one choice per request)");
    if (const auto n = integer(body, "best_of", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()); n && *n != 1)
        throw bad_field("best_of", "must be 1");
    parse_stop(body, p);
    if (given(body, "response_format")) {
        // Parsed again keeping key order: a schema's properties are generated in declared order.
        const auto ordered = nlohmann::ordered_json::parse(text);
        p.constraint = response_format_grammar(ordered["response_format"], "response_format", false);
    }
    if (p.tool_call_forced && p.constraint)
        throw bad_field("tool_choice", "forces a tool call, and 'response_format' asks for other output: pass one of them");
    if (const json* g = given(body, "grammar")) {
        if (p.constraint) throw bad_field("grammar", "and 'response_format' both constrain the output: pass one of them");
        if (p.tool_call_forced) throw bad_field("grammar", "and a forcing 'tool_choice' both constrain the output: pass one of them");
        if (!g->is_string()) throw bad_field("grammar", "must be a string (grammar text, see docs/sampling.md)");
        p.constraint = compile_grammar(g->get<std::string>(), "grammar");
    }
    // Other servers' spellings of the same idea: refused by name rather than ignored.
    for (const char* name : {"json_schema", "guided_json", "guided_grammar", "guided_regex", "guided_choice"})
        if (given(body, name)) throw bad_field(name, "is not supported (use 'response_format' or 'grammar')");

    p.stream = bool_field(body, "stream", false);
    if (const json* so = given(body, "stream_options")) {
        if (!so->is_object()) throw bad_field("stream_options", "must be an object");
        p.include_usage = bool_field(*so, "include_usage", false);
    }
    if (kind == api_kind::completion) {
        // Completions: logprobs is the number of alternatives (0-5).
        if (const auto n = integer(body, "logprobs", 0, 5)) {
            p.logprobs = true;
            p.top_logprobs = static_cast<uint32_t>(*n);
        }
    } else {
        p.logprobs = bool_field(body, "logprobs", false);
        if (const auto n = integer(body, "top_logprobs", 0, 20)) {
            if (!p.logprobs && *n > 0) throw bad_field("top_logprobs", "needs 'logprobs': true");
            p.top_logprobs = static_cast<uint32_t>(*n);
        }
    }
    p.ignore_eos = bool_field(body, "ignore_eos", false);
    try {
        s.validate();
    } catch (const std::invalid_argument& e) {
        throw api_error(400, e.what());
    }
    return p;
}

}  // namespace plinth::server
