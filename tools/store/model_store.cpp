#include "store/model_store.hpp"

#include "store/model_selection.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace plinth::store {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view sidecar_suffix = ".plinth.json";

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

stored_model read_sidecar(const fs::path& file, const fs::path& root) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    const auto j = nlohmann::json::parse(text.str());  // throws on malformed sidecars
    stored_model m;
    m.endpoint = j.at("endpoint").get<std::string>();
    m.repo = j.at("repo").get<std::string>();
    m.revision = j.at("revision").get<std::string>();
    m.pulled_at = j.at("pulled_at").get<std::string>();
    for (const auto& f : j.at("files")) m.files.push_back({f.at("path").get<std::string>(), f.at("size").get<uint64_t>(), f.at("sha256").get<std::string>()});
    if (m.files.empty()) throw std::runtime_error("no files");
    m.folder = root / m.repo;
    if (m.sidecar() != file) throw std::runtime_error("it names another place (" + m.sidecar().string() + ")");
    return m;
}

std::string file_name(const std::string& path) { return fs::path(path).filename().string(); }

// The names a model answers to besides its full name: the file's stem, and a split model's stem
// without the part number.
bool matches_stem(const stored_model& m, const std::string& name) {
    const std::string& first = m.files.front().path;
    if (fs::path(first).stem() == name || file_name(first) == name) return true;
    const auto split = parse_split_name(first);
    return split && file_name(split->stem) == name;
}

bool matches(const stored_model& m, const std::string& name) {
    if (const auto colon = name.find(':'); colon != std::string::npos) {
        const std::string repo = name.substr(0, colon), selector = name.substr(colon + 1);
        if (m.repo != repo || selector.empty()) return false;
        if (selector.size() > 5 && selector.ends_with(".gguf"))
            return std::any_of(m.files.begin(), m.files.end(), [&](const remote_file& f) { return f.path == selector; });
        return contains_ignoring_case(file_name(m.files.front().path), selector);
    }
    const auto slashes = std::count(name.begin(), name.end(), '/');
    if (slashes == 0) return matches_stem(m, name);
    if (slashes == 1) return m.repo == name;
    return std::any_of(m.files.begin(), m.files.end(), [&](const remote_file& f) { return m.repo + "/" + f.path == name; });
}

}  // namespace

fs::path stored_model::sidecar() const { return folder / (files.front().path + std::string(sidecar_suffix)); }
std::string stored_model::name() const { return repo + "/" + files.front().path; }
uint64_t stored_model::size() const {
    uint64_t total = 0;
    for (const auto& f : files) total += f.size;
    return total;
}

std::vector<stored_model> model_store::list() const {
    std::vector<stored_model> models;
    std::error_code ec;
    if (!fs::is_directory(root_, ec)) return models;
    for (auto it = fs::recursive_directory_iterator(root_, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const std::string file = it->path().filename().string();
        if (!it->is_regular_file(ec) || !file.ends_with(sidecar_suffix)) continue;
        try {
            models.push_back(read_sidecar(it->path(), root_));
        } catch (const std::exception& e) {
            spdlog::warn("ignoring {}: not a plinth store record ({})", it->path().string(), e.what());
        }
    }
    std::sort(models.begin(), models.end(), [](const auto& a, const auto& b) { return a.name() < b.name(); });
    return models;
}

std::optional<stored_model> model_store::find(const std::string& name) const {
    std::vector<stored_model> found;
    for (auto& m : list())
        if (matches(m, name)) found.push_back(std::move(m));
    if (found.empty()) return std::nullopt;
    if (found.size() == 1) return found.front();
    std::string names;
    for (const auto& m : found) names += "\n  " + m.name();
    throw std::runtime_error("'" + name + "' names several models in the store; give one of:" + names);
}

void model_store::record(const stored_model& m) const {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : m.files) files.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
    const nlohmann::json j = {{"endpoint", m.endpoint}, {"repo", m.repo}, {"revision", m.revision},
                              {"files", files}, {"pulled_at", m.pulled_at}};
    const fs::path target = m.sidecar(), temporary = target.string() + ".tmp";
    {
        std::ofstream out(temporary);
        out << j.dump(2) << "\n";
        if (!out.flush()) throw std::runtime_error("cannot write " + temporary.string());
    }
    fs::rename(temporary, target);
}

void model_store::remove(const stored_model& m) const {
    for (const auto& f : m.files) {
        fs::remove(m.folder / f.path);
        fs::remove(m.folder / (f.path + ".partial"));
    }
    fs::remove(m.sidecar());
    for (const auto& f : m.files) prune_empty_folders((m.folder / f.path).parent_path());
}

void model_store::prune_empty_folders(fs::path folder) const {
    std::error_code ec;
    const fs::path root = root_.lexically_normal();
    folder = folder.lexically_normal();
    while (folder != root && folder.string().starts_with(root.string()) && fs::is_directory(folder, ec) && fs::is_empty(folder, ec)) {
        if (!fs::remove(folder, ec)) break;
        folder = folder.parent_path();
    }
}

fs::path default_root(const plinth::config& config) {
    if (const std::string store = env("PLINTH_STORE"); !store.empty()) return store;
    if (!config.store.path.empty()) return config.store.path;
    if (const std::string cache = env("XDG_CACHE_HOME"); !cache.empty()) return fs::path(cache) / "plinth" / "models";
    if (const std::string home = env("HOME"); !home.empty()) return fs::path(home) / ".cache" / "plinth" / "models";
    throw std::runtime_error("no model store: set PLINTH_STORE (or HOME, or store.path in the config)");
}

std::string default_endpoint(const plinth::config& config) {
    std::string endpoint = env("PLINTH_HF_ENDPOINT");
    if (endpoint.empty()) endpoint = config.store.endpoint;
    if (endpoint.empty()) endpoint = "https://huggingface.co";
    while (endpoint.size() > 1 && endpoint.back() == '/') endpoint.pop_back();
    return endpoint;
}

fs::path resolve_model(const std::string& name_or_path, const fs::path& store_root) {
    std::error_code ec;
    if (fs::exists(name_or_path, ec)) return name_or_path;
    if (const auto m = model_store(store_root).find(name_or_path)) return m->path();
    throw std::runtime_error(name_or_path + ": cannot open: no such file, and no model in the store (" + store_root.string() +
                             ") has that name; `plinth ls` lists the store, `plinth pull OWNER/REPO[:QUANT]` fetches a model");
}

}  // namespace plinth::store
