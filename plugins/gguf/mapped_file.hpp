#pragma once
// A whole file mapped read-only (MAP_PRIVATE) for as long as the object lives.
#include <cstddef>
#include <filesystem>
#include <span>

namespace plinth::gguf {

class mapped_file {
public:
    // Throws std::system_error when the file cannot be opened, is not a regular file, or cannot be mapped.
    explicit mapped_file(const std::filesystem::path& path);
    ~mapped_file();

    mapped_file(mapped_file&& other) noexcept;
    mapped_file& operator=(mapped_file&& other) noexcept;
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;

    // The file's bytes; empty for an empty file. The address does not change when the object is moved.
    std::span<const std::byte> bytes() const noexcept { return {static_cast<const std::byte*>(base_), size_}; }

private:
    void unmap() noexcept;

    void* base_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace plinth::gguf
