#pragma once
// A GGUF file taken apart into editable pieces and put back together: the test corpus's own small
// codec, written independently of the reader under test so the reader's bugs cannot hide its own.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace plinth::gguf_test {

using bytes = std::vector<std::byte>;

// GGUF metadata value type numbers.
enum gguf_type : std::uint32_t {
    type_u8 = 0, type_i8 = 1, type_u16 = 2, type_i16 = 3, type_u32 = 4, type_i32 = 5, type_f32 = 6,
    type_bool = 7, type_string = 8, type_array = 9, type_u64 = 10, type_i64 = 11, type_f64 = 12,
};

struct gguf_kv {
    std::string key;
    std::uint32_t type = type_u8;
    bytes value;  // the value exactly as encoded after its type field
};

struct gguf_tensor {
    std::string name;
    std::vector<std::uint64_t> dims;
    std::uint32_t type = 0;
    std::uint64_t offset = 0;
};

struct gguf_image {
    std::array<char, 4> magic{'G', 'G', 'U', 'F'};
    std::uint32_t version = 3;
    std::vector<gguf_kv> kvs;
    std::vector<gguf_tensor> tensors;
    // How encode() pads the header; kept apart from general.alignment so a variant can lie in that key.
    std::uint64_t padding_alignment = 32;
    bytes data;  // the data section
};

// Where encode() put each part.
struct gguf_layout {
    std::vector<std::uint64_t> kv_offsets;        // each kv's key length prefix
    std::vector<std::uint64_t> kv_value_offsets;  // each kv's value (after the type field)
    std::vector<std::uint64_t> tensor_info_offsets;
    std::uint64_t header_end = 0;
    std::uint64_t data_offset = 0;
};

// Splits a known-good file. Never reads out of bounds; throws std::runtime_error on input it cannot walk.
gguf_image decode(std::span<const std::byte> file);
// Serializes; pads the header to padding_alignment only when there are tensors or data.
bytes encode(const gguf_image& image, gguf_layout* layout = nullptr);

// Little-endian field writers for building values and patching encoded files.
void append_raw(bytes& out, const void* data, std::size_t size);
template <class T>
void append(bytes& out, T value) {
    append_raw(out, &value, sizeof value);
}
void append_string(bytes& out, std::string_view text);
template <class T>
void patch(bytes& file, std::uint64_t offset, T value) {
    std::memcpy(file.data() + offset, &value, sizeof value);
}

// One-value encodings, ready for gguf_kv::value.
template <class T>
bytes scalar_value(T value) {
    bytes out;
    append(out, value);
    return out;
}
bytes string_value(std::string_view text);
bytes string_array_value(const std::vector<std::string>& elements);
// An array whose elements are given already encoded, back to back.
bytes array_value(std::uint32_t element_type, std::uint64_t count, const bytes& encoded_elements = {});

}  // namespace plinth::gguf_test
