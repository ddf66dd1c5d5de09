// libFuzzer target: the grammar parser and the JSON Schema converter.
// First byte even: the rest is grammar text; it must parse or throw grammar_error, and a grammar
// that parses is walked over its own text as input (the automaton must not crash or hang; it may
// refuse a grammar too ambiguous to follow with std::runtime_error).
// First byte odd: the rest is JSON; a schema the converter accepts must give a grammar that
// parses (the converter never writes a grammar it cannot read), else schema_error.
#include <plinth/grammar.hpp>
#include <plinth/json_schema.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    if ((data[0] & 1) == 0) {
        std::shared_ptr<const plinth::grammar> g;
        try {
            g = std::make_shared<const plinth::grammar>(plinth::grammar::parse(text));
        } catch (const plinth::grammar_error& e) {
            if (e.position() > text.size()) std::abort();  // a position outside the text
            return 0;
        }
        try {
            plinth::grammar_automaton a(g);
            uint32_t s = a.start();
            for (char c : text.substr(0, 256)) s = a.next(s, static_cast<uint8_t>(c));
            (void)a.accepting(s);
        } catch (const std::runtime_error&) {
            // "too ambiguous to follow": the documented refusal of a grammar past the limits.
        }
        return 0;
    }
    const auto schema = nlohmann::ordered_json::parse(text, nullptr, false);
    if (schema.is_discarded()) return 0;
    std::string grammar_text;
    try {
        grammar_text = plinth::json_schema_grammar(schema);
    } catch (const plinth::schema_error&) {
        return 0;
    }
    try {
        (void)plinth::grammar::parse(grammar_text);
    } catch (const plinth::grammar_error&) {
        std::abort();  // the converter wrote a grammar the parser refuses
    }
    return 0;
}
