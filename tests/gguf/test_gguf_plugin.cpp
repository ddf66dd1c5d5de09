// The built plugin (plinth-gguf.so), loaded as the host loads it, through its C function table.
#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <plinth/plugin_api.h>
#include <plinth/weight_types.h>

#include "file_bytes.hpp"
#include "malformed_corpus.hpp"
#include "scoped_temp_dir.hpp"
#include "shared_dir.hpp"
#include "valid_samples.hpp"

using namespace plinth::gguf_test;

namespace {

std::string_view view(plinth_string_view s) { return {s.data, static_cast<std::size_t>(s.size)}; }

void collect_log(void* user, plinth_log_level, const char*, const char* message) {
    static_cast<std::vector<std::string>*>(user)->push_back(message);
}

plinth_host_info host_info(std::uint32_t abi_major, std::uint32_t abi_minor_max, std::vector<std::string>* log) {
    plinth_host_info host{};
    host.struct_size = sizeof host;
    host.abi_major = abi_major;
    host.abi_minor_max = abi_minor_max;
    host.host_version = "test";
    host.log = collect_log;
    host.log_user = log;
    return host;
}

// dlopen()s the plugin; negotiate() and init() as the host does.
class loaded_plugin {
public:
    loaded_plugin() : handle_(dlopen(PLINTH_GGUF_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL)) {
        INFO("dlopen " << PLINTH_GGUF_PLUGIN_PATH << ": " << (handle_ == nullptr ? dlerror() : "ok"));
        REQUIRE(handle_ != nullptr);
        void* symbol = dlsym(handle_, PLINTH_PLUGIN_ENTRY_SYMBOL);
        REQUIRE(symbol != nullptr);
        std::memcpy(&entry_, &symbol, sizeof entry_);  // object pointer to function pointer, as POSIX allows
    }
    ~loaded_plugin() {
        if (initialized_) descriptor_->shutdown();
        dlclose(handle_);
    }
    loaded_plugin(const loaded_plugin&) = delete;
    loaded_plugin& operator=(const loaded_plugin&) = delete;

    const plinth_plugin_descriptor* entry(const plinth_host_info& host, plinth_message& refusal) const {
        return entry_(&host, &refusal);
    }

    // Negotiates ABI 1.x and initializes; returns the format table.
    const plinth_format_api& init() {
        host_ = host_info(PLINTH_ABI_MAJOR, PLINTH_ABI_MINOR, &log_);
        plinth_message message{};
        descriptor_ = entry_(&host_, &message);
        REQUIRE(descriptor_ != nullptr);
        REQUIRE(descriptor_->init(&host_, &message) == PLINTH_OK);
        initialized_ = true;
        REQUIRE(descriptor_->format != nullptr);
        return *descriptor_->format;
    }

    const std::vector<std::string>& log() const { return log_; }

private:
    void* handle_;
    plinth_plugin_entry_fn entry_ = nullptr;
    const plinth_plugin_descriptor* descriptor_ = nullptr;
    bool initialized_ = false;
    plinth_host_info host_{};
    std::vector<std::string> log_;
};

// An open file, closed on scope exit.
class open_file {
public:
    open_file(const plinth_format_api& api, const std::filesystem::path& path) : api_(api) {
        plinth_message message{};
        const auto status = api.open(path.c_str(), &file_, &message);
        INFO(message.text);
        REQUIRE(status == PLINTH_OK);
        REQUIRE(file_ != nullptr);
    }
    ~open_file() { api_.close(file_); }
    open_file(const open_file&) = delete;
    open_file& operator=(const open_file&) = delete;

    plinth_model_file get() const { return file_; }

    plinth_metadata_entry metadata(std::string_view key) const {
        for (std::uint64_t i = 0; i < api_.metadata_count(file_); ++i) {
            plinth_metadata_entry entry{};
            plinth_message message{};
            REQUIRE(api_.metadata_get(file_, i, &entry, &message) == PLINTH_OK);
            if (view(entry.key) == key) return entry;
        }
        FAIL("no metadata key " << std::string(key));
        return {};
    }

