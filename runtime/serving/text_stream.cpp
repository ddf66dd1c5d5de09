#include <plinth/text_stream.hpp>

#include <algorithm>

namespace plinth {

text_stream::text_stream(const tokenizer& tok, std::vector<std::string> stop) : decoder_(tok), stop_(std::move(stop)) {
    std::erase_if(stop_, [](const std::string& s) { return s.empty(); });
}

text_stream::step text_stream::push(int32_t token) {
    held_ += decoder_.push(token);
    step out;
    // The earliest stop string wins.
    size_t first = std::string::npos;
    for (const auto& s : stop_) first = std::min(first, held_.find(s));
    if (first != std::string::npos) {
        out.text = held_.substr(0, first);
        out.stopped = true;
        held_.clear();
        return out;
    }
    // Keep the longest tail that a stop string starts with; release the rest.
    size_t keep = 0;
    for (const auto& s : stop_)
        for (size_t n = std::min(s.size() - 1, held_.size()); n > keep; --n)
            if (held_.compare(held_.size() - n, n, s, 0, n) == 0) {
                keep = n;
                break;
            }
    out.text = held_.substr(0, held_.size() - keep);
    held_.erase(0, held_.size() - keep);
    return out;
}

std::string text_stream::finish() {
    std::string rest = held_ + decoder_.flush();
    held_.clear();
    // A stop string completed only by the flushed bytes still ends the text there.
    size_t first = std::string::npos;
    for (const auto& s : stop_) first = std::min(first, rest.find(s));
    if (first != std::string::npos) rest.resize(first);
    return rest;
}

}  // namespace plinth
