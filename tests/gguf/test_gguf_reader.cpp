// The C++ reader on real files: the shared stories260K models, the vocabulary-only files, and the
// small samples that cover every metadata value type.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include <plinth/weight_types.h>

#include "file_bytes.hpp"
#include "gguf_reader.hpp"
#include "shared_dir.hpp"
#include "valid_samples.hpp"

using plinth::gguf::array_value;
using plinth::gguf::gguf_file;
using plinth::gguf::value_type;

namespace {

const plinth::gguf::metadata_entry& entry(const gguf_file& file, std::string_view key) {
    const auto* found = file.find(key);
    INFO("key " << std::string(key));
    REQUIRE(found != nullptr);
    return *found;
}

std::uint64_t uint_value(const gguf_file& file, std::string_view key) {
    const auto value = entry(file, key).as_uint();
    REQUIRE(value.has_value());
    return *value;
}

template <class T>
T element(const array_value& array, std::size_t index) {
    REQUIRE((index + 1) * sizeof(T) <= array.encoded.size());
    T value;
    std::memcpy(&value, array.encoded.data() + index * sizeof(T), sizeof value);
    return value;
}

void check_tensors_lie_in_the_file(const gguf_file& file) {
    for (const auto& tensor : file.tensors()) {
        INFO("tensor " << std::string(tensor.name));
        CHECK(tensor.file_offset == file.data_offset() + tensor.offset);
        CHECK(tensor.file_offset % file.alignment() == 0);
        CHECK(tensor.data.data() == file.bytes().data() + tensor.file_offset);
        CHECK(tensor.data.size() == tensor.size_bytes);
        CHECK(tensor.file_offset + tensor.size_bytes <= file.bytes().size());
    }
}

}  // namespace

TEST_CASE("stories260K models open with the expected hyperparameters") {
    for (const char* model : {"stories260K.gguf", "stories260K-Q8_0.gguf", "stories260K-Q4_0.gguf"}) {
        DYNAMIC_SECTION(model) {
            const auto file = gguf_file::open(plinth::test::shared_model(model));
            CHECK(file.version() == 3);
            CHECK(file.alignment() == 32);
            CHECK(file.tensors().size() == 48);
            CHECK(entry(file, "general.architecture").as_string() == "llama");
            CHECK(uint_value(file, "llama.block_count") == 5);
            CHECK(uint_value(file, "llama.embedding_length") == 64);
            CHECK(uint_value(file, "llama.feed_forward_length") == 172);
            CHECK(uint_value(file, "llama.attention.head_count") == 8);
            CHECK(uint_value(file, "llama.attention.head_count_kv") == 4);
            // The file says 2048 (the model was trained with 512-token sequences, but this is the key's value).
            CHECK(uint_value(file, "llama.context_length") == 2048);
            CHECK(entry(file, "llama.attention.layer_norm_rms_epsilon").as_float().value() == Approx(1e-5));

            const auto* tokens = entry(file, "tokenizer.ggml.tokens").as_array();
            REQUIRE(tokens != nullptr);
            CHECK(tokens->element_type == value_type::string);
            CHECK(tokens->count == 512);
            CHECK(tokens->string_at(0) == "<unk>");
            CHECK(tokens->string_at(1) == "<s>");
            CHECK(tokens->string_at(2) == "</s>");
            CHECK_THROWS_AS(tokens->string_at(512), std::out_of_range);

            const auto* scores = entry(file, "tokenizer.ggml.scores").as_array();
            REQUIRE(scores != nullptr);
            CHECK(scores->element_type == value_type::f32);
            CHECK(scores->encoded.size() == 512 * sizeof(float));
            CHECK_THROWS_AS(scores->string_at(0), std::out_of_range);

            const auto* embeddings = file.find_tensor("token_embd.weight");
            REQUIRE(embeddings != nullptr);
            CHECK(embeddings->n_dims == 2);
            CHECK(embeddings->shape == std::array<std::uint64_t, 4>{64, 512, 1, 1});
            CHECK(embeddings->element_count == 64 * 512);
            CHECK(file.find_tensor("no.such.tensor") == nullptr);
            check_tensors_lie_in_the_file(file);
        }
    }
}