    std::uint64_t metadata_index(std::string_view key) const {
        for (std::uint64_t i = 0; i < api_.metadata_count(file_); ++i) {
            plinth_metadata_entry entry{};
            plinth_message message{};
            REQUIRE(api_.metadata_get(file_, i, &entry, &message) == PLINTH_OK);
            if (view(entry.key) == key) return i;
        }
        FAIL("no metadata key " << std::string(key));
        return 0;
    }

    plinth_tensor_info tensor(std::string_view name) const {
        for (std::uint64_t i = 0; i < api_.tensor_count(file_); ++i) {
            plinth_tensor_info info{};
            plinth_message message{};
            REQUIRE(api_.tensor_get(file_, i, &info, &message) == PLINTH_OK);
            if (view(info.name) == name) return info;
        }
        FAIL("no tensor " << std::string(name));
        return {};
    }

private:
    const plinth_format_api& api_;
    plinth_model_file file_ = nullptr;
};

}  // namespace

TEST_CASE("the plugin refuses a host of another ABI major") {
    loaded_plugin plugin;
    std::vector<std::string> log;
    plinth_message refusal{};
    CHECK(plugin.entry(host_info(PLINTH_ABI_MAJOR + 1, 0, &log), refusal) == nullptr);
    CHECK_THAT(refusal.text, Catch::Matchers::Contains("major"));
}

TEST_CASE("the plugin negotiates the minor and describes itself") {
    loaded_plugin plugin;
    std::vector<std::string> log;
    plinth_message refusal{};
    const auto* descriptor = plugin.entry(host_info(PLINTH_ABI_MAJOR, PLINTH_ABI_MINOR + 5, &log), refusal);
    REQUIRE(descriptor != nullptr);
    CHECK(descriptor->struct_size == sizeof(plinth_plugin_descriptor));
    CHECK(descriptor->abi_major == PLINTH_ABI_MAJOR);
    CHECK(descriptor->abi_minor == PLINTH_ABI_MINOR);
    CHECK(descriptor->kind == PLINTH_PLUGIN_FORMAT);
    CHECK(std::string_view(descriptor->name) == "gguf");
    CHECK(std::string_view(descriptor->version) == "0.1.0");
    CHECK(descriptor->backend == nullptr);
    REQUIRE(descriptor->format != nullptr);
    CHECK(descriptor->format->struct_size == sizeof(plinth_format_api));

    plinth_probe_result probe{};
    descriptor->probe(&probe);
    CHECK(probe.struct_size == sizeof probe);
    CHECK(probe.usable == 1);
    CHECK(probe.score == 100);

    const char gguf_head[] = "GGUF\x03\0\0\0";
    CHECK(descriptor->format->probe_file(gguf_head, 8) == 1);
    CHECK(descriptor->format->probe_file("GGML....", 8) == 0);
    CHECK(descriptor->format->probe_file(gguf_head, 3) == 0);
    CHECK(descriptor->format->probe_file(nullptr, 8) == 0);
}

