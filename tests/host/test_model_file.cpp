// Model files through the format plugin: typed metadata, tensors in place, the inspect summary.
#include <catch2/catch.hpp>

#include <plinth/error.hpp>
#include <plinth/model_file.hpp>
#include <plinth/model_summary.hpp>
#include <plinth/plugin_host.hpp>

#include "shared_dir.hpp"
#include "test_host.hpp"

#include <filesystem>
#include <fstream>

using namespace plinth;

namespace {

// One host for the file: loading plugins once is enough.
const plugin_host& host() { return test::built_plugins(); }

}  // namespace

TEST_CASE("stories260K opens with typed metadata and in-place tensors", "[model]") {
    const auto file = model_file::open(host(), test::shared_model("stories260K.gguf"));
    CHECK(file->format_name() == "gguf");
    CHECK(file->get_string("general.architecture") == "llama");
    CHECK(file->get_uint("llama.block_count") == 5u);
    CHECK(file->get_uint("llama.attention.head_count_kv") == 4u);
    CHECK(file->get_float("llama.attention.layer_norm_rms_epsilon").has_value());
    CHECK_FALSE(file->get_uint("no.such.key").has_value());
    CHECK_THROWS_AS(file->get_uint("general.architecture"), plinth::error);

    const auto tokens = file->get_string_array("tokenizer.ggml.tokens");
    REQUIRE(tokens);
    CHECK(tokens->size() == 512);
    CHECK(file->array_size("tokenizer.ggml.scores") == 512u);
    CHECK(file->get_f32_array("tokenizer.ggml.scores")->size() == 512);

    REQUIRE(file->tensors().size() == 48);
    const auto* embd = file->find_tensor("token_embd.weight");
    REQUIRE(embd != nullptr);
    CHECK(embd->shape == std::vector<uint64_t>{64, 512});
    CHECK(embd->size == 64 * 512 * 4);
    // In place: the tensor's bytes lie inside the mapped file.
    const auto map = file->mapping();
    const auto* base = static_cast<const char*>(map.base);
    const auto* data = static_cast<const char*>(embd->data);
    CHECK(data >= base);
    CHECK(data + embd->size <= base + map.size);
}

TEST_CASE("the summary reports shape and weight-type mix", "[model]") {
    const auto f32 = summarize(*model_file::open(host(), test::shared_model("stories260K.gguf")));
    CHECK(f32.architecture == "llama");
    CHECK(f32.layers == 5u);
    CHECK(f32.heads == 8u);
    CHECK(f32.kv_heads == 4u);
    CHECK(f32.embedding == 64u);
    CHECK(f32.ffn == 172u);
    CHECK(f32.vocab == 512u);
    // The file says 2048 (llama.context_length = 0x800), although the model was trained on 512.
    CHECK(f32.context_length == 2048u);
    CHECK(f32.tensor_count == 48);
    REQUIRE(f32.type_mix.size() == 1);
    CHECK(f32.type_mix[0].type == "F32");
    CHECK(f32.parameters > 250000);
    CHECK(f32.parameters < 300000);

    const auto q8 = summarize(*model_file::open(host(), test::shared_model("stories260K-Q8_0.gguf")));
    CHECK(q8.file_type == "Q8_0");
    std::vector<std::string> types;
    for (const auto& t : q8.type_mix) types.push_back(t.type);
    CHECK(std::find(types.begin(), types.end(), "Q8_0") != types.end());
    CHECK(std::find(types.begin(), types.end(), "F16") != types.end());  // ffn_down: 172 is not a multiple of 32

    const auto q4 = summarize(*model_file::open(host(), test::shared_model("stories260K-Q4_0.gguf")));
    CHECK(q4.file_type == "Q4_0");
    CHECK(q4.parameters == f32.parameters);
}

TEST_CASE("unreadable and foreign files are errors, not crashes", "[model]") {
    CHECK_THROWS_WITH(model_file::open(host(), "/nonexistent/model.gguf"), Catch::Contains("cannot open"));

    const auto path = std::filesystem::temp_directory_path() / "plinth-test-not-a-model.bin";
    std::ofstream(path) << "hello, I am a text file";
    CHECK_THROWS_WITH(model_file::open(host(), path), Catch::Contains("no loaded format plugin recognises"));
    std::filesystem::remove(path);
}
