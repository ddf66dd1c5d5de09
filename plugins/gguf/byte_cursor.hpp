#pragma once
// Bounds-checked sequential reads of little-endian fields from a byte span. Every read that would run
// past the end throws format_error instead, so the parser never touches memory outside the file.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "format_error.hpp"

namespace plinth::gguf {

// GGUF stores fields little-endian; reading them with memcpy is only correct on a little-endian host.
static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian host");

class byte_cursor {
public:
    explicit byte_cursor(std::span<const std::byte> bytes) noexcept : bytes_(bytes) {}

    std::uint64_t position() const noexcept { return position_; }
    std::uint64_t remaining() const noexcept { return bytes_.size() - position_; }

    // The next `count` bytes; `what` names the field in the error message.
    std::span<const std::byte> take(std::uint64_t count, std::string_view what) {
        if (count > remaining()) {
            throw format_error("truncated: " + std::string(what) + " needs " + std::to_string(count) +
                                   " bytes but only " + std::to_string(remaining()) + " remain",
                               position_);
        }
        const auto out = bytes_.subspan(position_, count);
        position_ += count;
        return out;
    }

    template <class T>
    T read(std::string_view what) {
        static_assert(std::is_trivially_copyable_v<T>);
        T value;
        std::memcpy(&value, take(sizeof(T), what).data(), sizeof(T));
        return value;
    }

    // A GGUF string: u64 byte length, then that many bytes (not NUL-terminated).
    std::string_view read_string(std::string_view what) {
        const auto start = position_;
        const auto length = read<std::uint64_t>(what);
        if (length > remaining()) {
            throw format_error(std::string(what) + ": string length " + std::to_string(length) + " exceeds the " +
                                   std::to_string(remaining()) + " bytes remaining (truncated or corrupt)",
                               start);
        }
        const auto chars = take(length, what);
        return {reinterpret_cast<const char*>(chars.data()), chars.size()};
    }

    // The bytes from `start` up to the current position.
    std::span<const std::byte> consumed_since(std::uint64_t start) const noexcept {
        return bytes_.subspan(start, position_ - start);
    }

private:
    std::span<const std::byte> bytes_;
    std::uint64_t position_ = 0;
};

}  // namespace plinth::gguf
