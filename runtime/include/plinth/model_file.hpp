#pragma once
// A model file opened through whichever format plugin recognises it. The runtime sees typed
// metadata and tensors in place in the mapped file; it never knows which format they came from.
#include <plinth/plugin_api.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plinth {

class plugin_host;
struct loaded_plugin;

struct tensor_view {
    std::string name;
    uint32_t type = 0;             // plinth_weight_type
    std::vector<uint64_t> shape;   // shape[0] is the row (contiguous) dimension
    const void* data = nullptr;    // in place in the mapped file
    uint64_t size = 0;             // bytes
    uint64_t file_offset = 0;
    uint64_t elements() const;
};

class model_file {
public:
    // Opens `path` with the first loaded format plugin whose probe recognises the file's first bytes.
    // Throws plinth::error with the plugin's message when the file is missing or malformed.
    static std::unique_ptr<model_file> open(const plugin_host& host, const std::filesystem::path& path);
    ~model_file();
    model_file(const model_file&) = delete;
    model_file& operator=(const model_file&) = delete;

    const std::filesystem::path& path() const { return path_; }
    const std::string& format_name() const;

    // Metadata by key. Each getter returns nullopt when the key is absent, and throws plinth::error
    // when it is present with another type.
    bool has(std::string_view key) const;
    std::optional<uint64_t> get_uint(std::string_view key) const;
    std::optional<int64_t> get_int(std::string_view key) const;
    std::optional<double> get_float(std::string_view key) const;
    std::optional<bool> get_bool(std::string_view key) const;
    std::optional<std::string> get_string(std::string_view key) const;
    std::optional<std::vector<std::string>> get_string_array(std::string_view key) const;
    std::optional<std::vector<float>> get_f32_array(std::string_view key) const;
    std::optional<std::vector<int32_t>> get_i32_array(std::string_view key) const;
    // Number of elements of an array value (nullopt when absent or not an array).
    std::optional<uint64_t> array_size(std::string_view key) const;
    std::vector<std::string> metadata_keys() const;
    // The raw entry, for tools that print every value.
    const plinth_metadata_entry* entry(std::string_view key) const;

    const std::vector<tensor_view>& tensors() const { return tensors_; }
    const tensor_view* find_tensor(std::string_view name) const;
    plinth_file_mapping mapping() const;

private:
    model_file() = default;
    [[noreturn]] void type_mismatch(std::string_view key, const char* expected) const;

    std::filesystem::path path_;
    const loaded_plugin* plugin_ = nullptr;
    plinth_model_file handle_ = nullptr;
    std::map<std::string, plinth_metadata_entry, std::less<>> metadata_;
    std::map<std::string, uint64_t, std::less<>> metadata_index_;
    std::vector<tensor_view> tensors_;
};

}  // namespace plinth
