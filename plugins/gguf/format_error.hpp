#pragma once
// The one exception type of the GGUF reader: the input is not a well-formed GGUF file.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace plinth::gguf {

class format_error : public std::runtime_error {
public:
    // `offset` is the byte offset in the file where the problem was found; it is appended to the message.
    format_error(const std::string& message, std::uint64_t offset)
        : std::runtime_error(message + " (at byte " + std::to_string(offset) + ")"), offset_(offset) {}

    std::uint64_t offset() const noexcept { return offset_; }

private:
    std::uint64_t offset_;
};

}  // namespace plinth::gguf
