#include "chat_input.hpp"

#include <unistd.h>

#include <cerrno>

namespace plinth::cli {

input_status chat_input::read_line(std::string& line) {
    for (;;) {
        if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
            line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            return input_status::text;
        }
        if (eof_) {
            if (buffer_.empty()) return input_status::end;
            line = std::move(buffer_);  // a last line without a newline
            buffer_.clear();
            return input_status::text;
        }
        char chunk[4096];
        const ssize_t n = ::read(fd_, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) return input_status::interrupted;
        if (n <= 0) eof_ = true;
        else buffer_.append(chunk, size_t(n));
    }
}

input_status chat_input::read_message(std::string& out, bool multi_line) {
    out.clear();
    std::string line;
    input_status st = read_line(line);
    if (st != input_status::text || !multi_line) {
        if (st == input_status::text) out = std::move(line);
        return st;
    }
    if (line == "\"\"\"") {  // a block, up to the next line of three quotes
        for (bool first = true;; first = false) {
            st = read_line(line);
            if (st == input_status::interrupted) return st;
            if (st == input_status::end || line == "\"\"\"") return input_status::text;
            out += (first ? "" : "\n") + line;
        }
    }
    while (!line.empty() && line.back() == '\\') {  // continued on the next line
        line.pop_back();
        out += line + "\n";
        st = read_line(line);
        if (st == input_status::interrupted) return st;
        if (st == input_status::end) return input_status::text;
    }
    out += line;
    return input_status::text;
}

}  // namespace plinth::cli
