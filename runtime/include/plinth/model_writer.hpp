#pragma once
// Writing a model file through a format plugin's writer (plinth_format_api::writer_*), the mirror
// of model_file. Metadata and tensor declarations first, then the tensors' bytes in declaration
// order (lent at add_tensor, or streamed with write), then finish(). Nothing appears at the path
// unless finish() succeeds; destroying an unfinished writer abandons the file.
//
//     auto w = model_writer::create(host, "out.gguf");
//     w->set("general.architecture", "llama");
//     w->add_tensor("a", PLINTH_TYPE_F32, {4, 2}, data, 32);  // bytes lent until written
//     w->add_tensor("b", PLINTH_TYPE_Q8_0, {64, 8});          // bytes streamed
//     w->write(chunk, n); ...
//     w->finish();
#include <plinth/plugin_api.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace plinth {

class plugin_host;
class model_file;
struct loaded_plugin;

class model_writer {
public:
    // A writer from the loaded format plugin named `format` (default "gguf"). Throws plinth::error
    // when that plugin is not loaded, cannot write, or cannot create the file.
    static std::unique_ptr<model_writer> create(const plugin_host& host, const std::filesystem::path& path,
                                                const std::string& format = "gguf");
    ~model_writer();  // discards the file unless finish() succeeded
    model_writer(const model_writer&) = delete;
    model_writer& operator=(const model_writer&) = delete;

    const std::filesystem::path& path() const { return path_; }

    // ---- metadata; every call throws plinth::error with the plugin's message on failure ----
    void set(std::string_view key, uint32_t value);
    void set(std::string_view key, int32_t value);
    void set(std::string_view key, uint64_t value);
    void set(std::string_view key, int64_t value);
    void set(std::string_view key, float value);  // f32; there is no double overload (f64 through set_entry)
    void set(std::string_view key, bool value);
    void set(std::string_view key, std::string_view value);
    void set(std::string_view key, const char* value);  // a literal is a string, not a bool
    void set(std::string_view key, const std::string& value);
    void set(std::string_view key, std::span<const std::string> values);
    void set(std::string_view key, std::span<const std::string_view> values);
    void set(std::string_view key, std::span<const float> values);
    void set(std::string_view key, std::span<const int32_t> values);
    void set(std::string_view key, std::span<const uint32_t> values);
    void set(std::string_view key, const std::vector<std::string>& values) { set(key, std::span<const std::string>(values)); }
    void set(std::string_view key, const std::vector<float>& values) { set(key, std::span<const float>(values)); }
    void set(std::string_view key, const std::vector<int32_t>& values) { set(key, std::span<const int32_t>(values)); }
    // Any entry as the ABI describes it (other integer widths, f64, arrays of any element type).
    // `strings` holds the elements of an array of strings, otherwise it is ignored.
    void set_entry(const plinth_metadata_entry& entry, std::span<const plinth_string_view> strings = {});
    // Copies `key` (any type, arrays of strings included) from an open file. Throws when absent.
    void copy_from(const model_file& file, std::string_view key);

    // ---- tensors ----
    // Declares the next tensor. With `data`, its `size` bytes are lent: they must stay valid until
    // written (at the latest, by finish()). Without, write() supplies them. `size` 0: not checked.
    void add_tensor(std::string_view name, uint32_t type, std::span<const uint64_t> shape, const void* data = nullptr,
                    uint64_t size = 0);
    void add_tensor(std::string_view name, uint32_t type, std::initializer_list<uint64_t> shape,
                    const void* data = nullptr, uint64_t size = 0) {
        add_tensor(name, type, std::span<const uint64_t>(shape.begin(), shape.size()), data, size);
    }
    // The next bytes of tensor data (continuing the first incomplete tensor, in declaration order).
    void write(const void* data, uint64_t size);
    // Completes the file and moves it into place. The writer cannot be used afterwards.
    void finish();

private:
    model_writer() = default;
    void check(plinth_status status, const plinth_message& message, const char* what) const;
    void set_scalar(std::string_view key, plinth_value_type type, uint64_t u, int64_t i, double f);
    template <class T>
    void set_numeric_array(std::string_view key, plinth_value_type element_type, std::span<const T> values);
    plinth_model_writer live() const;

    std::filesystem::path path_;
    const plinth_format_api* api_ = nullptr;
    plinth_model_writer handle_ = nullptr;
};

}  // namespace plinth
