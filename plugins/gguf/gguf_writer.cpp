#include "gguf_writer.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include <plinth/weight_types.h>

namespace plinth::gguf {
namespace {

static_assert(std::endian::native == std::endian::little, "the GGUF writer assumes a little-endian host");

constexpr std::uint32_t gguf_version = 3;
constexpr std::uint64_t max_key_length = 65535;
constexpr std::size_t buffer_capacity = std::size_t{4} << 20;

[[noreturn]] void bad(const std::string& message) { throw std::invalid_argument("gguf writer: " + message); }

std::string quote_text(std::string_view text) {
    constexpr std::size_t max_shown = 64;
    std::string out = "'";
    out.append(text.substr(0, max_shown));
    if (text.size() > max_shown) out += "...";
    return out + "'";
}

void validate_key(std::string_view key) {
    if (key.empty()) bad("metadata key is empty");
    if (key.size() > max_key_length) bad("metadata key is longer than 65535 bytes");
    if (!std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
        bad("metadata key " + quote_text(key) + " is not valid (printable ASCII without spaces)");
}

class encoder {
public:
    template <class T>
    void put(T value) {
        const auto* p = reinterpret_cast<const std::byte*>(&value);
        bytes.insert(bytes.end(), p, p + sizeof(T));
    }
    void put_string(std::string_view s) {
        put<std::uint64_t>(s.size());
        const auto* p = reinterpret_cast<const std::byte*>(s.data());
        bytes.insert(bytes.end(), p, p + s.size());
    }
    void put_raw(const void* data, std::size_t size) {
        const auto* p = static_cast<const std::byte*>(data);
        bytes.insert(bytes.end(), p, p + size);
    }
    std::vector<std::byte> bytes;
};

value_type checked_type(std::uint32_t raw, const char* what) {
    if (raw > static_cast<std::uint32_t>(value_type::f64)) bad(std::string("unknown ") + what + " " + std::to_string(raw));
    return static_cast<value_type>(raw);
}

std::uint64_t align_up(std::uint64_t value, std::uint64_t alignment) {
    return (value + alignment - 1) / alignment * alignment;
}

}  // namespace

gguf_writer::gguf_writer(std::filesystem::path path) : path_(std::move(path)) {
    if (path_.empty()) bad("the path is empty");
    temp_path_ = path_;
    temp_path_ += ".partial-" + std::to_string(::getpid());
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        throw std::system_error(errno, std::generic_category(), "gguf writer: cannot create " + temp_path_.string());
    }
}

gguf_writer::~gguf_writer() { discard(); }

void gguf_writer::discard() noexcept {
    if (done_) return;
    done_ = true;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    ::unlink(temp_path_.c_str());
}

void gguf_writer::require_open_header(const char* what) const {
    if (done_) bad(std::string("cannot ") + what + ": the writer is finished");
    if (failed_) bad(std::string("cannot ") + what + ": an earlier write failed");
    if (header_written_) bad(std::string("cannot ") + what + " after tensor data has been written");
}

void gguf_writer::put(std::string_view key, value_type type, std::vector<std::byte> encoded) {
    require_open_header("set metadata");
    validate_key(key);
    std::string k(key);
    if (k == "general.alignment") {
        std::uint32_t value = 0;
        if (type != value_type::u32) bad("general.alignment must be a u32");
        std::memcpy(&value, encoded.data(), sizeof value);
        if (!std::has_single_bit(value)) bad("general.alignment " + std::to_string(value) + " is not a power of two");
        alignment_ = value;
    }
    if (const auto it = entry_index_.find(k); it != entry_index_.end()) {
        entries_[it->second].type = type;
        entries_[it->second].encoded = std::move(encoded);
        return;
    }
    entry_index_.emplace(k, entries_.size());
    entries_.push_back(entry{std::move(k), type, std::move(encoded)});
}

void gguf_writer::set_uint(std::string_view key, value_type type, std::uint64_t value) {
    encoder e;
    const auto out_of_range = [&] { bad("value " + std::to_string(value) + " of " + quote_text(key) + " does not fit its type"); };
    switch (type) {
    case value_type::u8:
        if (value > 0xff) out_of_range();
        e.put<std::uint8_t>(static_cast<std::uint8_t>(value));
        break;
    case value_type::boolean:
        if (value > 1) bad("bool value of " + quote_text(key) + " is neither 0 nor 1");
        e.put<std::uint8_t>(static_cast<std::uint8_t>(value));
        break;
    case value_type::u16:
        if (value > 0xffff) out_of_range();
        e.put<std::uint16_t>(static_cast<std::uint16_t>(value));
        break;
    case value_type::u32:
        if (value > 0xffffffffu) out_of_range();
        e.put<std::uint32_t>(static_cast<std::uint32_t>(value));
        break;
    case value_type::u64: e.put<std::uint64_t>(value); break;
    default: bad("set_uint: " + quote_text(key) + " has type " + std::string(value_type_name(type)));
    }
    put(key, type, std::move(e.bytes));
}

void gguf_writer::set_int(std::string_view key, value_type type, std::int64_t value) {
    encoder e;
    const auto check = [&](std::int64_t lo, std::int64_t hi) {
        if (value < lo || value > hi) bad("value " + std::to_string(value) + " of " + quote_text(key) + " does not fit its type");
    };
    switch (type) {
    case value_type::i8:
        check(INT8_MIN, INT8_MAX);
        e.put<std::int8_t>(static_cast<std::int8_t>(value));
        break;
    case value_type::i16:
        check(INT16_MIN, INT16_MAX);
        e.put<std::int16_t>(static_cast<std::int16_t>(value));
        break;
    case value_type::i32:
        check(INT32_MIN, INT32_MAX);
        e.put<std::int32_t>(static_cast<std::int32_t>(value));
        break;
    case value_type::i64: e.put<std::int64_t>(value); break;
    default: bad("set_int: " + quote_text(key) + " has type " + std::string(value_type_name(type)));
    }
    put(key, type, std::move(e.bytes));
}

void gguf_writer::set_float(std::string_view key, value_type type, double value) {
    encoder e;
    if (type == value_type::f32) e.put<float>(static_cast<float>(value));
    else if (type == value_type::f64) e.put<double>(value);
    else bad("set_float: " + quote_text(key) + " has type " + std::string(value_type_name(type)));
    put(key, type, std::move(e.bytes));
}

void gguf_writer::set_string(std::string_view key, std::string_view value) {
    encoder e;
    e.put_string(value);
    put(key, value_type::string, std::move(e.bytes));
}

void gguf_writer::set_array(std::string_view key, value_type element_type, std::uint64_t count, const void* packed) {
    if (element_type == value_type::string) bad("set_array: use set_string_array for " + quote_text(key));
    if (element_type == value_type::array) throw unsupported_value("gguf writer: nested arrays are not supported (" + quote_text(key) + ")");
    const auto size = fixed_size(element_type);
    if (count > std::numeric_limits<std::uint64_t>::max() / 64) bad("array " + quote_text(key) + " is too long");
    if (count != 0 && packed == nullptr) bad("array " + quote_text(key) + " has elements but no data");
    if (element_type == value_type::boolean) {
        const auto* p = static_cast<const std::uint8_t*>(packed);
        for (std::uint64_t i = 0; i < count; ++i)
            if (p[i] > 1) bad("bool element " + std::to_string(i) + " of " + quote_text(key) + " is neither 0 nor 1");
    }
    encoder e;
    e.put<std::uint32_t>(static_cast<std::uint32_t>(element_type));
    e.put<std::uint64_t>(count);
    if (count != 0) e.put_raw(packed, static_cast<std::size_t>(count * size));
    put(key, value_type::array, std::move(e.bytes));
}

void gguf_writer::set_string_array(std::string_view key, std::span<const std::string_view> elements) {
    encoder e;
    e.put<std::uint32_t>(static_cast<std::uint32_t>(value_type::string));
    e.put<std::uint64_t>(elements.size());
    for (const auto s : elements) e.put_string(s);
    put(key, value_type::array, std::move(e.bytes));
}

void gguf_writer::set_entry(const plinth_metadata_entry& in, const plinth_string_view* string_array) {
    const std::string_view key(in.key.data == nullptr ? "" : in.key.data, in.key.data == nullptr ? 0 : in.key.size);
    const auto type = checked_type(in.type, "metadata value type");
    switch (type) {
    case value_type::u8:
    case value_type::u16:
    case value_type::u32:
    case value_type::u64:
    case value_type::boolean: return set_uint(key, type, in.value.u64);
    case value_type::i8:
    case value_type::i16:
    case value_type::i32:
    case value_type::i64: return set_int(key, type, in.value.i64);
    case value_type::f32:
    case value_type::f64: return set_float(key, type, in.value.f64);
    case value_type::string:
        if (in.value.str.data == nullptr && in.value.str.size != 0) bad("string value of " + quote_text(key) + " has no data");
        return set_string(key, std::string_view(in.value.str.data == nullptr ? "" : in.value.str.data, in.value.str.size));
    case value_type::array: break;
    }
    const auto element_type = checked_type(in.array_type, "array element type");
    if (element_type != value_type::string) return set_array(key, element_type, in.array_count, in.array_data);
    if (in.array_count != 0 && string_array == nullptr) bad("array of strings " + quote_text(key) + " has no string_array");
    std::vector<std::string_view> views;
    views.reserve(static_cast<std::size_t>(in.array_count));
    for (std::uint64_t i = 0; i < in.array_count; ++i) {
        const auto& s = string_array[i];
        if (s.data == nullptr && s.size != 0) bad("element " + std::to_string(i) + " of " + quote_text(key) + " has no data");
        views.emplace_back(s.data == nullptr ? "" : s.data, s.size);
    }
    set_string_array(key, views);
}

void gguf_writer::add_tensor(std::string_view name, std::uint32_t type, std::span<const std::uint64_t> shape,
                             std::uint64_t size_bytes, const void* lent) {
    require_open_header("add a tensor");
    if (name.empty()) bad("tensor name is empty");
    if (name.size() > max_key_length) bad("tensor name is longer than 65535 bytes");
    std::string n(name);
    if (tensor_index_.count(n) != 0) bad("duplicate tensor name " + quote_text(name));
    if (shape.empty() || shape.size() > PLINTH_MAX_DIMS)
        bad("tensor " + quote_text(name) + " has " + std::to_string(shape.size()) + " dimensions (must be 1 to 4)");
    const auto traits = plinth_weight_type_info(type);
    if (traits.name == nullptr) bad("tensor " + quote_text(name) + " has unknown type " + std::to_string(type));

    tensor t;
    t.name = std::move(n);
    t.type = type;
    t.n_dims = static_cast<std::uint32_t>(shape.size());
    constexpr auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    std::uint64_t elements = 1;
    for (std::size_t d = 0; d < shape.size(); ++d) {
        if (shape[d] == 0) bad("tensor " + quote_text(name) + " dimension " + std::to_string(d) + " is zero");
        if (elements > limit / shape[d]) bad("tensor " + quote_text(name) + " element count overflows");
        elements *= shape[d];
        t.shape[d] = shape[d];
    }
    if (t.shape[0] % traits.block_size != 0) {
        bad("tensor " + quote_text(name) + " row length " + std::to_string(t.shape[0]) + " is not a multiple of the " +
            traits.name + " block size " + std::to_string(traits.block_size));
    }
    // elements < 2^63 and block_bytes / block_size <= 8, so this cannot overflow.
    t.size = elements / traits.block_size * traits.block_bytes;
    if (size_bytes != 0 && size_bytes != t.size) {
        bad("tensor " + quote_text(name) + " is given as " + std::to_string(size_bytes) + " bytes, but a " + traits.name +
            " tensor of that shape takes " + std::to_string(t.size));
    }
    if (data_size_ > limit - align_up(t.size, alignment_)) bad("the data section would exceed 2^63 bytes");
    t.lent = lent;
    // Offsets are assigned when the header is written (the alignment may still change until then).
    tensor_index_.emplace(t.name, tensors_.size());
    data_size_ += align_up(t.size, alignment_);
    tensors_.push_back(std::move(t));
}

void gguf_writer::write_header() {
    encoder h;
    h.put_raw("GGUF", 4);
    h.put<std::uint32_t>(gguf_version);
    h.put<std::uint64_t>(tensors_.size());
    h.put<std::uint64_t>(entries_.size());
    for (const auto& e : entries_) {
        h.put_string(e.key);
        h.put<std::uint32_t>(static_cast<std::uint32_t>(e.type));
        h.put_raw(e.encoded.data(), e.encoded.size());
    }
    std::uint64_t offset = 0;
    for (auto& t : tensors_) {
        t.offset = offset;
        offset += align_up(t.size, alignment_);
        h.put_string(t.name);
        h.put<std::uint32_t>(t.n_dims);
        for (std::uint32_t d = 0; d < t.n_dims; ++d) h.put<std::uint64_t>(t.shape[d]);
        h.put<std::uint32_t>(t.type);
        h.put<std::uint64_t>(t.offset);
    }
    data_size_ = offset;
    header_written_ = true;
    buffer_.resize(buffer_capacity);
    emit(h.bytes.data(), h.bytes.size());
    // A file without tensors has no data section, so it is not padded (as vocabulary-only files).
    if (!tensors_.empty()) pad_to_alignment();
}

void gguf_writer::fail_io(const std::string& what) {
    const int code = errno;
    failed_ = true;
    throw std::system_error(code, std::generic_category(), "gguf writer: " + what + " " + temp_path_.string());
}

void gguf_writer::flush_buffer() {
    std::size_t done = 0;
    while (done < buffered_) {
        const auto n = ::write(fd_, buffer_.data() + done, buffered_ - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_io("cannot write");
        }
        done += static_cast<std::size_t>(n);
    }
    buffered_ = 0;
}

void gguf_writer::emit(const void* data, std::uint64_t size) {
    const auto* p = static_cast<const std::byte*>(data);
    file_position_ += size;
    if (buffered_ + size <= buffer_.size()) {
        std::memcpy(buffer_.data() + buffered_, p, static_cast<std::size_t>(size));
        buffered_ += static_cast<std::size_t>(size);
        return;
    }
    flush_buffer();
    if (size < buffer_.size()) {
        std::memcpy(buffer_.data(), p, static_cast<std::size_t>(size));
        buffered_ = static_cast<std::size_t>(size);
        return;
    }
    // Large writes go straight to the file.
    while (size > 0) {
        const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(size, std::uint64_t{1} << 30));
        const auto n = ::write(fd_, p, chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_io("cannot write");
        }
        p += n;
        size -= static_cast<std::uint64_t>(n);
    }
}

