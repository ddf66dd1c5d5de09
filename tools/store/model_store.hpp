#pragma once
// The local model store: <root>/<owner>/<repo>/<file> as pulled, plus a sidecar
// <file>.plinth.json beside a model's first file saying where it came from. A model is known to the
// store only through its sidecar, written last, so a pull that did not finish leaves no model.
//
// Names (docs/models.md): "owner/repo/path/file.gguf", "owner/repo:QUANT", "owner/repo" (when it
// holds one model) and the file's stem ("gemma-3-1b-it-Q4_K_M"); a name that matches several
// models is refused with the candidates.
#include "store/hf_listing.hpp"

#include <plinth/config.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace plinth::store {

struct stored_model {
    std::string endpoint, repo, revision;   // where it came from
    std::vector<remote_file> files;          // all parts, in order; paths relative to the repository
    std::string pulled_at;                   // UTC, ISO 8601
    std::filesystem::path folder;            // <root>/<owner>/<repo>

    std::filesystem::path path() const { return folder / files.front().path; }  // what a loader opens
    std::filesystem::path sidecar() const;
    std::string name() const;  // "owner/repo/path"
    uint64_t size() const;     // of all parts
};

class model_store {
public:
    explicit model_store(std::filesystem::path root) : root_(std::move(root)) {}
    const std::filesystem::path& root() const { return root_; }
    std::filesystem::path folder_of(const std::string& repo) const { return root_ / repo; }

    // Every model with a readable sidecar, by name. Unreadable sidecars are skipped with a warning.
    std::vector<stored_model> list() const;
    // The model a name means; nullopt when none. Throws std::runtime_error when several match.
    std::optional<stored_model> find(const std::string& name) const;
    // Writes the sidecar (atomically): the model's files must already be in place.
    void record(const stored_model& model) const;
    // Deletes the model's files and sidecar, then the folders left empty.
    void remove(const stored_model& model) const;
    // Removes `folder` and its parents while empty, up to (not including) the root.
    void prune_empty_folders(std::filesystem::path folder) const;

private:
    std::filesystem::path root_;
};

// PLINTH_STORE, else the config's store.path, else $XDG_CACHE_HOME/plinth/models, else
// ~/.cache/plinth/models. Throws std::runtime_error when none of them can be determined.
std::filesystem::path default_root(const plinth::config& config);
// PLINTH_HF_ENDPOINT, else the config's store.endpoint, else https://huggingface.co (no trailing '/').
std::string default_endpoint(const plinth::config& config);

// What `-m NAME_OR_PATH` opens: an existing path as it is, else the store's model of that name.
// Throws std::runtime_error naming both possibilities when neither exists (or the name is ambiguous).
std::filesystem::path resolve_model(const std::string& name_or_path, const std::filesystem::path& store_root);

}  // namespace plinth::store
