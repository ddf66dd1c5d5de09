#pragma once
// The lines `plinth chat` reads: straight from the file descriptor, so that Ctrl-C (whose handler
// is installed without SA_RESTART) interrupts a wait for input instead of being swallowed by a
// restarted read. Interactive input may span lines: a line ending in a backslash continues, and
// a line of three double quotes opens (and another closes) a block.
#include <string>

namespace plinth::cli {

enum class input_status { text, end, interrupted };

class chat_input {
public:
    explicit chat_input(int fd) : fd_(fd) {}
    // One message: several lines when `multi_line` (interactive), else exactly one line.
    input_status read_message(std::string& out, bool multi_line);

private:
    input_status read_line(std::string& line);
    int fd_;
    std::string buffer_;
    bool eof_ = false;
};

}  // namespace plinth::cli
