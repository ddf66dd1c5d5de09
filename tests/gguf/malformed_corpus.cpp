#include "malformed_corpus.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include <plinth/weight_types.h>

namespace plinth::gguf_test {
namespace {

constexpr std::uint64_t huge = std::uint64_t{1} << 60;
constexpr std::uint64_t max_u64 = std::numeric_limits<std::uint64_t>::max();

bool is_scalar_of_at_least_two_bytes(std::uint32_t type) {
    return type == type_u16 || type == type_i16 || type == type_u32 || type == type_i32 || type == type_f32 ||
           type == type_u64 || type == type_i64 || type == type_f64;
}

std::uint32_t array_element_type(const gguf_kv& kv) {
    std::uint32_t element_type = 0;
    std::memcpy(&element_type, kv.value.data(), sizeof element_type);
    return element_type;
}

class corpus_builder {
public:
    explicit corpus_builder(std::span<const std::byte> valid) : base_(decode(valid)), file_(encode(base_, &layout_)) {
        if (base_.tensors.size() < 2) throw std::invalid_argument("malformed corpus: the source needs two tensors");
        last_kv_ = base_.kvs.size() - 1;
        string_kv_ = find_kv([](const gguf_kv& kv) { return kv.type == type_string; });
        string_array_kv_ = find_kv([](const gguf_kv& kv) { return kv.type == type_array && array_element_type(kv) == type_string; });
        numeric_array_kv_ = find_kv([](const gguf_kv& kv) {
            return kv.type == type_array && is_scalar_of_at_least_two_bytes(array_element_type(kv));
        });
        scalar_kv_ = find_kv([](const gguf_kv& kv) { return is_scalar_of_at_least_two_bytes(kv.type); });
        // The last array, so that a cut inside it leaves room for the metadata count and fails in the array.
        last_array_kv_ = find_kv([](const gguf_kv& kv) { return kv.type == type_array; }, true);

        by_offset_.resize(base_.tensors.size());
        for (std::size_t i = 0; i < by_offset_.size(); ++i) by_offset_[i] = i;
        std::sort(by_offset_.begin(), by_offset_.end(),
                  [this](std::size_t a, std::size_t b) { return base_.tensors[a].offset < base_.tensors[b].offset; });
    }

    std::vector<malformed_variant> build() {
        add_truncations();
        add_header_variants();
        add_metadata_variants();
        add_tensor_variants();
        return std::move(variants_);
    }

private:
    // Index of the first (or last) kv matching `predicate`.
    template <class Predicate>
    std::size_t find_kv(Predicate predicate, bool last = false) const {
        const auto& kvs = base_.kvs;
        const auto count = last ? std::find_if(kvs.rbegin(), kvs.rend(), predicate) - kvs.rbegin()
                                : std::find_if(kvs.begin(), kvs.end(), predicate) - kvs.begin();
        const auto index = static_cast<std::size_t>(count);
        if (index == kvs.size()) throw std::invalid_argument("malformed corpus: the source lacks a kind of metadata it needs");
        return last ? kvs.size() - 1 - index : index;
    }

    std::uint64_t kv_end(std::size_t kv) const {
        return kv + 1 < layout_.kv_offsets.size() ? layout_.kv_offsets[kv + 1]
                                                   : layout_.tensor_info_offsets.front();
    }

    // End of the last tensor's bytes, relative to the data section.
    std::uint64_t tensor_data_end() const {
        const auto& last = base_.tensors[by_offset_.back()];
        return last.offset + tensor_bytes(last);
    }

    static std::uint64_t tensor_bytes(const gguf_tensor& tensor) {
        const auto traits = plinth_weight_type_info(tensor.type);
        std::uint64_t size = tensor.dims.at(0) / traits.block_size * traits.block_bytes;
        for (std::size_t d = 1; d < tensor.dims.size(); ++d) size *= tensor.dims[d];
        return size;
    }

    void add(std::string name, std::string expected_error, bytes data) {
        variants_.push_back({std::move(name), std::move(expected_error), std::move(data)});
    }

    void truncated(std::string name, std::uint64_t size, std::string expected_error = "truncated") {
        add(std::move(name), std::move(expected_error), bytes(file_.begin(), file_.begin() + static_cast<std::ptrdiff_t>(size)));
    }

    template <class T>
    void patched(std::string name, std::string expected_error, std::uint64_t offset, T value) {
        auto data = file_;
        patch(data, offset, value);
        add(std::move(name), std::move(expected_error), std::move(data));
    }

