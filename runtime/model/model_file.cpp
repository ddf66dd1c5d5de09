#include <plinth/model_file.hpp>

#include <plinth/error.hpp>
#include <plinth/plugin_host.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace plinth {
namespace {

const char* value_type_name(uint32_t type) {
    static constexpr const char* names[] = {"u8",  "i8",     "u16",   "i16", "u32", "i32", "f32",
                                            "bool", "string", "array", "u64", "i64", "f64"};
    return type < std::size(names) ? names[type] : "unknown";
}

bool is_unsigned(uint32_t t) {
    return t == PLINTH_VALUE_U8 || t == PLINTH_VALUE_U16 || t == PLINTH_VALUE_U32 || t == PLINTH_VALUE_U64;
}
bool is_signed(uint32_t t) {
    return t == PLINTH_VALUE_I8 || t == PLINTH_VALUE_I16 || t == PLINTH_VALUE_I32 || t == PLINTH_VALUE_I64;
}

void check(plinth_status status, const plinth_message& msg, const std::filesystem::path& path) {
    if (status != PLINTH_OK) throw error(path.string() + ": " + (msg.text[0] ? msg.text : "format plugin error"));
}

}  // namespace

uint64_t tensor_view::elements() const {
    uint64_t n = 1;
    for (uint64_t d : shape) n *= d;
    return n;
}

std::unique_ptr<model_file> model_file::open(const plugin_host& host, const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error(path.string() + ": cannot open: " + std::strerror(errno));
    char head[64] = {};
    in.read(head, sizeof(head));
    const auto head_size = static_cast<uint64_t>(in.gcount());

    const auto formats = host.formats();
    if (formats.empty()) throw error("no model-format plugin is loaded (see `plinth plugins`)");
    const loaded_plugin* chosen = nullptr;
    for (const auto* f : formats)
        if (f->format->probe_file(head, head_size)) chosen = chosen ? chosen : f;
    if (chosen == nullptr) {
        std::string names;
        for (const auto* f : formats) names += (names.empty() ? "" : ", ") + f->name;
        throw error(path.string() + ": no loaded format plugin recognises this file (loaded: " + names + ")");
    }

    std::unique_ptr<model_file> file(new model_file());
    file->path_ = path;
    file->plugin_ = chosen;
    const plinth_format_api& api = *chosen->format;
    plinth_message msg{};
    check(api.open(path.c_str(), &file->handle_, &msg), msg, path);

    const uint64_t n_meta = api.metadata_count(file->handle_);
    for (uint64_t i = 0; i < n_meta; ++i) {
        plinth_metadata_entry e{};
        e.struct_size = sizeof(e);
        check(api.metadata_get(file->handle_, i, &e, &msg), msg, path);
        std::string key(e.key.data, e.key.size);
        file->metadata_index_[key] = i;
        file->metadata_.emplace(std::move(key), e);
    }
    const uint64_t n_tensors = api.tensor_count(file->handle_);
    file->tensors_.reserve(n_tensors);
    for (uint64_t i = 0; i < n_tensors; ++i) {
        plinth_tensor_info t{};
        t.struct_size = sizeof(t);
        check(api.tensor_get(file->handle_, i, &t, &msg), msg, path);
        tensor_view v;
        v.name.assign(t.name.data, t.name.size);
        v.type = t.type;
        v.shape.assign(t.shape, t.shape + std::min<uint32_t>(t.n_dims, PLINTH_MAX_DIMS));
        v.data = t.data;
        v.size = t.size;
        v.file_offset = t.file_offset;
        file->tensors_.push_back(std::move(v));
    }
    return file;
}

model_file::~model_file() {
    if (handle_) plugin_->format->close(handle_);
}

const std::string& model_file::format_name() const { return plugin_->name; }

bool model_file::has(std::string_view key) const { return metadata_.find(key) != metadata_.end(); }

const plinth_metadata_entry* model_file::entry(std::string_view key) const {
    auto it = metadata_.find(key);
    return it == metadata_.end() ? nullptr : &it->second;
}

std::vector<std::string> model_file::metadata_keys() const {
    std::vector<std::string> keys(metadata_index_.size());
    for (const auto& [key, index] : metadata_index_) keys[index] = key;
    return keys;
}

void model_file::type_mismatch(std::string_view key, const char* expected) const {
    const auto* e = entry(key);
    throw error(path_.string() + ": metadata '" + std::string(key) + "' is " + value_type_name(e->type) +
                ", expected " + expected);
}

