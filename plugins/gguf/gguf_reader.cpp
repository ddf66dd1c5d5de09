#include "gguf_reader.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include <plinth/weight_types.h>

#include "byte_cursor.hpp"

namespace plinth::gguf {
namespace {

constexpr std::uint64_t max_key_length = 65535;  // the GGUF specification's limit
// The smallest encodings of one entry; a count the remaining bytes cannot hold is refused before any
// memory is reserved for it.
constexpr std::uint64_t min_metadata_entry_bytes = 8 + 1 + 4 + 1;     // key length, 1-byte key, type, u8 value
constexpr std::uint64_t min_tensor_info_bytes = 8 + 1 + 4 + 8 + 4 + 8;  // name length, 1-byte name, n_dims, dim, type, offset
constexpr std::uint64_t max_element_count = std::numeric_limits<std::int64_t>::max();  // tensor shapes are int64 downstream

std::string str(std::uint64_t value) { return std::to_string(value); }

// Quotes text taken from the file for a message: at most 64 bytes, anything not printable as \xNN.
std::string quoted(std::string_view text) {
    constexpr std::size_t max_shown = 64;
    constexpr char hex[] = "0123456789abcdef";
    std::string out = "'";
    for (const char ch : text.substr(0, max_shown)) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7f) {
            out += ch;
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    if (text.size() > max_shown) out += "...";
    return out + "'";
}

bool multiply(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
    if (b != 0 && a > std::numeric_limits<std::uint64_t>::max() / b) return false;
    out = a * b;
    return true;
}

bool add(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
    if (a > std::numeric_limits<std::uint64_t>::max() - b) return false;
    out = a + b;
    return true;
}

value_type checked_value_type(std::uint32_t raw, const char* what, std::uint64_t offset) {
    if (raw > static_cast<std::uint32_t>(value_type::f64)) throw format_error(std::string("unknown ") + what + " " + str(raw), offset);
    return static_cast<value_type>(raw);
}

std::uint64_t min_encoded_size(value_type type) {
    if (type == value_type::string) return 8;  // u64 length of an empty string
    if (type == value_type::array) return 12;  // u32 element type + u64 count of an empty array
    return fixed_size(type);
}

void require_room_for(std::uint64_t count, std::uint64_t min_bytes_each, const byte_cursor& in, const char* what,
                      std::uint64_t offset) {
    if (count > in.remaining() / min_bytes_each) {
        throw format_error(std::string(what) + " " + str(count) + " cannot fit in the " + str(in.remaining()) +
                               " bytes remaining (" + str(min_bytes_each) +
                               " bytes each at least): truncated file or corrupt count",
                           offset);
    }
}

void check_version(std::uint32_t version) {
    constexpr std::uint64_t version_offset = 4;
    if (version == 2 || version == 3) return;
    if (version == 1) {
        throw format_error("GGUF version 1 is not supported (only versions 2 and 3); convert the model again",
                           version_offset);
    }
    if (version == 0x02000000u || version == 0x03000000u) {
        throw format_error("big-endian GGUF files are not supported", version_offset);
    }
    throw format_error("unsupported GGUF version " + str(version) + " (only versions 2 and 3)", version_offset);
}

void validate_key(std::string_view key, std::uint64_t offset) {
    if (key.empty()) throw format_error("metadata key is empty", offset);
    if (key.size() > max_key_length) throw format_error("metadata key is longer than 65535 bytes", offset);
    // Keys are ASCII identifiers such as "llama.attention.head_count": printable, no spaces.
    const bool printable = std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    if (!printable) throw format_error("metadata key " + quoted(key) + " is not valid (printable ASCII without spaces)", offset);
}

std::uint8_t read_bool(byte_cursor& in) {
    const auto offset = in.position();
    const auto value = in.read<std::uint8_t>("bool value");
    if (value > 1) throw format_error("bool value " + str(value) + " is neither 0 nor 1", offset);
    return value;
}

array_value parse_array(byte_cursor& in, unsigned depth) {
    const auto start = in.position();
    if (depth > max_array_nesting) {
        throw format_error("arrays nest more than " + str(max_array_nesting) + " levels deep", start);
    }
    array_value array;
    array.element_type = checked_value_type(in.read<std::uint32_t>("array element type"), "array element type", start);
    const auto count_offset = in.position();
    array.count = in.read<std::uint64_t>("array count");
    require_room_for(array.count, min_encoded_size(array.element_type), in, "array count", count_offset);

    const auto elements_start = in.position();
    if (const auto size = fixed_size(array.element_type); size != 0) {
        const auto elements = in.take(array.count * size, "array elements");  // cannot overflow: checked above
        if (array.element_type == value_type::boolean) {
            for (std::size_t i = 0; i < elements.size(); ++i) {
                if (std::to_integer<unsigned>(elements[i]) > 1) {
                    throw format_error("bool array element " + str(i) + " is neither 0 nor 1", elements_start + i);
                }
            }
        }
    } else if (array.element_type == value_type::string) {
        array.string_offsets.reserve(array.count);
        for (std::uint64_t i = 0; i < array.count; ++i) {
            array.string_offsets.push_back(in.position() - elements_start);
            in.read_string("array string element");
        }
    } else {
        array.nested.reserve(array.count);
        for (std::uint64_t i = 0; i < array.count; ++i) array.nested.push_back(parse_array(in, depth + 1));
    }
    array.encoded = in.consumed_since(elements_start);
    return array;
}

metadata_value parse_value(byte_cursor& in, value_type type) {
    switch (type) {
    case value_type::u8: return std::uint64_t{in.read<std::uint8_t>("u8 value")};
    case value_type::i8: return std::int64_t{in.read<std::int8_t>("i8 value")};
    case value_type::u16: return std::uint64_t{in.read<std::uint16_t>("u16 value")};
    case value_type::i16: return std::int64_t{in.read<std::int16_t>("i16 value")};
    case value_type::u32: return std::uint64_t{in.read<std::uint32_t>("u32 value")};
    case value_type::i32: return std::int64_t{in.read<std::int32_t>("i32 value")};
    case value_type::f32: return double{in.read<float>("f32 value")};
    case value_type::boolean: return std::uint64_t{read_bool(in)};
    case value_type::string: return in.read_string("string value");
    case value_type::array: return parse_array(in, 1);
    case value_type::u64: return in.read<std::uint64_t>("u64 value");
    case value_type::i64: return in.read<std::int64_t>("i64 value");
    case value_type::f64: return in.read<double>("f64 value");
    }
    throw format_error("unknown metadata value type", in.position());
}

}  // namespace

std::uint64_t fixed_size(value_type type) noexcept {
    switch (type) {
    case value_type::u8:
    case value_type::i8:
    case value_type::boolean: return 1;
    case value_type::u16:
    case value_type::i16: return 2;
    case value_type::u32:
    case value_type::i32:
    case value_type::f32: return 4;
    case value_type::u64:
    case value_type::i64:
    case value_type::f64: return 8;
    case value_type::string:
    case value_type::array: return 0;
    }
    return 0;
}

std::string_view value_type_name(value_type type) noexcept {
    switch (type) {
    case value_type::u8: return "u8";
    case value_type::i8: return "i8";
    case value_type::u16: return "u16";
    case value_type::i16: return "i16";
    case value_type::u32: return "u32";
    case value_type::i32: return "i32";
    case value_type::f32: return "f32";
    case value_type::boolean: return "bool";
    case value_type::string: return "string";
    case value_type::array: return "array";
    case value_type::u64: return "u64";
    case value_type::i64: return "i64";
    case value_type::f64: return "f64";
    }
    return "unknown";
}

std::string_view array_value::string_at(std::uint64_t index) const {
    if (element_type != value_type::string) throw std::out_of_range("not an array of strings");
    if (index >= string_offsets.size()) throw std::out_of_range("string array index out of range");
    // Both the length prefix and the bytes were bounds-checked when the array was parsed.
    const std::byte* element = encoded.data() + string_offsets[index];
    std::uint64_t length = 0;
    std::memcpy(&length, element, sizeof length);
    return {reinterpret_cast<const char*>(element + sizeof length), length};
}

std::optional<std::uint64_t> metadata_entry::as_uint() const {
    if (const auto* v = std::get_if<std::uint64_t>(&value)) return *v;
    return std::nullopt;
}

std::optional<std::int64_t> metadata_entry::as_int() const {
    if (const auto* v = std::get_if<std::int64_t>(&value)) return *v;
    return std::nullopt;
}

std::optional<double> metadata_entry::as_float() const {
    if (const auto* v = std::get_if<double>(&value)) return *v;
    return std::nullopt;
}

std::optional<std::string_view> metadata_entry::as_string() const {
    if (const auto* v = std::get_if<std::string_view>(&value)) return *v;
    return std::nullopt;
}

const array_value* metadata_entry::as_array() const { return std::get_if<array_value>(&value); }

gguf_file gguf_file::open(const std::filesystem::path& path) {
    gguf_file file;
    file.mapping_.emplace(path);
    file.bytes_ = file.mapping_->bytes();
    file.parse();
    return file;
}

gguf_file gguf_file::from_memory(std::span<const std::byte> bytes) {
    gguf_file file;
    file.bytes_ = bytes;
    file.parse();
    return file;
}

const metadata_entry* gguf_file::find(std::string_view key) const {
    const auto it = metadata_index_.find(key);
    return it == metadata_index_.end() ? nullptr : &metadata_[it->second];
}

const tensor_info* gguf_file::find_tensor(std::string_view name) const {
    const auto it = tensor_index_.find(name);
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

void gguf_file::parse() {
    byte_cursor in(bytes_);
    const auto magic = in.take(4, "magic");
    if (std::memcmp(magic.data(), "GGUF", 4) != 0) throw format_error("bad magic: not a GGUF file", 0);
    version_ = in.read<std::uint32_t>("version");
    check_version(version_);
    const auto tensor_count_offset = in.position();
    const auto tensor_count = in.read<std::uint64_t>("tensor count");
    const auto metadata_count_offset = in.position();
    const auto metadata_count = in.read<std::uint64_t>("metadata count");

    parse_metadata(in, metadata_count, metadata_count_offset);
    read_alignment();
    std::vector<std::uint64_t> info_offsets;
    parse_tensor_infos(in, tensor_count, tensor_count_offset, info_offsets);

    const auto header_end = in.position();  // <= file size, so rounding up cannot overflow
    data_offset_ = (header_end + alignment_ - 1) / alignment_ * alignment_;
    place_tensors(info_offsets);
}

void gguf_file::parse_metadata(byte_cursor& in, std::uint64_t count, std::uint64_t count_offset) {
    require_room_for(count, min_metadata_entry_bytes, in, "metadata count", count_offset);
    metadata_.reserve(count);
    metadata_index_.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
        const auto entry_offset = in.position();
        const auto key = in.read_string("metadata key");
        validate_key(key, entry_offset);
        if (!metadata_index_.emplace(key, metadata_.size()).second) {
            throw format_error("duplicate metadata key " + quoted(key), entry_offset);
        }
        const auto type_offset = in.position();
        const auto type = checked_value_type(in.read<std::uint32_t>("metadata value type"), "metadata value type", type_offset);
        metadata_.push_back(metadata_entry{key, type, parse_value(in, type), entry_offset});
    }
}

void gguf_file::read_alignment() {
    const auto* entry = find("general.alignment");
    if (entry == nullptr) return;  // the default, 32
    if (entry->type != value_type::u32) {
        throw format_error("general.alignment must be a u32, not " + std::string(value_type_name(entry->type)),
                           entry->file_offset);
    }
    const auto value = *entry->as_uint();
    if (!std::has_single_bit(value)) {
        throw format_error("general.alignment " + str(value) + " is not a nonzero power of two", entry->file_offset);
    }
    alignment_ = value;
}

void gguf_file::parse_tensor_infos(byte_cursor& in, std::uint64_t count, std::uint64_t count_offset,
                                   std::vector<std::uint64_t>& info_offsets) {
    require_room_for(count, min_tensor_info_bytes, in, "tensor count", count_offset);
    tensors_.reserve(count);
    tensor_index_.reserve(count);
    info_offsets.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
        const auto info_offset = in.position();
        tensor_info tensor;
        tensor.name = in.read_string("tensor name");
        if (tensor.name.empty()) throw format_error("tensor " + str(i) + " has an empty name", info_offset);
        const auto name = quoted(tensor.name);
        if (!tensor_index_.emplace(tensor.name, tensors_.size()).second) {
            throw format_error("duplicate tensor name " + name, info_offset);
        }

        const auto dims_offset = in.position();
        tensor.n_dims = in.read<std::uint32_t>("tensor n_dims");
        if (tensor.n_dims == 0 || tensor.n_dims > PLINTH_MAX_DIMS) {
            throw format_error("tensor " + name + " has " + str(tensor.n_dims) + " dimensions (must be 1 to 4)", dims_offset);
        }
        tensor.element_count = 1;
        for (std::uint32_t d = 0; d < tensor.n_dims; ++d) {
            const auto dim_offset = in.position();
            const auto dim = in.read<std::uint64_t>("tensor dimension");
            if (dim == 0) throw format_error("tensor " + name + " dimension " + str(d) + " is zero", dim_offset);
            if (!multiply(tensor.element_count, dim, tensor.element_count) || tensor.element_count > max_element_count) {
                throw format_error("tensor " + name + " element count overflows", dim_offset);
            }
            tensor.shape[d] = dim;
        }

        const auto type_offset = in.position();
        tensor.type = in.read<std::uint32_t>("tensor type");
        const auto traits = plinth_weight_type_info(tensor.type);
        if (traits.name == nullptr) {
            throw format_error("tensor " + name + " has unknown tensor type " + str(tensor.type), type_offset);
        }
        if (tensor.shape[0] % traits.block_size != 0) {
            throw format_error("tensor " + name + " row length " + str(tensor.shape[0]) + " is not a multiple of the " +
                                   traits.name + " block size " + str(traits.block_size),
                               dims_offset);
        }
        bool size_fits = multiply(tensor.shape[0] / traits.block_size, traits.block_bytes, tensor.size_bytes);
        for (std::uint32_t d = 1; d < PLINTH_MAX_DIMS; ++d) {
            size_fits = size_fits && multiply(tensor.size_bytes, tensor.shape[d], tensor.size_bytes);
        }
        if (!size_fits) throw format_error("tensor " + name + " byte size overflows", dims_offset);

        tensor.offset = in.read<std::uint64_t>("tensor data offset");
        tensors_.push_back(tensor);
        info_offsets.push_back(info_offset);
    }
}

