#pragma once
// The deployment file: typed settings, the YAML loader that fills them, and the small parsers
// (device ids, layer ranges, sizes) that the command line shares with the loader.
// The reference of every key is docs/configuration.md.
#include <plinth/error.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace plinth {

// Where something was written: 1-based line and column; line 0 when there is no position
// (a command-line flag, a file that cannot be read).
struct source_location {
    std::string file;
    int line = 0;
    int column = 0;
};

// ---- typed settings ----------------------------------------------------------------------------

struct plugin_settings {
    std::vector<std::string> paths;    // resolved against the config file's folder
    std::vector<std::string> enable;   // if non-empty, only these plugins load
    std::vector<std::string> disable;  // these plugins never load
};

struct model_settings {
    std::string path;       // resolved against the config file's folder; empty = not given
    std::string store;      // a model store name instead of a file (`plinth pull`); empty = not given
    uint32_t context = 0;   // 0 = the model's own context length
    std::string chat_template;  // a Jinja file for chat front ends (resolved like path); empty = the model's own
};

// One setting of a backend plugin's section (`backends.<plugin>.<key>: value`). The loader keeps
// the text; what the plugin declares (ABI 1.2 options) checks it once the plugins are loaded
// (check_backend_settings in plinth/backend_options.hpp).
struct backend_option_setting {
    std::string value;
    source_location key_at;    // the key in the file (line 0: from the command line)
    source_location value_at;
};

// `backends.<plugin>:` - the plugin's options by name.
struct backend_section {
    source_location at;  // the plugin's name in the file
    std::map<std::string, backend_option_setting> options;
};

// "<backend>:<index>", e.g. "cpu:0", "vulkan:1".
struct device_id {
    std::string backend;
    uint32_t index = 0;
    std::string str() const;
    bool operator==(const device_id&) const = default;
};

// One inclusive range of layers; with to_last set it runs from `first` to the model's last layer
// and `last` is ignored.
struct layer_range {
    uint32_t first = 0;
    uint32_t last = 0;
    bool to_last = false;
    bool operator==(const layer_range&) const = default;
};

// Which layers a rule covers: "A-B", "A-" or "N" give one range; a YAML list of integers gives
// one single-layer range per entry, in the order written.
struct layer_selection {
    std::vector<layer_range> ranges;

    bool contains(uint32_t layer) const;
    // The lowest layer both selections contain, if any (independent of the model's size).
    std::optional<uint32_t> first_common_layer(const layer_selection& other) const;
    std::string str() const;  // "0-2", "3-", "5", "[1, 3, 5]"
    bool operator==(const layer_selection&) const = default;
};

// Exactly one of `layers` / `tensors` is set.
struct placement_rule {
    std::optional<layer_selection> layers;
    std::optional<std::string> tensors;  // ECMAScript regex on tensor names; known to compile
    device_id device;
    source_location where;               // the rule in the file; line 0 for command-line rules
};

struct placement_settings {
    bool automatic = false;                // `placement: auto` or `{auto: true}`
    std::map<std::string, uint64_t> budget;  // device_id::str() -> bytes
    std::vector<placement_rule> rules;
};

// `plinth serve` (docs/server.md); the command line overrides these.
struct server_settings {
    std::string host = "127.0.0.1";
    uint16_t port = 8080;                    // 0: any free port
    uint32_t parallel = 4;                   // sequences decoded together
    uint32_t queue = 64;                     // requests waiting beyond those; more get 503
    uint32_t kv_tokens = 0;                  // KV cache for all requests; 0: context x parallel
    std::string api_key;                     // empty: no key needed
    std::vector<std::string> cors_origins;   // origins browsers may call from; "*" for any
    uint32_t request_timeout = 600;          // seconds a request may take, from arrival
    uint32_t read_timeout = 30;              // seconds to receive one request (headers and body)
    uint64_t body_limit = 16ull << 20;       // bytes of a request body
    uint64_t memory_budget = 0;              // bytes the loaded models may take together; 0: no limit
    uint32_t keep_alive = 0;                 // seconds an idle model stays loaded; 0: until the budget needs it
};