    template <class Edit>
    void edited(std::string name, std::string expected_error, Edit edit) {
        auto image = base_;
        edit(image);
        add(std::move(name), std::move(expected_error), encode(image));
    }

    void with_kv(std::string name, std::string expected_error, gguf_kv kv) {
        edited(std::move(name), std::move(expected_error), [&](gguf_image& image) { image.kvs.push_back(kv); });
    }

    // Replaces (or adds) general.alignment; the header stays padded to the real alignment.
    void with_alignment(std::string name, std::string expected_error, std::uint32_t type, bytes value) {
        edited(std::move(name), std::move(expected_error), [&](gguf_image& image) {
            std::erase_if(image.kvs, [](const gguf_kv& kv) { return kv.key == "general.alignment"; });
            image.kvs.push_back({"general.alignment", type, std::move(value)});
        });
    }

    void add_truncations() {
        const auto& kvs = layout_.kv_offsets;
        const auto& values = layout_.kv_value_offsets;
        const auto& infos = layout_.tensor_info_offsets;
        const auto& last_tensor = base_.tensors.back();
        truncated("empty_file", 0);
        truncated("truncated_in_magic", 2);
        truncated("truncated_in_version", 6);
        truncated("truncated_in_tensor_count", 12);
        truncated("truncated_in_kv_count", 20);
        truncated("truncated_in_key_length", kvs[last_kv_] + 4);
        truncated("truncated_in_key", kvs[last_kv_] + 8 + base_.kvs[last_kv_].key.size() / 2);
        truncated("truncated_in_value_type", values[last_kv_] - 2);
        truncated("truncated_in_scalar_value", values[scalar_kv_] + 1);
        truncated("truncated_in_string_length", values[string_kv_] + 3);
        truncated("truncated_in_string_value", values[string_kv_] + 9);
        truncated("truncated_in_array_header", values[last_array_kv_] + 6);
        truncated("truncated_in_string_array", kv_end(string_array_kv_) - 3);
        truncated("truncated_in_numeric_array", values[numeric_array_kv_] + 12 + 5);
        truncated("truncated_in_tensor_name", infos.back() + 8 + last_tensor.name.size() / 2);
        truncated("truncated_in_tensor_dims", infos.back() + 8 + last_tensor.name.size() + 4 + 3);
        truncated("truncated_in_tensor_offset", layout_.header_end - 3);
        // Cut inside the header's padding (or right at its end): every tensor's data is then missing.
        truncated("truncated_in_padding", std::min(layout_.header_end + 1, layout_.data_offset), "past the end");
        truncated("truncated_in_data", layout_.data_offset + tensor_data_end() / 2, "past the end");
        truncated("truncated_in_last_tensor", layout_.data_offset + tensor_data_end() - 1, "past the end");
    }

    void add_header_variants() {
        patched("bad_magic", "bad magic", 0, std::array<char, 4>{'G', 'G', 'M', 'L'});
        patched("version_1", "version 1", 4, std::uint32_t{1});
        patched("version_99", "version 99", 4, std::uint32_t{99});
        patched("version_big_endian", "big-endian", 4, std::uint32_t{0x03000000});
        patched("huge_tensor_count", "tensor count", 8, huge);
        patched("huge_kv_count", "metadata count", 16, huge);
        patched("max_kv_count", "metadata count", 16, max_u64);
    }

    void add_metadata_variants() {
        const auto& kvs = layout_.kv_offsets;
        const auto& values = layout_.kv_value_offsets;
        patched("huge_key_length", "string length", kvs.front(), std::uint64_t{1} << 62);
        patched("huge_string_length", "string length", values[string_kv_], std::uint64_t{1} << 63);
        patched("huge_string_array_count", "array count", values[string_array_kv_] + 4, huge);
        // count * element size would overflow 64 bits: the check must not multiply.
        patched("huge_numeric_array_count", "array count", values[numeric_array_kv_] + 4, std::uint64_t{1} << 62);
        with_kv("huge_nested_array_count", "array count",
                {"test.nested", type_array, array_value(type_array, 1, array_value(type_u8, huge))});
        bytes deep = array_value(type_u8, 0);
        for (int level = 0; level < 40; ++level) deep = array_value(type_array, 1, deep);
        with_kv("array_nesting_too_deep", "nest", {"test.deep", type_array, deep});
        patched("unknown_value_type", "unknown metadata value type", values[last_kv_] - 4, std::uint32_t{13});
        patched("unknown_array_element_type", "unknown array element type", values[string_array_kv_], std::uint32_t{99});
        edited("empty_key", "key is empty", [&](gguf_image& image) { image.kvs[last_kv_].key.clear(); });
        edited("key_with_control_character", "not valid", [&](gguf_image& image) { image.kvs[last_kv_].key = "general.na\x01me"; });
        edited("key_with_space", "not valid", [&](gguf_image& image) { image.kvs[last_kv_].key = "general name"; });
        edited("duplicate_key", "duplicate metadata key",
               [&](gguf_image& image) { image.kvs[last_kv_].key = image.kvs.front().key; });
        with_kv("bool_value_2", "neither 0 nor 1", {"test.flag", type_bool, scalar_value<std::uint8_t>(2)});
        with_kv("bool_array_element_7", "bool array element", {"test.flags", type_array, array_value(type_bool, 2, bytes{std::byte{1}, std::byte{7}})});
        with_alignment("alignment_zero", "power of two", type_u32, scalar_value<std::uint32_t>(0));
        with_alignment("alignment_not_power_of_two", "power of two", type_u32, scalar_value<std::uint32_t>(3));
        with_alignment("alignment_wrong_type", "must be a u32", type_u64, scalar_value<std::uint64_t>(32));
    }