TEST_CASE("the F32 model's tensors are F32 and fill the data section") {
    const auto file = gguf_file::open(plinth::test::shared_model("stories260K.gguf"));
    std::uint64_t elements = 0;
    std::uint64_t last_end = 0;
    for (const auto& tensor : file.tensors()) {
        CHECK(tensor.type == PLINTH_TYPE_F32);
        CHECK(tensor.size_bytes == tensor.element_count * 4);
        elements += tensor.element_count;
        last_end = std::max(last_end, tensor.file_offset + tensor.size_bytes);
    }
    CHECK(elements > 250'000);
    CHECK(elements < 300'000);
    CHECK(last_end == file.bytes().size());
}

TEST_CASE("quantized models hold Q8_0 / Q4_0 tensors and keep ffn_down in F16") {
    const auto q8 = gguf_file::open(plinth::test::shared_model("stories260K-Q8_0.gguf"));
    const auto* attn_q = q8.find_tensor("blk.0.attn_q.weight");
    REQUIRE(attn_q != nullptr);
    CHECK(attn_q->type == PLINTH_TYPE_Q8_0);
    CHECK(attn_q->size_bytes == 64 * 64 / 32 * 34);
    for (int layer = 0; layer < 5; ++layer) {
        const auto* ffn_down = q8.find_tensor("blk." + std::to_string(layer) + ".ffn_down.weight");
        REQUIRE(ffn_down != nullptr);
        CHECK(ffn_down->type == PLINTH_TYPE_F16);  // 172 is not a multiple of 32
        CHECK(ffn_down->shape == std::array<std::uint64_t, 4>{172, 64, 1, 1});
        CHECK(ffn_down->size_bytes == 172 * 64 * 2);
    }
    CHECK(q8.find_tensor("output_norm.weight")->type == PLINTH_TYPE_F32);

    const auto q4 = gguf_file::open(plinth::test::shared_model("stories260K-Q4_0.gguf"));
    CHECK(q4.find_tensor("token_embd.weight")->type == PLINTH_TYPE_Q4_0);
    CHECK(q4.find_tensor("token_embd.weight")->size_bytes == 64 * 512 / 32 * 18);
    CHECK(q4.find_tensor("blk.0.ffn_down.weight")->type == PLINTH_TYPE_F16);
}

TEST_CASE("parsing from memory gives the same view as mapping the file") {
    const auto path = plinth::test::shared_model("stories260K-Q8_0.gguf");
    const auto bytes = plinth::gguf_test::read_file_bytes(path);
    const auto in_memory = gguf_file::from_memory(bytes);
    const auto mapped = gguf_file::open(path);
    CHECK(in_memory.bytes().data() == bytes.data());
    REQUIRE(in_memory.metadata().size() == mapped.metadata().size());
    REQUIRE(in_memory.tensors().size() == mapped.tensors().size());
    for (std::size_t i = 0; i < mapped.tensors().size(); ++i) {
        CHECK(in_memory.tensors()[i].name == mapped.tensors()[i].name);
        CHECK(in_memory.tensors()[i].file_offset == mapped.tensors()[i].file_offset);
    }
    check_tensors_lie_in_the_file(in_memory);
}

TEST_CASE("a moved gguf_file keeps its views") {
    auto original = gguf_file::open(plinth::test::shared_model("stories260K.gguf"));
    const auto* data = original.bytes().data();
    const gguf_file moved = std::move(original);
    CHECK(moved.bytes().data() == data);
    CHECK(entry(moved, "general.architecture").as_string() == "llama");
    CHECK(moved.find_tensor("output.weight") != nullptr);
}

TEST_CASE("vocabulary-only files open") {
    struct expectation {
        const char* file;
        std::uint64_t tokens;
    };
    for (const auto& [name, token_count] : {expectation{"ggml-vocab-llama-spm.gguf", 32000},
                                            expectation{"ggml-vocab-llama-bpe.gguf", 128256},
                                            expectation{"ggml-vocab-gpt-2.gguf", 50257}}) {
        DYNAMIC_SECTION(name) {
            const auto file = gguf_file::open(plinth::test::shared_dir() / "vocab" / name);
            CHECK(file.tensors().empty());
            const auto* tokens = entry(file, "tokenizer.ggml.tokens").as_array();
            REQUIRE(tokens != nullptr);
            CHECK(tokens->element_type == value_type::string);
            CHECK(tokens->count == token_count);
            CHECK(tokens->string_offsets.size() == token_count);
            CHECK_NOTHROW(tokens->string_at(token_count - 1));
        }
    }
}

TEST_CASE("every metadata value type and nested arrays are read") {
    for (const auto& sample : plinth::gguf_test::make_valid_samples()) {
        if (sample.name.rfind("all_value_types", 0) != 0) continue;
        DYNAMIC_SECTION(sample.name) {
            const auto file = gguf_file::from_memory(sample.data);
            CHECK(file.version() == (sample.name.ends_with("v2") ? 2u : 3u));
            CHECK(file.alignment() == 64);
            CHECK(file.data_offset() % 64 == 0);
            CHECK(entry(file, "general.architecture").as_string() == "sample");
            CHECK(uint_value(file, "sample.u8") == 200);
            CHECK(entry(file, "sample.i8").as_int() == -100);
            CHECK(uint_value(file, "sample.u16") == 60000);
            CHECK(entry(file, "sample.i16").as_int() == -30000);
            CHECK(uint_value(file, "sample.u32") == 4000000000u);
            CHECK(entry(file, "sample.i32").as_int() == -2000000000);
            CHECK(entry(file, "sample.f32").as_float() == 1.5);
            CHECK(uint_value(file, "sample.bool") == 1);
            CHECK(entry(file, "sample.bool").type == value_type::boolean);
            CHECK(uint_value(file, "sample.u64") == (std::uint64_t{1} << 40));
            CHECK(entry(file, "sample.i64").as_int() == -(std::int64_t{1} << 40));
            CHECK(entry(file, "sample.f64").as_float() == 2.25);
            CHECK(entry(file, "sample.string_empty").as_string() == "");
            CHECK_FALSE(entry(file, "sample.u8").as_string().has_value());

            const auto* u8s = entry(file, "sample.u8_array").as_array();
            REQUIRE(u8s != nullptr);
            CHECK(u8s->count == 3);
            CHECK(element<std::uint8_t>(*u8s, 2) == 3);
            CHECK(element<std::int32_t>(*entry(file, "sample.i32_array").as_array(), 0) == -1);
            CHECK(element<float>(*entry(file, "sample.f32_array").as_array(), 1) == -2.0f);
            CHECK(element<std::uint8_t>(*entry(file, "sample.bool_array").as_array(), 1) == 0);

            const auto* strings = entry(file, "sample.string_array").as_array();
            REQUIRE(strings != nullptr);
            CHECK(strings->string_at(0) == "alpha");
            CHECK(strings->string_at(1) == "");
            CHECK(strings->string_at(2) == "\xce\xb3");
            CHECK(entry(file, "sample.empty_array").as_array()->count == 0);

            const auto* nested_strings = entry(file, "sample.nested_strings").as_array();
            REQUIRE(nested_strings != nullptr);
            CHECK(nested_strings->element_type == value_type::array);
            REQUIRE(nested_strings->nested.size() == 2);
            CHECK(nested_strings->nested[0].string_at(1) == "yz");
            CHECK(nested_strings->nested[1].count == 0);
            const auto* nested_i16 = entry(file, "sample.nested_i16").as_array();
            REQUIRE(nested_i16->nested.size() == 2);
            CHECK(element<std::int16_t>(nested_i16->nested[0], 1) == 2);
            CHECK(element<std::int16_t>(nested_i16->nested[1], 0) == 3);
            const auto* deep = entry(file, "sample.deep").as_array();
            CHECK(element<std::uint8_t>(deep->nested.at(0).nested.at(0), 0) == 7);

            REQUIRE(file.tensors().size() == 4);
            const auto* q8 = file.find_tensor("weights.q8_0");
            CHECK(q8->size_bytes == 68);
            const auto* f16 = file.find_tensor("weights.f16_4d");
            CHECK(f16->n_dims == 4);
            CHECK(f16->shape == std::array<std::uint64_t, 4>{3, 1, 1, 2});
            CHECK(f16->size_bytes == 12);
            CHECK(file.find_tensor("weights.q4_k")->size_bytes == 144);
            for (const auto& tensor : file.tensors()) {
                CHECK(std::to_integer<std::uint64_t>(tensor.data.front()) == tensor.file_offset % 251);
            }
            check_tensors_lie_in_the_file(file);
        }
    }
}

TEST_CASE("files without tensors need no data section") {
    for (const auto& sample : plinth::gguf_test::make_valid_samples()) {
        if (sample.name != "metadata_only" && sample.name != "empty") continue;
        DYNAMIC_SECTION(sample.name) {
            const auto file = gguf_file::from_memory(sample.data);
            CHECK(file.tensors().empty());
            CHECK(file.data_offset() >= sample.data.size());
        }
    }
}

TEST_CASE("files that cannot be read are I/O errors, not format errors") {
    CHECK_THROWS_AS(gguf_file::open(plinth::test::shared_dir() / "no-such-file.gguf"), std::system_error);
    CHECK_THROWS_AS(gguf_file::open(plinth::test::shared_dir()), std::system_error);
}