std::optional<uint64_t> model_file::get_uint(std::string_view key) const {
    const auto* e = entry(key);
    if (!e) return std::nullopt;
    if (is_unsigned(e->type) || e->type == PLINTH_VALUE_BOOL) return e->value.u64;
    if (is_signed(e->type) && e->value.i64 >= 0) return static_cast<uint64_t>(e->value.i64);
    type_mismatch(key, "an unsigned integer");
}

std::optional<int64_t> model_file::get_int(std::string_view key) const {
    const auto* e = entry(key);
    if (!e) return std::nullopt;
    if (is_signed(e->type)) return e->value.i64;
    if (is_unsigned(e->type) && e->value.u64 <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(e->value.u64);
    type_mismatch(key, "an integer");
}

std::optional<double> model_file::get_float(std::string_view key) const {
    const auto* e = entry(key);
    if (!e) return std::nullopt;
    if (e->type == PLINTH_VALUE_F32 || e->type == PLINTH_VALUE_F64) return e->value.f64;
    if (is_signed(e->type)) return static_cast<double>(e->value.i64);
    if (is_unsigned(e->type)) return static_cast<double>(e->value.u64);
    type_mismatch(key, "a number");
}

std::optional<bool> model_file::get_bool(std::string_view key) const {
    const auto* e = entry(key);
    if (!e) return std::nullopt;
    if (e->type != PLINTH_VALUE_BOOL) type_mismatch(key, "a bool");
    return e->value.u64 != 0;
}

std::optional<std::string> model_file::get_string(std::string_view key) const {
    const auto* e = entry(key);
    if (!e) return std::nullopt;
    if (e->type != PLINTH_VALUE_STRING) type_mismatch(key, "a string");
    return std::string(e->value.str.data, e->value.str.size);
}

std::optional<uint64_t> model_file::array_size(std::string_view key) const {
    const auto* e = entry(key);
    if (!e || e->type != PLINTH_VALUE_ARRAY) return std::nullopt;
    return e->array_count;
}

std::optional<std::vector<std::string>> model_file::get_string_array(std::string_view key) const {
    const auto* e = entry(key);
    if (!e) return std::nullopt;
    if (e->type != PLINTH_VALUE_ARRAY || e->array_type != PLINTH_VALUE_STRING) type_mismatch(key, "an array of strings");
    const uint64_t index = metadata_index_.find(key)->second;
    std::vector<std::string> out;
    out.reserve(e->array_count);
    plinth_message msg{};
    for (uint64_t i = 0; i < e->array_count; ++i) {
        plinth_string_view s{};
        check(plugin_->format->metadata_array_string(handle_, index, i, &s, &msg), msg, path_);
        out.emplace_back(s.data, s.size);
    }
    return out;
}

namespace {
template <typename Out, typename In>
std::vector<Out> copy_array(const plinth_metadata_entry& e) {
    std::vector<Out> out(e.array_count);
    for (uint64_t i = 0; i < e.array_count; ++i) {
        In v;
        std::memcpy(&v, static_cast<const char*>(e.array_data) + i * sizeof(In), sizeof(In));
        out[i] = static_cast<Out>(v);
    }
    return out;
}
}  // namespace

std::optional<std::vector<float>> model_file::get_f32_array(std::string_view key) const {
    const auto* e = entry(key);
    if (!e) return std::nullopt;
    if (e->type != PLINTH_VALUE_ARRAY || e->array_type != PLINTH_VALUE_F32) type_mismatch(key, "an array of f32");
    return copy_array<float, float>(*e);
}

std::optional<std::vector<int32_t>> model_file::get_i32_array(std::string_view key) const {
    const auto* e = entry(key);
    if (!e) return std::nullopt;
    if (e->type != PLINTH_VALUE_ARRAY || (e->array_type != PLINTH_VALUE_I32 && e->array_type != PLINTH_VALUE_U32))
        type_mismatch(key, "an array of i32");
    return copy_array<int32_t, int32_t>(*e);
}

const tensor_view* model_file::find_tensor(std::string_view name) const {
    for (const auto& t : tensors_)
        if (t.name == name) return &t;
    return nullptr;
}

plinth_file_mapping model_file::mapping() const {
    plinth_file_mapping m{};
    m.struct_size = sizeof(m);
    plinth_message msg{};
    check(plugin_->format->mapping(handle_, &m, &msg), msg, path_);
    return m;
}

}  // namespace plinth