// One model of a multi-model server (`models:`): what a request's `model` field names, where the
// weights are, and the settings used each time it is loaded. Unset values fall back to the
// top-level sections (model, backends.cpu, placement, server).
struct served_model_settings {
    std::string name;
    std::string path;                        // a file (resolved against the config's folder) or, with from_store, a store name
    bool from_store = false;
    uint32_t context = 0;                    // 0: model.context, else the model's own
    std::string chat_template;               // empty: model.chat_template, else the model's own
    std::optional<placement_settings> placement;
    std::optional<uint32_t> threads;         // `threads` of every backend that declares it (as -t)
    uint32_t parallel = 0;                   // 0: server.parallel
    uint32_t kv_tokens = 0;                  // 0: server.kv_tokens
    source_location where;                   // the entry in the file
};

// The local model store of `plinth pull` (docs/models.md); the environment overrides these.
struct store_settings {
    std::string path;      // resolved against the config file's folder; empty = the default cache folder
    std::string endpoint;  // a Hugging Face-compatible server, "https://..." or "http://..."; empty = huggingface.co
};

struct log_settings {
    std::string level = "info";  // trace|debug|info|warn|error|off
};

struct config {
    plugin_settings plugins;
    model_settings model;
    std::map<std::string, backend_section> backends;  // plugin name -> its options
    placement_settings placement;
    server_settings server;
    std::vector<served_model_settings> models;  // `models:`, for plinth serve; empty: model.path alone
    store_settings store;
    log_settings log;
    std::string source_file;  // the file name given to the loader; empty for built-in defaults

    // Dotted names of the values the file set: "plugins.paths", "plugins.enable",
    // "plugins.disable", "model.path", "model.context", "backends.cpu.threads", "placement",
    // "log.level". A key written with an empty value (`key:` or `key: ~`) counts as not set.
    std::set<std::string, std::less<>> set_by_file;
    bool is_set_by_file(std::string_view dotted_key) const;
};

// ---- errors ------------------------------------------------------------------------------------

struct config_diagnostic {
    std::string file;
    int line = 0;    // 1-based; 0 = no position
    int column = 0;  // 1-based; 0 = no position
    std::string message;
    std::string str() const;  // "file:line:column: message"
};

// Every problem found in one file (as many as could be found, in file order).
class config_error : public error {
public:
    explicit config_error(std::vector<config_diagnostic> diagnostics);
    const std::vector<config_diagnostic>& diagnostics() const noexcept { return diagnostics_; }

private:
    std::vector<config_diagnostic> diagnostics_;
};

// ---- loading -----------------------------------------------------------------------------------

// Reads and validates a deployment file; relative paths in it are resolved against its folder.
// Throws config_error (also for a file that cannot be read: "file:0:0: cannot read: reason").
config load_config_file(const std::filesystem::path& file);

// The same from text; `file_name_for_messages` prefixes every diagnostic. Relative paths are
// resolved against `base_dir`, or left as written when it is empty. An empty text (or one with
// only comments) gives the built-in defaults.
config load_config_text(std::string_view yaml, const std::string& file_name_for_messages,
                        const std::filesystem::path& base_dir = {});

// ---- syntax shared with the command line (throw std::invalid_argument) -------------------------

// "vulkan:0": backend [a-z][a-z0-9_]*, index a non-negative decimal integer.
device_id parse_device_id(std::string_view text);

// "A-B" (inclusive, A <= B), "A-" (A to the last layer) or "N".
layer_selection parse_layer_selection(std::string_view text);

// "0-2:vulkan:0,3-:cpu:0": comma-separated "<layers>:<device>" rules; literal overlaps throw.
std::vector<placement_rule> parse_placement_flag(std::string_view text);

// "1073741824", "2GiB", "1.5 GiB", "512MB": B, KiB, MiB, GiB, TiB (powers of 1024) and
// KB, MB, GB, TB (powers of 1000). Zero, negative and too-large sizes throw std::out_of_range;
// anything else that is not a size throws std::invalid_argument.
uint64_t parse_size(std::string_view text);

// ---- key suggestions ---------------------------------------------------------------------------

// Optimal-string-alignment edit distance (insertions, deletions, substitutions, transpositions).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `typed`, when it is close enough to be a likely typo:
// distance <= max(2, candidate length / 3) and smaller than the candidate's length. A candidate
// that differs only in letter case always qualifies.
std::optional<std::string> nearest_key(std::string_view typed,
                                       const std::vector<std::string_view>& candidates);

}  // namespace plinth
