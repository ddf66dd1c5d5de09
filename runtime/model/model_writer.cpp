#include <plinth/model_writer.hpp>

#include <plinth/error.hpp>
#include <plinth/model_file.hpp>
#include <plinth/plugin_host.hpp>

#include <algorithm>

namespace plinth {
namespace {

plinth_string_view view_of(std::string_view s) { return {s.data(), s.size()}; }

bool can_write(const plinth_format_api* api) {
    return api != nullptr && PLINTH_HAS_MEMBER(api, plinth_format_api, writer_discard) && api->writer_create != nullptr &&
           api->writer_set_metadata != nullptr && api->writer_add_tensor != nullptr &&
           api->writer_write_data != nullptr && api->writer_finish != nullptr && api->writer_discard != nullptr;
}

}  // namespace

std::unique_ptr<model_writer> model_writer::create(const plugin_host& host, const std::filesystem::path& path,
                                                   const std::string& format) {
    const loaded_plugin* plugin = host.find(PLINTH_PLUGIN_FORMAT, format);
    if (plugin == nullptr || plugin->format == nullptr)
        throw error("no '" + format + "' format plugin is loaded (see `plinth plugins`): cannot write " + path.string());
    if (!can_write(plugin->format))
        throw error("the '" + format + "' format plugin cannot write files (it has no writer functions)");
    std::unique_ptr<model_writer> w(new model_writer());
    w->path_ = path;
    w->api_ = plugin->format;
    plinth_message msg{};
    w->check(w->api_->writer_create(path.c_str(), &w->handle_, &msg), msg, "cannot create the file");
    return w;
}

model_writer::~model_writer() {
    if (handle_ != nullptr) api_->writer_discard(handle_);
}

void model_writer::check(plinth_status status, const plinth_message& message, const char* what) const {
    if (status == PLINTH_OK) return;
    throw error(path_.string() + ": " + (message.text[0] != '\0' ? std::string(message.text) : std::string(what)));
}

plinth_model_writer model_writer::live() const {
    if (handle_ == nullptr) throw error(path_.string() + ": the writer is already finished");
    return handle_;
}

void model_writer::set_entry(const plinth_metadata_entry& entry, std::span<const plinth_string_view> strings) {
    plinth_metadata_entry e = entry;
    e.struct_size = sizeof e;
    if (e.type == PLINTH_VALUE_ARRAY && e.array_type == PLINTH_VALUE_STRING && strings.size() != e.array_count)
        throw error(path_.string() + ": array of strings '" + std::string(e.key.data, e.key.size) + "' has " +
                    std::to_string(strings.size()) + " strings for " + std::to_string(e.array_count) + " elements");
    plinth_message msg{};
    check(api_->writer_set_metadata(live(), &e, strings.empty() ? nullptr : strings.data(), &msg), msg,
          "cannot set metadata");
}

void model_writer::set_scalar(std::string_view key, plinth_value_type type, uint64_t u, int64_t i, double f) {
    plinth_metadata_entry e{};
    e.type = type;
    e.key = view_of(key);
    switch (type) {
    case PLINTH_VALUE_I8:
    case PLINTH_VALUE_I16:
    case PLINTH_VALUE_I32:
    case PLINTH_VALUE_I64: e.value.i64 = i; break;
    case PLINTH_VALUE_F32:
    case PLINTH_VALUE_F64: e.value.f64 = f; break;
    default: e.value.u64 = u; break;
    }
    set_entry(e);
}

void model_writer::set(std::string_view key, uint32_t value) { set_scalar(key, PLINTH_VALUE_U32, value, 0, 0); }
void model_writer::set(std::string_view key, int32_t value) { set_scalar(key, PLINTH_VALUE_I32, 0, value, 0); }
void model_writer::set(std::string_view key, uint64_t value) { set_scalar(key, PLINTH_VALUE_U64, value, 0, 0); }
void model_writer::set(std::string_view key, int64_t value) { set_scalar(key, PLINTH_VALUE_I64, 0, value, 0); }
void model_writer::set(std::string_view key, float value) { set_scalar(key, PLINTH_VALUE_F32, 0, 0, value); }
void model_writer::set(std::string_view key, bool value) { set_scalar(key, PLINTH_VALUE_BOOL, value ? 1 : 0, 0, 0); }

void model_writer::set(std::string_view key, std::string_view value) {
    plinth_metadata_entry e{};
    e.type = PLINTH_VALUE_STRING;
    e.key = view_of(key);
    e.value.str = view_of(value);
    set_entry(e);
}
void model_writer::set(std::string_view key, const char* value) { set(key, std::string_view(value)); }
void model_writer::set(std::string_view key, const std::string& value) { set(key, std::string_view(value)); }

void model_writer::set(std::string_view key, std::span<const std::string_view> values) {
    std::vector<plinth_string_view> views(values.size());
    std::transform(values.begin(), values.end(), views.begin(), view_of);
    plinth_metadata_entry e{};
    e.type = PLINTH_VALUE_ARRAY;
    e.key = view_of(key);
    e.array_type = PLINTH_VALUE_STRING;
    e.array_count = values.size();
    set_entry(e, views);
}

void model_writer::set(std::string_view key, std::span<const std::string> values) {
    std::vector<plinth_string_view> views(values.size());
    std::transform(values.begin(), values.end(), views.begin(), [](const std::string& s) { return view_of(s); });
    plinth_metadata_entry e{};
    e.type = PLINTH_VALUE_ARRAY;
    e.key = view_of(key);
    e.array_type = PLINTH_VALUE_STRING;
    e.array_count = values.size();
    set_entry(e, views);
}

template <class T>
void model_writer::set_numeric_array(std::string_view key, plinth_value_type element_type, std::span<const T> values) {
    plinth_metadata_entry e{};
    e.type = PLINTH_VALUE_ARRAY;
    e.key = view_of(key);
    e.array_type = element_type;
    e.array_count = values.size();
    e.array_data = values.data();
    set_entry(e);
}

void model_writer::set(std::string_view key, std::span<const float> values) { set_numeric_array(key, PLINTH_VALUE_F32, values); }
void model_writer::set(std::string_view key, std::span<const int32_t> values) { set_numeric_array(key, PLINTH_VALUE_I32, values); }
void model_writer::set(std::string_view key, std::span<const uint32_t> values) { set_numeric_array(key, PLINTH_VALUE_U32, values); }

void model_writer::copy_from(const model_file& file, std::string_view key) {
    const plinth_metadata_entry* e = file.entry(key);
    if (e == nullptr) throw error(file.path().string() + ": no metadata '" + std::string(key) + "' to copy");
    if (e->type == PLINTH_VALUE_ARRAY && e->array_type == PLINTH_VALUE_STRING) {
        const auto strings = file.get_string_array(key);
        set(key, std::span<const std::string>(*strings));
        return;
    }
    if (e->type == PLINTH_VALUE_ARRAY && e->array_type == PLINTH_VALUE_ARRAY)
        throw error(file.path().string() + ": metadata '" + std::string(key) + "' is an array of arrays, which cannot be copied");
    plinth_metadata_entry copy = *e;
    copy.key = view_of(key);
    set_entry(copy);
}

void model_writer::add_tensor(std::string_view name, uint32_t type, std::span<const uint64_t> shape, const void* data,
                              uint64_t size) {
    if (shape.empty() || shape.size() > PLINTH_MAX_DIMS)
        throw error(path_.string() + ": tensor '" + std::string(name) + "' has " + std::to_string(shape.size()) +
                    " dimensions (1 to " + std::to_string(PLINTH_MAX_DIMS) + " allowed)");
    plinth_tensor_info t{};
    t.struct_size = sizeof t;
    t.type = type;
    t.name = view_of(name);
    t.n_dims = static_cast<uint32_t>(shape.size());
    std::fill(std::begin(t.shape), std::end(t.shape), uint64_t{1});
    std::copy(shape.begin(), shape.end(), t.shape);
    t.data = data;
    t.size = size;
    plinth_message msg{};
    check(api_->writer_add_tensor(live(), &t, &msg), msg, "cannot add a tensor");
}

void model_writer::write(const void* data, uint64_t size) {
    plinth_message msg{};
    check(api_->writer_write_data(live(), data, size, &msg), msg, "cannot write tensor data");
}

void model_writer::finish() {
    plinth_model_writer h = live();
    handle_ = nullptr;  // finish frees the writer whatever the result
    plinth_message msg{};
    check(api_->writer_finish(h, &msg), msg, "cannot finish the file");
}

}  // namespace plinth
