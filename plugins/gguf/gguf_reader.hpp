#pragma once
// GGUF (v2 and v3, little-endian) reader: parses and validates a whole file header against the file size
// once, then hands out views into the file's bytes. Anything malformed throws plinth::gguf::format_error.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include <plinth/plugin_api.h>

#include "format_error.hpp"
#include "mapped_file.hpp"

namespace plinth::gguf {

class byte_cursor;

// Metadata value types, numbered as GGUF numbers them (and as plinth_value_type does).
enum class value_type : std::uint32_t {
    u8 = 0,
    i8 = 1,
    u16 = 2,
    i16 = 3,
    u32 = 4,
    i32 = 5,
    f32 = 6,
    boolean = 7,
    string = 8,
    array = 9,
    u64 = 10,
    i64 = 11,
    f64 = 12,
};

std::string_view value_type_name(value_type type) noexcept;
// Bytes of one element of a fixed-size type; 0 for strings and arrays.
std::uint64_t fixed_size(value_type type) noexcept;

// Arrays nested deeper than this are refused (real files nest at most once; this bounds the recursion).
inline constexpr unsigned max_array_nesting = 16;

// An array value. Elements stay in the file as encoded; strings and nested arrays are indexed at open.
struct array_value {
    value_type element_type = value_type::u8;
    std::uint64_t count = 0;
    // The elements as stored. For numeric and bool elements: `count` packed little-endian values.
    std::span<const std::byte> encoded;
    // element_type == string: offset of each element's u64 length prefix, relative to encoded.data().
    std::vector<std::uint64_t> string_offsets;
    // element_type == array: each element, parsed.
    std::vector<array_value> nested;

    // The index-th element of a string array. Throws std::out_of_range for another element type or a bad index.
    std::string_view string_at(std::uint64_t index) const;
};

// u8/u16/u32/u64/bool -> uint64_t, i8/i16/i32/i64 -> int64_t, f32/f64 -> double, string, array.
using metadata_value = std::variant<std::uint64_t, std::int64_t, double, std::string_view, array_value>;

struct metadata_entry {
    std::string_view key;
    value_type type = value_type::u8;
    metadata_value value;
    std::uint64_t file_offset = 0;  // where the entry (its key) starts

    // Typed access; empty (or nullptr) when the value is of another kind.
    std::optional<std::uint64_t> as_uint() const;
    std::optional<std::int64_t> as_int() const;
    std::optional<double> as_float() const;
    std::optional<std::string_view> as_string() const;
    const array_value* as_array() const;
};

struct tensor_info {
    std::string_view name;
    std::uint32_t type = 0;  // plinth_weight_type
    std::uint32_t n_dims = 0;
    std::array<std::uint64_t, PLINTH_MAX_DIMS> shape{1, 1, 1, 1};  // shape[0] is the row; unused dims are 1
    std::uint64_t element_count = 0;
    std::uint64_t offset = 0;       // relative to the data section, as stored
    std::uint64_t file_offset = 0;  // absolute
    std::uint64_t size_bytes = 0;
    std::span<const std::byte> data;  // in place in the file
};

class gguf_file {
public:
    // Maps `path` read-only and parses it. Throws format_error, or std::system_error when it cannot be read.
    static gguf_file open(const std::filesystem::path& path);
    // Parses bytes owned by the caller, which must outlive the result. Throws format_error.
    static gguf_file from_memory(std::span<const std::byte> bytes);

    std::uint32_t version() const noexcept { return version_; }
    std::uint64_t alignment() const noexcept { return alignment_; }
    // Start of the data section: the first multiple of alignment() after the header. It may lie past the
    // end of a file that holds no tensors (vocabulary-only files are not padded).
    std::uint64_t data_offset() const noexcept { return data_offset_; }
    std::span<const std::byte> bytes() const noexcept { return bytes_; }

    const std::vector<metadata_entry>& metadata() const noexcept { return metadata_; }
    const metadata_entry* find(std::string_view key) const;  // nullptr when absent
    const std::vector<tensor_info>& tensors() const noexcept { return tensors_; }
    const tensor_info* find_tensor(std::string_view name) const;  // nullptr when absent

private:
    gguf_file() = default;
    void parse();
    void parse_metadata(byte_cursor& in, std::uint64_t count, std::uint64_t count_offset);
    void read_alignment();
    // info_offsets receives where each tensor's info starts, for error messages.
    void parse_tensor_infos(byte_cursor& in, std::uint64_t count, std::uint64_t count_offset,
                            std::vector<std::uint64_t>& info_offsets);
    void place_tensors(const std::vector<std::uint64_t>& info_offsets);

    std::optional<mapped_file> mapping_;  // set when opened from a path; bytes_ points into it
    std::span<const std::byte> bytes_;
    std::uint32_t version_ = 0;
    std::uint64_t alignment_ = 32;
    std::uint64_t data_offset_ = 0;
    std::vector<metadata_entry> metadata_;
    std::vector<tensor_info> tensors_;
    std::unordered_map<std::string_view, std::size_t> metadata_index_;
    std::unordered_map<std::string_view, std::size_t> tensor_index_;
};

}  // namespace plinth::gguf