TEST_CASE("stories260K through the C function table") {
    loaded_plugin plugin;
    const auto& api = plugin.init();
    const auto path = plinth::test::shared_model("stories260K.gguf");
    const open_file file(api, path);
    CHECK_FALSE(plugin.log().empty());  // opening logs through the host

    CHECK(api.metadata_count(file.get()) == 19);
    const auto architecture = file.metadata("general.architecture");
    CHECK(architecture.struct_size == sizeof(plinth_metadata_entry));
    CHECK(architecture.type == PLINTH_VALUE_STRING);
    CHECK(view(architecture.value.str) == "llama");
    CHECK(file.metadata("llama.block_count").value.u64 == 5);
    CHECK(file.metadata("llama.embedding_length").value.u64 == 64);
    CHECK(file.metadata("llama.feed_forward_length").value.u64 == 172);
    CHECK(file.metadata("llama.attention.head_count").value.u64 == 8);
    CHECK(file.metadata("llama.attention.head_count_kv").value.u64 == 4);
    CHECK(file.metadata("llama.context_length").value.u64 == 2048);
    CHECK(file.metadata("llama.attention.layer_norm_rms_epsilon").value.f64 == Approx(1e-5));

    const auto tokens = file.metadata("tokenizer.ggml.tokens");
    CHECK(tokens.type == PLINTH_VALUE_ARRAY);
    CHECK(tokens.array_type == PLINTH_VALUE_STRING);
    CHECK(tokens.array_count == 512);
    plinth_string_view token{};
    plinth_message message{};
    REQUIRE(api.metadata_array_string(file.get(), file.metadata_index("tokenizer.ggml.tokens"), 1, &token, &message) ==
            PLINTH_OK);
    CHECK(view(token) == "<s>");

    const auto token_types = file.metadata("tokenizer.ggml.token_type");
    CHECK(token_types.array_type == PLINTH_VALUE_I32);
    REQUIRE(token_types.array_data != nullptr);
    std::int32_t first_token_type = 0;  // <unk> is UNKNOWN (2)
    std::memcpy(&first_token_type, token_types.array_data, sizeof first_token_type);
    CHECK(first_token_type == 2);

    CHECK(api.tensor_count(file.get()) == 48);
    plinth_file_mapping mapping{};
    REQUIRE(api.mapping(file.get(), &mapping, &message) == PLINTH_OK);
    CHECK(mapping.struct_size == sizeof mapping);
    CHECK(mapping.size == std::filesystem::file_size(path));
    const auto embeddings = file.tensor("token_embd.weight");
    CHECK(embeddings.struct_size == sizeof(plinth_tensor_info));
    CHECK(embeddings.type == PLINTH_TYPE_F32);
    CHECK(embeddings.n_dims == 2);
    CHECK(embeddings.shape[0] == 64);
    CHECK(embeddings.shape[1] == 512);
    CHECK(embeddings.shape[2] == 1);
    CHECK(embeddings.shape[3] == 1);
    CHECK(embeddings.size == 64 * 512 * 4);
    CHECK(embeddings.data == static_cast<const std::byte*>(mapping.base) + embeddings.file_offset);
    CHECK(embeddings.file_offset + embeddings.size <= mapping.size);
}

TEST_CASE("the Q8_0 model through the C function table") {
    loaded_plugin plugin;
    const auto& api = plugin.init();
    const open_file file(api, plinth::test::shared_model("stories260K-Q8_0.gguf"));
    CHECK(api.tensor_count(file.get()) == 48);
    const auto attn_q = file.tensor("blk.0.attn_q.weight");
    CHECK(attn_q.type == PLINTH_TYPE_Q8_0);
    CHECK(attn_q.size == 64 * 64 / 32 * 34);
    const auto ffn_down = file.tensor("blk.0.ffn_down.weight");
    CHECK(ffn_down.type == PLINTH_TYPE_F16);
    CHECK(ffn_down.size == 172 * 64 * 2);
}

