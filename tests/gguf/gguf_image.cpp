#include "gguf_image.hpp"

#include <stdexcept>

namespace plinth::gguf_test {
namespace {

// Bytes of one value of a fixed-size type; 0 for strings, arrays and unknown types.
std::uint64_t fixed_size(std::uint32_t type) {
    switch (type) {
    case type_u8: case type_i8: case type_bool: return 1;
    case type_u16: case type_i16: return 2;
    case type_u32: case type_i32: case type_f32: return 4;
    case type_u64: case type_i64: case type_f64: return 8;
    default: return 0;
    }
}

class reader {
public:
    explicit reader(std::span<const std::byte> file) : file_(file) {}

    std::uint64_t position() const { return position_; }

    std::span<const std::byte> take(std::uint64_t count) {
        if (count > file_.size() - position_) throw std::runtime_error("gguf_image: input ends early");
        const auto out = file_.subspan(position_, count);
        position_ += count;
        return out;
    }

    template <class T>
    T read() {
        T value;
        std::memcpy(&value, take(sizeof value).data(), sizeof value);
        return value;
    }

    std::string read_string() {
        const auto length = read<std::uint64_t>();
        const auto chars = take(length);
        return {reinterpret_cast<const char*>(chars.data()), chars.size()};
    }

    void skip_value(std::uint32_t type, unsigned depth = 0) {
        if (depth > 64) throw std::runtime_error("gguf_image: arrays nest too deep");
        if (const auto size = fixed_size(type); size != 0) {
            take(size);
            return;
        }
        switch (type) {
        case type_string: read_string(); return;
        case type_array: {
            const auto element_type = read<std::uint32_t>();
            const auto count = read<std::uint64_t>();
            if (const auto size = fixed_size(element_type); size != 0) {
                if (count > (file_.size() - position_) / size) throw std::runtime_error("gguf_image: array ends early");
                take(count * size);
                return;
            }
            for (std::uint64_t i = 0; i < count; ++i) skip_value(element_type, depth + 1);
            return;
        }
        default: throw std::runtime_error("gguf_image: unknown value type");
        }
    }

private:
    std::span<const std::byte> file_;
    std::uint64_t position_ = 0;
};

}  // namespace

gguf_image decode(std::span<const std::byte> file) {
    reader in(file);
    gguf_image image;
    std::memcpy(image.magic.data(), in.take(4).data(), 4);
    image.version = in.read<std::uint32_t>();
    const auto tensor_count = in.read<std::uint64_t>();
    const auto kv_count = in.read<std::uint64_t>();
    for (std::uint64_t i = 0; i < kv_count; ++i) {
        gguf_kv kv;
        kv.key = in.read_string();
        kv.type = in.read<std::uint32_t>();
        const auto start = in.position();
        in.skip_value(kv.type);
        kv.value.assign(file.begin() + static_cast<std::ptrdiff_t>(start),
                        file.begin() + static_cast<std::ptrdiff_t>(in.position()));
        if (kv.key == "general.alignment" && kv.type == type_u32) {
            std::uint32_t alignment = 0;
            std::memcpy(&alignment, kv.value.data(), sizeof alignment);
            if (alignment == 0 || (alignment & (alignment - 1)) != 0) throw std::runtime_error("gguf_image: bad alignment");
            image.padding_alignment = alignment;
        }
        image.kvs.push_back(std::move(kv));
    }
    for (std::uint64_t i = 0; i < tensor_count; ++i) {
        gguf_tensor tensor;
        tensor.name = in.read_string();
        const auto n_dims = in.read<std::uint32_t>();
        for (std::uint32_t d = 0; d < n_dims; ++d) tensor.dims.push_back(in.read<std::uint64_t>());
        tensor.type = in.read<std::uint32_t>();
        tensor.offset = in.read<std::uint64_t>();
        image.tensors.push_back(std::move(tensor));
    }
    const auto alignment = image.padding_alignment;
    const auto data_offset = (in.position() + alignment - 1) / alignment * alignment;
    if (data_offset < file.size()) image.data.assign(file.begin() + static_cast<std::ptrdiff_t>(data_offset), file.end());
    return image;
}

bytes encode(const gguf_image& image, gguf_layout* layout) {
    gguf_layout where;
    bytes out;
    for (const char c : image.magic) out.push_back(static_cast<std::byte>(c));
    append(out, image.version);
    append(out, static_cast<std::uint64_t>(image.tensors.size()));
    append(out, static_cast<std::uint64_t>(image.kvs.size()));
    for (const auto& kv : image.kvs) {
        where.kv_offsets.push_back(out.size());
        append_string(out, kv.key);
        append(out, kv.type);
        where.kv_value_offsets.push_back(out.size());
        out.insert(out.end(), kv.value.begin(), kv.value.end());
    }
    for (const auto& tensor : image.tensors) {
        where.tensor_info_offsets.push_back(out.size());
        append_string(out, tensor.name);
        append(out, static_cast<std::uint32_t>(tensor.dims.size()));
        for (const auto dim : tensor.dims) append(out, dim);
        append(out, tensor.type);
        append(out, tensor.offset);
    }
    where.header_end = out.size();
    where.data_offset = out.size();
    if (!image.tensors.empty() || !image.data.empty()) {
        const auto alignment = image.padding_alignment;
        where.data_offset = (out.size() + alignment - 1) / alignment * alignment;
        out.resize(where.data_offset);
        out.insert(out.end(), image.data.begin(), image.data.end());
    }
    if (layout != nullptr) *layout = std::move(where);
    return out;
}

// Byte by byte: GCC 12 at -O3 misreads the inlined vector range insert / resize of a few constant
// bytes as an overflow (-Wstringop-overflow, -Warray-bounds false positives).
void append_raw(bytes& out, const void* data, std::size_t size) {
    const auto* first = static_cast<const std::byte*>(data);
    for (std::size_t i = 0; i < size; ++i) out.push_back(first[i]);
}

void append_string(bytes& out, std::string_view text) {
    append(out, static_cast<std::uint64_t>(text.size()));
    for (const char c : text) out.push_back(static_cast<std::byte>(c));
}

bytes string_value(std::string_view text) {
    bytes out;
    append_string(out, text);
    return out;
}

bytes string_array_value(const std::vector<std::string>& elements) {
    bytes encoded;
    for (const auto& element : elements) append_string(encoded, element);
    return array_value(type_string, elements.size(), encoded);
}

bytes array_value(std::uint32_t element_type, std::uint64_t count, const bytes& encoded_elements) {
    bytes out;
    append(out, element_type);
    append(out, count);
    out.insert(out.end(), encoded_elements.begin(), encoded_elements.end());
    return out;
}

}  // namespace plinth::gguf_test