void gguf_file::place_tensors(const std::vector<std::uint64_t>& info_offsets) {
    for (std::size_t i = 0; i < tensors_.size(); ++i) {
        auto& tensor = tensors_[i];
        if (tensor.offset % alignment_ != 0) {
            throw format_error("tensor " + quoted(tensor.name) + " data offset " + str(tensor.offset) +
                                   " is not aligned to " + str(alignment_),
                               info_offsets[i]);
        }
        std::uint64_t begin = 0;
        std::uint64_t end = 0;
        if (!add(data_offset_, tensor.offset, begin) || !add(begin, tensor.size_bytes, end) || end > bytes_.size()) {
            throw format_error("tensor " + quoted(tensor.name) + " data (offset " + str(tensor.offset) + ", " +
                                   str(tensor.size_bytes) + " bytes) extends past the end of the file (" +
                                   str(bytes_.size()) + " bytes, data section at " + str(data_offset_) + ")",
                               info_offsets[i]);
        }
        tensor.file_offset = begin;
        tensor.data = bytes_.subspan(begin, tensor.size_bytes);
    }

    // Sorted by offset, each tensor must end before the next begins.
    std::vector<std::size_t> by_offset(tensors_.size());
    std::iota(by_offset.begin(), by_offset.end(), std::size_t{0});
    std::sort(by_offset.begin(), by_offset.end(),
              [this](std::size_t a, std::size_t b) { return tensors_[a].offset < tensors_[b].offset; });
    for (std::size_t k = 1; k < by_offset.size(); ++k) {
        const auto& previous = tensors_[by_offset[k - 1]];
        const auto& current = tensors_[by_offset[k]];
        if (previous.offset + previous.size_bytes > current.offset) {  // both end within the file: no overflow
            throw format_error("tensors " + quoted(previous.name) + " and " + quoted(current.name) +
                                   " overlap in the data section",
                               info_offsets[by_offset[k]]);
        }
    }
}

}  // namespace plinth::gguf