TEST_CASE("every value type through the C function table") {
    loaded_plugin plugin;
    const auto& api = plugin.init();
    const scoped_temp_dir dir("gguf-plugin-sample");
    const auto path = dir.path() / "all_value_types.gguf";
    write_file_bytes(path, make_valid_samples().front().data);
    const open_file file(api, path);

    CHECK(file.metadata("sample.i8").type == PLINTH_VALUE_I8);
    CHECK(file.metadata("sample.i8").value.i64 == -100);
    CHECK(file.metadata("sample.u32").value.u64 == 4000000000u);
    CHECK(file.metadata("sample.f32").value.f64 == 1.5);
    CHECK(file.metadata("sample.bool").value.u64 == 1);
    CHECK(file.metadata("sample.i64").value.i64 == -(std::int64_t{1} << 40));
    const auto u8s = file.metadata("sample.u8_array");
    CHECK(u8s.array_type == PLINTH_VALUE_U8);
    CHECK(u8s.array_count == 3);
    CHECK(static_cast<const unsigned char*>(u8s.array_data)[2] == 3);
    const auto nested = file.metadata("sample.nested_strings");
    CHECK(nested.array_type == PLINTH_VALUE_ARRAY);
    CHECK(nested.array_count == 2);

    plinth_string_view element{};
    plinth_message message{};
    REQUIRE(api.metadata_array_string(file.get(), file.metadata_index("sample.string_array"), 2, &element, &message) ==
            PLINTH_OK);
    CHECK(view(element) == "\xce\xb3");
    const auto f16 = file.tensor("weights.f16_4d");
    CHECK(f16.n_dims == 4);
    CHECK(f16.shape[3] == 2);
}

TEST_CASE("invalid indices are INVALID_ARGUMENT with a message") {
    loaded_plugin plugin;
    const auto& api = plugin.init();
    const open_file file(api, plinth::test::shared_model("stories260K.gguf"));
    const auto count = api.metadata_count(file.get());

    plinth_metadata_entry entry{};
    plinth_message message{};
    CHECK(api.metadata_get(file.get(), count, &entry, &message) == PLINTH_ERR_INVALID_ARGUMENT);
    CHECK_THAT(message.text, Catch::Matchers::Contains("out of range"));

    plinth_string_view element{};
    message = {};
    CHECK(api.metadata_array_string(file.get(), file.metadata_index("tokenizer.ggml.tokens"), 512, &element, &message) ==
          PLINTH_ERR_INVALID_ARGUMENT);
    CHECK_THAT(message.text, Catch::Matchers::Contains("out of range"));
    message = {};
    CHECK(api.metadata_array_string(file.get(), file.metadata_index("general.architecture"), 0, &element, &message) ==
          PLINTH_ERR_INVALID_ARGUMENT);
    CHECK_THAT(message.text, Catch::Matchers::Contains("not an array of strings"));
    message = {};
    CHECK(api.metadata_array_string(file.get(), count, 0, &element, &message) == PLINTH_ERR_INVALID_ARGUMENT);
    CHECK(std::strlen(message.text) > 0);

    plinth_tensor_info tensor{};
    message = {};
    CHECK(api.tensor_get(file.get(), 48, &tensor, &message) == PLINTH_ERR_INVALID_ARGUMENT);
    CHECK_THAT(message.text, Catch::Matchers::Contains("out of range"));
    message = {};
    CHECK(api.tensor_get(nullptr, 0, &tensor, &message) == PLINTH_ERR_INVALID_ARGUMENT);
    CHECK(api.metadata_count(nullptr) == 0);
    CHECK(api.tensor_count(nullptr) == 0);
    api.close(nullptr);
}

TEST_CASE("open reports unreadable files as IO and malformed files as MALFORMED") {
    loaded_plugin plugin;
    const auto& api = plugin.init();
    plinth_model_file file = nullptr;
    plinth_message message{};
    CHECK(api.open((plinth::test::shared_dir() / "no-such-file.gguf").c_str(), &file, &message) == PLINTH_ERR_IO);
    CHECK(file == nullptr);
    CHECK(std::strlen(message.text) > 0);

    const scoped_temp_dir dir("gguf-plugin-malformed");
    for (const auto& variant : make_malformed_corpus(read_file_bytes(plinth::test::shared_model("stories260K.gguf")))) {
        INFO(variant.name);
        const auto path = dir.path() / (variant.name + ".gguf");
        write_file_bytes(path, variant.data);
        message = {};
        CHECK(api.open(path.c_str(), &file, &message) == PLINTH_ERR_MALFORMED);
        CHECK(file == nullptr);
        CHECK_THAT(message.text, Catch::Matchers::Contains(variant.expected_error));
    }
}