    void add_tensor_variants() {
        const auto first = by_offset_[0];
        const auto second = by_offset_[1];
        const auto last = by_offset_.back();
        edited("unknown_tensor_type", "unknown tensor type", [](gguf_image& image) { image.tensors[0].type = 4; });
        edited("tensor_type_out_of_range", "unknown tensor type", [](gguf_image& image) { image.tensors[0].type = 1000; });
        edited("n_dims_zero", "must be 1 to 4", [](gguf_image& image) { image.tensors[0].dims.clear(); });
        edited("n_dims_five", "must be 1 to 4", [](gguf_image& image) { image.tensors[0].dims.resize(5, 1); });
        edited("zero_dim", "is zero", [](gguf_image& image) { image.tensors[0].dims = {image.tensors[0].dims[0], 0}; });
        edited("dims_product_overflows", "element count overflows",
               [](gguf_image& image) { image.tensors[0].dims = {std::uint64_t{1} << 32, std::uint64_t{1} << 32, 2}; });
        edited("dim_exceeds_int64", "element count overflows",
               [](gguf_image& image) { image.tensors[0].dims = {std::uint64_t{1} << 63}; });
        edited("byte_size_overflows", "byte size overflows", [](gguf_image& image) {
            image.tensors[0].type = PLINTH_TYPE_F32;
            image.tensors[0].dims = {std::uint64_t{1} << 31, std::uint64_t{1} << 31};
        });
        edited("row_not_multiple_of_block_size", "block size", [](gguf_image& image) {
            image.tensors[0].type = PLINTH_TYPE_Q8_0;
            image.tensors[0].dims[0] = 33;
        });
        edited("misaligned_tensor_offset", "not aligned", [&](gguf_image& image) { image.tensors[last].offset += 1; });
        edited("tensor_data_past_eof", "past the end", [&](gguf_image& image) {
            const auto alignment = image.padding_alignment;
            image.tensors[last].offset = (image.data.size() + alignment - 1) / alignment * alignment;
        });
        edited("tensor_offset_overflows", "past the end",
               [&](gguf_image& image) { image.tensors[last].offset = max_u64 - 31; });  // a multiple of 32
        edited("overlapping_tensors", "overlap",
               [&](gguf_image& image) { image.tensors[second].offset = image.tensors[first].offset; });
        edited("duplicate_tensor_name", "duplicate tensor name",
               [](gguf_image& image) { image.tensors[1].name = image.tensors[0].name; });
        edited("empty_tensor_name", "empty name", [](gguf_image& image) { image.tensors[0].name.clear(); });
        patched("huge_tensor_name_length", "string length", layout_.tensor_info_offsets.front(), std::uint64_t{1} << 62);
    }

    gguf_image base_;
    gguf_layout layout_;
    bytes file_;  // base_ encoded
    std::size_t last_kv_ = 0;
    std::size_t string_kv_ = 0;
    std::size_t string_array_kv_ = 0;
    std::size_t numeric_array_kv_ = 0;
    std::size_t scalar_kv_ = 0;
    std::size_t last_array_kv_ = 0;
    std::vector<std::size_t> by_offset_;  // tensor indices sorted by data offset
    std::vector<malformed_variant> variants_;
};

}  // namespace

std::vector<malformed_variant> make_malformed_corpus(std::span<const std::byte> valid_gguf) {
    return corpus_builder(valid_gguf).build();
}

}  // namespace plinth::gguf_test
