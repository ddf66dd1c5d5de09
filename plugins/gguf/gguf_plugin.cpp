// The "gguf" format plugin: the C ABI face of plinth::gguf::gguf_file. Every exported function is
// noexcept and catches everything; failures cross the boundary as a plinth_status plus a message.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>

#include <plinth/plugin_api.h>
#include <plinth/sdk/plugin_entry.hpp>

#include "gguf_reader.hpp"
#include "gguf_writer.hpp"

// The opaque handle the host holds.
struct plinth_model_file_s {
    plinth::gguf::gguf_file file;
};

// The opaque handle of a file being written.
struct plinth_model_writer_s {
    explicit plinth_model_writer_s(const char* path) : writer(path) {}
    plinth::gguf::gguf_writer writer;
};

namespace {

using plinth::gguf::gguf_file;
using plinth::gguf::value_type;

constexpr const char* plugin_name = "gguf";

struct host_log {
    void (*log)(void* user, plinth_log_level level, const char* plugin_name, const char* message) = nullptr;
    void* user = nullptr;

    void write(plinth_log_level level, const std::string& message) const {
        if (log != nullptr) log(user, level, plugin_name, message.c_str());
    }
};

host_log g_log;
// Files handed to the host and not yet closed, so shutdown can free what the host left open and close
// can ignore a handle it does not know.
std::mutex g_open_files_mutex;
std::unordered_set<plinth_model_file> g_open_files;
// Writers handed out and not yet finished or discarded, for the same reasons.
std::mutex g_writers_mutex;
std::unordered_set<plinth_model_writer> g_writers;

void set_message(plinth_message* message, std::string_view text) noexcept {
    if (message == nullptr) return;
    const auto length = std::min(text.size(), sizeof message->text - 1);
    std::memcpy(message->text, text.data(), length);
    message->text[length] = '\0';
}

// Runs `body`, turning every exception into a status and a message.
template <class Body>
plinth_status guarded(plinth_message* err, Body&& body) noexcept {
    try {
        return body();
    } catch (const plinth::gguf::format_error& e) {
        set_message(err, e.what());
        return PLINTH_ERR_MALFORMED;
    } catch (const std::system_error& e) {
        set_message(err, e.what());
        return PLINTH_ERR_IO;
    } catch (const std::invalid_argument& e) {
        set_message(err, e.what());
        return PLINTH_ERR_INVALID_ARGUMENT;
    } catch (const plinth::gguf::unsupported_value& e) {
        set_message(err, e.what());
        return PLINTH_ERR_UNSUPPORTED;
    } catch (const std::bad_alloc&) {
        set_message(err, "gguf: out of memory");
        return PLINTH_ERR_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
        set_message(err, e.what());
        return PLINTH_ERR_INTERNAL;
    } catch (...) {
        set_message(err, "gguf: unknown internal error");
        return PLINTH_ERR_INTERNAL;
    }
}

plinth_status invalid_argument(plinth_message* err, const std::string& text) {
    set_message(err, text);
    return PLINTH_ERR_INVALID_ARGUMENT;
}

plinth_string_view view_of(std::string_view text) noexcept { return {text.data(), text.size()}; }

// ---- plinth_format_api ----

int32_t probe_file(const void* head, uint64_t size) noexcept {
    return head != nullptr && size >= 4 && std::memcmp(head, "GGUF", 4) == 0 ? 1 : 0;
}

plinth_status open_file(const char* path, plinth_model_file* out, plinth_message* err) noexcept {
    return guarded(err, [&] {
        if (out == nullptr) return invalid_argument(err, "gguf open: out is NULL");
        *out = nullptr;
        if (path == nullptr) return invalid_argument(err, "gguf open: path is NULL");
        auto file = std::make_unique<plinth_model_file_s>(plinth_model_file_s{gguf_file::open(path)});
        g_log.write(PLINTH_LOG_DEBUG, std::string("opened ") + path + ": GGUF v" + std::to_string(file->file.version()) +
                                          ", " + std::to_string(file->file.metadata().size()) + " metadata entries, " +
                                          std::to_string(file->file.tensors().size()) + " tensors");
        const std::lock_guard lock(g_open_files_mutex);
        g_open_files.insert(file.get());
        *out = file.release();
        return PLINTH_OK;
    });
}

void close_file(plinth_model_file file) noexcept {
    if (file == nullptr) return;
    const std::lock_guard lock(g_open_files_mutex);
    if (g_open_files.erase(file) != 0) delete file;
}

uint64_t metadata_count(plinth_model_file file) noexcept { return file == nullptr ? 0 : file->file.metadata().size(); }

// The entry at `index`, or nullptr after writing an INVALID_ARGUMENT message.
const plinth::gguf::metadata_entry* entry_at(plinth_model_file file, uint64_t index, plinth_message* err) {
    if (file == nullptr) {
        set_message(err, "gguf: file is NULL");
        return nullptr;
    }
    const auto& metadata = file->file.metadata();
    if (index >= metadata.size()) {
        set_message(err, "gguf: metadata index " + std::to_string(index) + " is out of range (the file has " +
                             std::to_string(metadata.size()) + " entries)");
        return nullptr;
    }
    return &metadata[index];
}

plinth_status metadata_get(plinth_model_file file, uint64_t index, plinth_metadata_entry* out,
                           plinth_message* err) noexcept {
    return guarded(err, [&] {
        if (out == nullptr) return invalid_argument(err, "gguf metadata_get: out is NULL");
        const auto* entry = entry_at(file, index, err);
        if (entry == nullptr) return PLINTH_ERR_INVALID_ARGUMENT;

        plinth_metadata_entry result{};
        result.struct_size = sizeof result;
        result.type = static_cast<uint32_t>(entry->type);
        result.key = view_of(entry->key);
        if (const auto u = entry->as_uint()) {
            result.value.u64 = *u;
        } else if (const auto i = entry->as_int()) {
            result.value.i64 = *i;
        } else if (const auto f = entry->as_float()) {
            result.value.f64 = *f;
        } else if (const auto s = entry->as_string()) {
            result.value.str = view_of(*s);
        } else if (const auto* array = entry->as_array()) {
            // Numeric elements are packed in place; strings and nested arrays are the raw encoding.
            result.array_type = static_cast<uint32_t>(array->element_type);
            result.array_count = array->count;
            result.array_data = array->encoded.data();
        }
        *out = result;
        return PLINTH_OK;
    });
}

plinth_status metadata_array_string(plinth_model_file file, uint64_t index, uint64_t element, plinth_string_view* out,
                                    plinth_message* err) noexcept {
    return guarded(err, [&] {
        if (out == nullptr) return invalid_argument(err, "gguf metadata_array_string: out is NULL");
        const auto* entry = entry_at(file, index, err);
        if (entry == nullptr) return PLINTH_ERR_INVALID_ARGUMENT;
        const auto* array = entry->as_array();
        if (array == nullptr || array->element_type != value_type::string) {
            return invalid_argument(err, "gguf: metadata '" + std::string(entry->key) + "' is not an array of strings");
        }
        if (element >= array->count) {
            return invalid_argument(err, "gguf: element " + std::to_string(element) + " of '" + std::string(entry->key) +
                                             "' is out of range (the array has " + std::to_string(array->count) +
                                             " elements)");
        }
        *out = view_of(array->string_at(element));
        return PLINTH_OK;
    });
}

uint64_t tensor_count(plinth_model_file file) noexcept { return file == nullptr ? 0 : file->file.tensors().size(); }

plinth_status tensor_get(plinth_model_file file, uint64_t index, plinth_tensor_info* out, plinth_message* err) noexcept {
    return guarded(err, [&] {
        if (file == nullptr || out == nullptr) return invalid_argument(err, "gguf tensor_get: file or out is NULL");
        const auto& tensors = file->file.tensors();
        if (index >= tensors.size()) {
            return invalid_argument(err, "gguf: tensor index " + std::to_string(index) + " is out of range (the file has " +
                                             std::to_string(tensors.size()) + " tensors)");
        }
        const auto& tensor = tensors[index];
        plinth_tensor_info result{};
        result.struct_size = sizeof result;
        result.type = tensor.type;
        result.name = view_of(tensor.name);
        result.n_dims = tensor.n_dims;
        std::copy(tensor.shape.begin(), tensor.shape.end(), result.shape);
        result.data = tensor.data.data();
        result.size = tensor.size_bytes;
        result.file_offset = tensor.file_offset;
        *out = result;
        return PLINTH_OK;
    });
}

plinth_status mapping(plinth_model_file file, plinth_file_mapping* out, plinth_message* err) noexcept {
    if (file == nullptr || out == nullptr) {
        set_message(err, "gguf mapping: file or out is NULL");
        return PLINTH_ERR_INVALID_ARGUMENT;
    }
    plinth_file_mapping result{};
    result.struct_size = sizeof result;
    result.base = file->file.bytes().data();
    result.size = file->file.bytes().size();
    *out = result;
    return PLINTH_OK;
}

// ---- writing ----

bool known_writer(plinth_model_writer writer) {
    const std::lock_guard lock(g_writers_mutex);
    return g_writers.count(writer) != 0;
}

// Removes the writer from the live set; returns false when it was not there.
bool forget_writer(plinth_model_writer writer) {
    const std::lock_guard lock(g_writers_mutex);
    return g_writers.erase(writer) != 0;
}

plinth_status writer_create(const char* path, plinth_model_writer* out, plinth_message* err) noexcept {
    return guarded(err, [&] {
        if (out == nullptr) return invalid_argument(err, "gguf writer_create: out is NULL");
        *out = nullptr;
        if (path == nullptr || *path == '\0') return invalid_argument(err, "gguf writer_create: path is NULL or empty");
        auto writer = std::make_unique<plinth_model_writer_s>(path);
        g_log.write(PLINTH_LOG_DEBUG, std::string("writing ") + path);
        const std::lock_guard lock(g_writers_mutex);
        g_writers.insert(writer.get());
        *out = writer.release();
        return PLINTH_OK;
    });
}

plinth_status writer_set_metadata(plinth_model_writer writer, const plinth_metadata_entry* entry,
                                  const plinth_string_view* string_array, plinth_message* err) noexcept {
    return guarded(err, [&] {
        if (writer == nullptr || !known_writer(writer)) return invalid_argument(err, "gguf writer_set_metadata: unknown writer");
        if (entry == nullptr || !PLINTH_HAS_MEMBER(entry, plinth_metadata_entry, value))
            return invalid_argument(err, "gguf writer_set_metadata: entry is NULL or too small");
        if (entry->type == PLINTH_VALUE_ARRAY && !PLINTH_HAS_MEMBER(entry, plinth_metadata_entry, array_data))
            return invalid_argument(err, "gguf writer_set_metadata: entry is too small to describe an array");
        plinth_metadata_entry copy{};
        std::memcpy(&copy, entry, std::min<std::size_t>(entry->struct_size, sizeof copy));
        writer->writer.set_entry(copy, string_array);
        return PLINTH_OK;
    });
}

plinth_status writer_add_tensor(plinth_model_writer writer, const plinth_tensor_info* tensor,
                                plinth_message* err) noexcept {
    return guarded(err, [&] {
        if (writer == nullptr || !known_writer(writer)) return invalid_argument(err, "gguf writer_add_tensor: unknown writer");
        if (tensor == nullptr || !PLINTH_HAS_MEMBER(tensor, plinth_tensor_info, size))
            return invalid_argument(err, "gguf writer_add_tensor: tensor is NULL or too small");
        if (tensor->n_dims == 0 || tensor->n_dims > PLINTH_MAX_DIMS) {
            return invalid_argument(err, "gguf writer_add_tensor: n_dims " + std::to_string(tensor->n_dims) +
                                             " is not 1 to " + std::to_string(PLINTH_MAX_DIMS));
        }
        if (tensor->name.data == nullptr) return invalid_argument(err, "gguf writer_add_tensor: name is NULL");
        writer->writer.add_tensor(std::string_view(tensor->name.data, tensor->name.size), tensor->type,
                                  std::span<const uint64_t>(tensor->shape, tensor->n_dims), tensor->size, tensor->data);
        return PLINTH_OK;
    });
}

plinth_status writer_write_data(plinth_model_writer writer, const void* data, uint64_t size,
                                plinth_message* err) noexcept {
    return guarded(err, [&] {
        if (writer == nullptr || !known_writer(writer)) return invalid_argument(err, "gguf writer_write_data: unknown writer");
        writer->writer.write_data(data, size);
        return PLINTH_OK;
    });
}

plinth_status writer_finish(plinth_model_writer writer, plinth_message* err) noexcept {
    if (writer == nullptr || !forget_writer(writer)) {
        set_message(err, "gguf writer_finish: unknown writer");
        return PLINTH_ERR_INVALID_ARGUMENT;
    }
    const std::unique_ptr<plinth_model_writer_s> owned(writer);  // freed whatever happens
    return guarded(err, [&] {
        owned->writer.finish();
        g_log.write(PLINTH_LOG_DEBUG, "wrote " + owned->writer.path().string());
        return PLINTH_OK;
    });
}

void writer_discard(plinth_model_writer writer) noexcept {
    if (writer == nullptr || !forget_writer(writer)) return;
    delete writer;  // the destructor removes the temporary file
}

// ---- plugin lifecycle ----

void probe(plinth_probe_result* out) noexcept {
    if (out == nullptr) return;
    plinth_probe_result result{};
    result.struct_size = sizeof result;
    result.usable = 1;  // pure CPU code, no requirements
    result.score = 100;
    *out = result;
}

plinth_status init(const plinth_host_info* host, plinth_message* err) noexcept {
    if (host == nullptr) {
        set_message(err, "gguf init: host is NULL");
        return PLINTH_ERR_INVALID_ARGUMENT;
    }
    if (PLINTH_HAS_MEMBER(host, plinth_host_info, log_user)) {
        g_log.log = host->log;
        g_log.user = host->log_user;
    }
    return PLINTH_OK;
}

void shutdown() noexcept {
    const std::lock_guard lock(g_open_files_mutex);
    for (auto* file : g_open_files) delete file;
    g_open_files.clear();
    {
        const std::lock_guard writers_lock(g_writers_mutex);
        for (auto* writer : g_writers) delete writer;  // unfinished: their temporary files are removed
        g_writers.clear();
    }
    g_log = host_log{};
}

constexpr plinth_format_api format_api{
    .struct_size = sizeof(plinth_format_api),
    .reserved0 = 0,
    .probe_file = probe_file,
    .open = open_file,
    .close = close_file,
    .metadata_count = metadata_count,
    .metadata_get = metadata_get,
    .metadata_array_string = metadata_array_string,
    .tensor_count = tensor_count,
    .tensor_get = tensor_get,
    .mapping = mapping,
    .writer_create = writer_create,
    .writer_set_metadata = writer_set_metadata,
    .writer_add_tensor = writer_add_tensor,
    .writer_write_data = writer_write_data,
    .writer_finish = writer_finish,
    .writer_discard = writer_discard,
    .reserved = {},
};

// Not const: abi_minor is filled in by negotiation.
plinth_plugin_descriptor descriptor{
    .struct_size = sizeof(plinth_plugin_descriptor),
    .abi_major = PLINTH_ABI_MAJOR,
    .abi_minor = PLINTH_ABI_MINOR,
    .kind = PLINTH_PLUGIN_FORMAT,
    .name = plugin_name,
    .version = "0.1.0",
    .description = "GGUF v2/v3 model files, memory-mapped; writes GGUF v3",
    .probe = probe,
    .init = init,
    .shutdown = shutdown,
    .backend = nullptr,
    .format = &format_api,
    .reserved = {},
};

}  // namespace

PLINTH_PLUGIN_ENTRY(descriptor)
