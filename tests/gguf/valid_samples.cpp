#include "valid_samples.hpp"

#include <cstdint>

#include <plinth/weight_types.h>

namespace plinth::gguf_test {
namespace {

template <class T>
bytes packed(std::initializer_list<T> values) {
    bytes out;
    for (const T value : values) append(out, value);
    return out;
}

bytes concatenated(std::initializer_list<bytes> parts) {
    bytes out;
    for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
    return out;
}

// Appends a tensor at the next aligned offset of the data section (zeros until with_data_pattern).
void add_tensor(gguf_image& image, std::string name, std::uint32_t type, std::vector<std::uint64_t> dims) {
    const auto traits = plinth_weight_type_info(type);
    std::uint64_t size = dims.at(0) / traits.block_size * traits.block_bytes;
    for (std::size_t d = 1; d < dims.size(); ++d) size *= dims[d];
    const auto alignment = image.padding_alignment;
    const auto offset = (image.data.size() + alignment - 1) / alignment * alignment;
    image.data.resize(offset + size);
    image.tensors.push_back(gguf_tensor{std::move(name), std::move(dims), type, offset});
}

// Encodes, filling the data section with (file offset % 251) so tests can recognise each tensor's bytes.
bytes with_data_pattern(const gguf_image& image) {
    gguf_layout layout;
    auto file = encode(image, &layout);
    for (auto at = layout.data_offset; at < file.size(); ++at) file[at] = static_cast<std::byte>(at % 251);
    return file;
}

gguf_image all_value_types(std::uint32_t version) {
    gguf_image image;
    image.version = version;
    image.padding_alignment = 64;
    auto& kvs = image.kvs;
    kvs.push_back({"general.architecture", type_string, string_value("sample")});
    kvs.push_back({"general.alignment", type_u32, scalar_value<std::uint32_t>(64)});
    kvs.push_back({"sample.u8", type_u8, scalar_value<std::uint8_t>(200)});
    kvs.push_back({"sample.i8", type_i8, scalar_value<std::int8_t>(-100)});
    kvs.push_back({"sample.u16", type_u16, scalar_value<std::uint16_t>(60000)});
    kvs.push_back({"sample.i16", type_i16, scalar_value<std::int16_t>(-30000)});
    kvs.push_back({"sample.u32", type_u32, scalar_value<std::uint32_t>(4000000000u)});
    kvs.push_back({"sample.i32", type_i32, scalar_value<std::int32_t>(-2000000000)});
    kvs.push_back({"sample.f32", type_f32, scalar_value<float>(1.5f)});
    kvs.push_back({"sample.bool", type_bool, scalar_value<std::uint8_t>(1)});
    kvs.push_back({"sample.u64", type_u64, scalar_value<std::uint64_t>(std::uint64_t{1} << 40)});
    kvs.push_back({"sample.i64", type_i64, scalar_value<std::int64_t>(-(std::int64_t{1} << 40))});
    kvs.push_back({"sample.f64", type_f64, scalar_value<double>(2.25)});
    kvs.push_back({"sample.string_empty", type_string, string_value("")});
    kvs.push_back({"sample.u8_array", type_array, array_value(type_u8, 3, packed<std::uint8_t>({1, 2, 3}))});
    kvs.push_back({"sample.i32_array", type_array, array_value(type_i32, 2, packed<std::int32_t>({-1, 7}))});
    kvs.push_back({"sample.f32_array", type_array, array_value(type_f32, 2, packed<float>({0.5f, -2.0f}))});
    kvs.push_back({"sample.bool_array", type_array, array_value(type_bool, 3, packed<std::uint8_t>({1, 0, 1}))});
    kvs.push_back({"sample.string_array", type_array, string_array_value({"alpha", "", "\xce\xb3"})});
    kvs.push_back({"sample.empty_array", type_array, array_value(type_u64, 0)});
    kvs.push_back({"sample.nested_strings", type_array,
                   array_value(type_array, 2, concatenated({string_array_value({"x", "yz"}), string_array_value({})}))});
    kvs.push_back({"sample.nested_i16", type_array,
                   array_value(type_array, 2,
                               concatenated({array_value(type_i16, 2, packed<std::int16_t>({1, 2})),
                                             array_value(type_i16, 1, packed<std::int16_t>({3}))}))});
    kvs.push_back({"sample.deep", type_array,
                   array_value(type_array, 1, array_value(type_array, 1, array_value(type_u8, 1, packed<std::uint8_t>({7}))))});

    add_tensor(image, "weights.f32", PLINTH_TYPE_F32, {4, 2});
    add_tensor(image, "weights.q8_0", PLINTH_TYPE_Q8_0, {64, 1});
    add_tensor(image, "weights.f16_4d", PLINTH_TYPE_F16, {3, 1, 1, 2});
    add_tensor(image, "weights.q4_k", PLINTH_TYPE_Q4_K, {256});
    return image;
}

}  // namespace

std::vector<named_gguf> make_valid_samples() {
    std::vector<named_gguf> samples;
    samples.push_back({"all_value_types_v3", with_data_pattern(all_value_types(3))});
    samples.push_back({"all_value_types_v2", with_data_pattern(all_value_types(2))});

    gguf_image metadata_only;
    metadata_only.kvs.push_back({"general.architecture", type_string, string_value("sample")});
    metadata_only.kvs.push_back({"sample.string_array", type_array, string_array_value({"alpha", "", "\xce\xb3"})});
    samples.push_back({"metadata_only", encode(metadata_only)});

    samples.push_back({"empty", encode(gguf_image{})});
    return samples;
}

}  // namespace plinth::gguf_test
