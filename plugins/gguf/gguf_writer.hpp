#pragma once
// GGUF v3 (little-endian) writer: metadata and tensor infos are collected in memory (they are small),
// tensor bytes are streamed to the file in the order the tensors were declared, so writing a
// multi-gigabyte model needs no more memory than its header plus a write buffer.
//
// The file is written to a temporary file beside the target ("<path>.partial-<pid>") and renamed
// onto the target by finish(); discard() (or destroying an unfinished writer) removes it.
//
// Errors: std::invalid_argument for a bad call (bad key, value, tensor or call order),
// plinth::gguf::unsupported_value for what GGUF could hold but this writer does not (nested arrays),
// std::system_error for I/O failures. After an I/O failure every later call fails.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <plinth/plugin_api.h>

#include "gguf_reader.hpp"  // value_type

namespace plinth::gguf {

class unsupported_value : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

inline constexpr std::uint64_t default_alignment = 32;

class gguf_writer {
public:
    // Creates the temporary file. Throws std::system_error when it cannot be created.
    explicit gguf_writer(std::filesystem::path path);
    ~gguf_writer();  // discards an unfinished file
    gguf_writer(const gguf_writer&) = delete;
    gguf_writer& operator=(const gguf_writer&) = delete;

    // ---- metadata (before the first tensor byte) ----
    // A key set again keeps its place and takes the new value. `general.alignment` must be a u32
    // power of two; it sets the data alignment (default 32).
    void set_uint(std::string_view key, value_type type, std::uint64_t value);  // u8 u16 u32 u64 bool
    void set_int(std::string_view key, value_type type, std::int64_t value);    // i8 i16 i32 i64
    void set_float(std::string_view key, value_type type, double value);        // f32 f64
    void set_string(std::string_view key, std::string_view value);
    // Numeric or bool elements, `count` of them packed little-endian at `packed`.
    void set_array(std::string_view key, value_type element_type, std::uint64_t count, const void* packed);
    void set_string_array(std::string_view key, std::span<const std::string_view> elements);
    // The C-ABI form: everything plinth_format_api::writer_set_metadata accepts.
    void set_entry(const plinth_metadata_entry& entry, const plinth_string_view* string_array);

    // ---- tensors ----
    // Declares the next tensor. `size_bytes` is 0 or must equal the computed size. `lent` is null
    // (bytes come through write_data) or points at the tensor's bytes, read when its turn comes.
    void add_tensor(std::string_view name, std::uint32_t type, std::span<const std::uint64_t> shape,
                    std::uint64_t size_bytes, const void* lent);
    // Appends tensor bytes (continuing the first incomplete tensor). The first call writes the header.
    void write_data(const void* data, std::uint64_t size);
    // Writes the rest, checks every tensor is complete and renames the file into place.
    void finish();
    void discard() noexcept;

    const std::filesystem::path& path() const noexcept { return path_; }
    std::uint64_t alignment() const noexcept { return alignment_; }

private:
    struct entry {
        std::string key;
        value_type type;
        std::vector<std::byte> encoded;  // the value as GGUF stores it after the type field
    };
    struct tensor {
        std::string name;
        std::uint32_t type = 0;
        std::uint32_t n_dims = 0;
        std::array<std::uint64_t, PLINTH_MAX_DIMS> shape{1, 1, 1, 1};
        std::uint64_t size = 0;
        std::uint64_t offset = 0;  // in the data section
        const void* lent = nullptr;
    };

    void require_open_header(const char* what) const;
    void put(std::string_view key, value_type type, std::vector<std::byte> encoded);
    void write_header();
    void advance_lent();  // writes every lent tensor at the cursor, and pads after complete ones
    void emit(const void* data, std::uint64_t size);
    void pad_to_alignment();
    void flush_buffer();
    void fail_io(const std::string& what);

    std::filesystem::path path_;
    std::filesystem::path temp_path_;
    int fd_ = -1;
    bool header_written_ = false;
    bool done_ = false;  // finished or discarded
    bool failed_ = false;
    std::uint64_t alignment_ = default_alignment;

    std::vector<entry> entries_;
    std::unordered_map<std::string, std::size_t> entry_index_;
    std::vector<tensor> tensors_;
    std::unordered_map<std::string, std::size_t> tensor_index_;
    std::uint64_t data_size_ = 0;  // the data section so far, every tensor padded

    std::size_t cursor_ = 0;        // the tensor whose bytes come next
    std::uint64_t cursor_done_ = 0;  // bytes of it written
    std::uint64_t file_position_ = 0;

    std::vector<std::byte> buffer_;
    std::size_t buffered_ = 0;
};

}  // namespace plinth::gguf