void gguf_writer::pad_to_alignment() {
    static constexpr std::byte zeros[256] = {};
    auto pad = align_up(file_position_, alignment_) - file_position_;
    while (pad > 0) {
        const auto n = std::min<std::uint64_t>(pad, sizeof zeros);
        emit(zeros, n);
        pad -= n;
    }
}

void gguf_writer::advance_lent() {
    while (cursor_ < tensors_.size()) {
        const auto& t = tensors_[cursor_];
        if (cursor_done_ == t.size) {  // complete: pad and move on
            pad_to_alignment();
            ++cursor_;
            cursor_done_ = 0;
            continue;
        }
        if (t.lent == nullptr) return;
        emit(static_cast<const std::byte*>(t.lent) + cursor_done_, t.size - cursor_done_);
        cursor_done_ = t.size;
    }
}

void gguf_writer::write_data(const void* data, std::uint64_t size) {
    if (done_) bad("cannot write tensor data: the writer is finished");
    if (failed_) bad("cannot write tensor data: an earlier write failed");
    if (size != 0 && data == nullptr) bad("tensor data is NULL");
    if (!header_written_) write_header();
    const auto* p = static_cast<const std::byte*>(data);
    while (size > 0) {
        advance_lent();
        if (cursor_ == tensors_.size()) bad("more tensor data than the declared tensors hold");
        const auto& t = tensors_[cursor_];
        const auto n = std::min(size, t.size - cursor_done_);
        emit(p, n);
        cursor_done_ += n;
        p += n;
        size -= n;
    }
    advance_lent();
}

void gguf_writer::finish() {
    if (done_) bad("the writer is already finished");
    if (failed_) bad("cannot finish: an earlier write failed");
    if (!header_written_) write_header();
    advance_lent();
    if (cursor_ < tensors_.size()) {
        const auto& t = tensors_[cursor_];
        std::size_t count = 0;
        for (auto i = cursor_; i < tensors_.size(); ++i) count += tensors_[i].lent == nullptr ? 1 : 0;
        bad("tensor " + quote_text(t.name) + " got " + std::to_string(cursor_done_) + " of its " + std::to_string(t.size) +
            " bytes (" + std::to_string(count) + " tensor(s) incomplete)");
    }
    flush_buffer();
    if (::close(fd_) != 0) {
        fd_ = -1;
        fail_io("cannot close");
    }
    fd_ = -1;
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
        const int code = errno;
        failed_ = true;
        throw std::system_error(code, std::generic_category(),
                                "gguf writer: cannot rename " + temp_path_.string() + " to " + path_.string());
    }
    done_ = true;
}

}  // namespace plinth::gguf
