// libFuzzer target: the chat reply parser over any text, in every format, fed whole and in pieces.
// The first byte picks the format and the piece size. It must never crash, and the two feeds
// must give the same parts (the parser's promise that splitting does not matter).
#include <reply_parser.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace plinth::server;

namespace {

reply_parts parse(const reply_format& f, std::string_view text, size_t step) {
    reply_parser p(f);
    reply_parts all;
    const auto add = [&](reply_parts parts) {
        all.content += parts.content;
        all.reasoning += parts.reasoning;
        for (auto& c : parts.calls) all.calls.push_back(std::move(c));
    };
    for (size_t at = 0; at < text.size(); at += step) add(p.push(text.substr(at, step)));
    add(p.finish());
    return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint8_t pick = data[0];
    reply_format f;
    f.reasoning = pick & 1;
    f.starts_in_reasoning = pick & 2;
    f.tools = static_cast<tool_call_style>((pick >> 2) & 3);
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    const reply_parts whole = parse(f, text, text.size() + 1);
    const reply_parts split = parse(f, text, 1 + (pick >> 4));
    if (whole.content != split.content || whole.reasoning != split.reasoning || whole.calls.size() != split.calls.size()) std::abort();
    return 0;
}
