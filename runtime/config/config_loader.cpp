// The deployment-file loader: parses YAML with yaml-cpp, walks it against the schema and fills
// plinth::config, collecting every problem it finds as a "file:line:column: message" diagnostic.
#include <plinth/config.hpp>

#include "yaml_documents.hpp"
#include "yaml_values.hpp"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace plinth {

namespace {

using namespace config_yaml;

namespace fs = std::filesystem;

constexpr int64_t max_context = 1048576;
constexpr int64_t max_threads = 1024;
constexpr std::size_t max_pattern_length = 512;
const std::vector<std::string_view> log_levels{"trace", "debug", "info", "warn", "error", "off"};
// The CPU backend's kernel levels (its 'simd' option); whether this CPU runs one is the backend's call.

struct position {
    int line = 0;
    int column = 0;
};

position position_of(const YAML::Mark& mark) {
    if (mark.is_null() || mark.line < 0 || mark.column < 0) return {};
    return {mark.line + 1, mark.column + 1};
}

// ---- the walk -----------------------------------------------------------------------------------

struct entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
};

// A map section's description for messages: its dotted name, or a phrase for unnamed sections.
struct section {
    std::string name;        // "model", "backends.cpu"; empty for the top level
    std::string phrase;      // overrides "'name'" in messages, e.g. "a placement rule"
    std::string extra_hint;  // said when an unknown key has no near match

    std::string in() const {
        if (!phrase.empty()) return " in " + phrase;
        if (name.empty()) return "";
        return " in " + quoted_name(name);
    }
    std::string key_word() const { return name.empty() && phrase.empty() ? "top-level key" : "key"; }
};

class loader {
public:
    loader(std::string file, fs::path base_dir) : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

    config load(std::string_view text) {
        config cfg;
        cfg.source_file = file_;
        YAML::Node root;
        try {
            // Documents after the first may only be empty (a trailing "---"). The survey stops at
            // the first that is not, or at one stuck on a character (two null documents at the
            // same position), and after a bounded number in any case.
            const std::string owned(text);
            std::istringstream stream(owned);
            YAML::Parser parser(stream);
            document_survey survey;
            const auto& docs = survey.documents;
            while (docs.size() < 1000 && parser.HandleNextDocument(survey)) {
                const std::size_t n = docs.size();
                if (n >= 2 && docs[n - 2].root_is_null && docs[n - 1].root_is_null &&
                    docs[n - 2].root.pos == docs[n - 1].root.pos) {
                    const auto at = static_cast<std::size_t>(docs[n - 1].root.pos);
                    const std::string what = at < owned.size() ? "'" + owned.substr(at, 1) + "'" : "token";
                    error(docs[n - 1].root, "unexpected " + what);
                    throw config_error(std::move(diagnostics_));
                }
                if (n >= 2 && !docs[n - 1].root_is_null) {
                    error(docs[n - 1].start, "a configuration file must hold a single YAML document");
                    break;
                }
            }
            root = YAML::Load(owned);  // the first document
        } catch (const YAML::Exception& e) {
            syntax_error(text, e);
            throw config_error(std::move(diagnostics_));
        }
        try {
            walk_root(root, cfg);
        } catch (const YAML::Exception& e) {  // not expected: the walk only reads what it checked
            error(e.mark, e.msg);
        }
        if (!diagnostics_.empty()) {
            std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                             [](const config_diagnostic& a, const config_diagnostic& b) {
                                 return std::pair(a.line, a.column) < std::pair(b.line, b.column);
                             });
            throw config_error(std::move(diagnostics_));
        }
        return cfg;
    }

private:
    std::string file_;
    fs::path base_dir_;
    std::vector<config_diagnostic> diagnostics_;

    void error(const YAML::Mark& mark, std::string message) {
        const position p = position_of(mark);
        diagnostics_.push_back(config_diagnostic{file_, p.line, p.column, std::move(message)});
    }
    void error(const YAML::Node& node, std::string message) { error(node.Mark(), std::move(message)); }

    // yaml-cpp refused the text. YAML forbids tabs in indentation, and yaml-cpp's message for them
    // ("illegal map value", "end of map not found", ...) rarely says so: point at the tab instead.
    void syntax_error(std::string_view text, const YAML::Exception& e) {
        position p = position_of(e.mark);
        std::string message = e.msg;
        if (const auto tab = tab_in_indentation(text, p.line == 0 ? 1 << 30 : p.line)) {
            p = *tab;
            message += ": tab character in indentation (YAML indentation must use spaces)";
        }
        diagnostics_.push_back(config_diagnostic{file_, p.line, p.column, std::move(message)});
    }

    // The last line, at or before `up_to_line`, whose indentation holds a tab.
    static std::optional<position> tab_in_indentation(std::string_view text, int up_to_line) {
        std::optional<position> found;
        int line = 1;
        std::size_t start = 0;
        while (start <= text.size() && line <= up_to_line) {
            std::size_t end = text.find('\n', start);
            if (end == std::string_view::npos) end = text.size();
            const std::string_view content = text.substr(start, end - start);
            std::size_t i = 0;
            std::optional<int> tab_column;
            while (i < content.size() && (content[i] == ' ' || content[i] == '\t')) {
                if (content[i] == '\t' && !tab_column) tab_column = static_cast<int>(i) + 1;
                ++i;
            }
            if (tab_column && i < content.size() && content[i] != '\r') found = position{line, *tab_column};
            if (end == text.size()) break;
            start = end + 1;
            ++line;
        }
        return found;
    }

    std::string resolve(const std::string& path) const {
        if (base_dir_.empty() || fs::path(path).is_absolute()) return path;
        return (base_dir_ / path).lexically_normal().string();
    }

    // The entries of a map section whose keys are known and not repeated; everything else is
    // reported. A null section (a key with nothing under it) has no entries. The keys suggested
    // for unknown ones go to `suggested`, so that a typo is not also reported as a missing key.
    std::vector<entry> entries(const YAML::Node& map, const section& where,
                               const std::vector<std::string_view>& allowed,
                               std::set<std::string>* suggested = nullptr) {
        std::vector<entry> out;
        if (map.IsNull()) return out;
        std::map<std::string, int> first_line;
        for (auto it = map.begin(); it != map.end(); ++it) {
            const YAML::Node key_node = it->first;
            if (!key_node.IsScalar()) {
                error(key_node, "keys must be plain names, got " + describe(key_node));
                continue;
            }
            const std::string& key = key_node.Scalar();
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
                std::string message = "unknown " + where.key_word() + " " + quoted_name(key) + where.in();
                if (const auto near = nearest_key(key, allowed)) {
                    message += "; did you mean " + quoted_name(*near) + "?";
                    if (suggested) suggested->insert(*near);
                } else if (!where.extra_hint.empty())
                    message += " (" + where.extra_hint + ")";
                else
                    message += " (expected one of: " + join(allowed) + ")";
                error(key_node, std::move(message));
                continue;
            }
            const auto [seen, inserted] = first_line.emplace(key, position_of(key_node.Mark()).line);
            if (!inserted) {
                error(key_node, "duplicate " + where.key_word() + " " + quoted_name(key) + where.in() +
                                    " (first given at line " + std::to_string(seen->second) + ")");
                continue;
            }
            out.push_back(entry{key, key_node, it->second});
        }
        return out;
    }

    // A section value must be a map (or null: nothing set).
    bool is_section(const YAML::Node& value, std::string_view name) {
        if (value.IsNull() || value.IsMap()) return true;
        error(value, quoted_name(name) + " must be a map of settings, got " + describe(value));
        return false;
    }

    // An integer in [low, high]; `subject` names it in messages ("'context'"), `range` describes
    // the allowed values ("between 1 and 1024").
    std::optional<int64_t> integer(const YAML::Node& value, const std::string& subject, int64_t low,
                                   int64_t high, const std::string& range) {
        if (!value.IsScalar() || !is_plain(value) || !is_decimal_integer(value.Scalar())) {
            error(value, subject + " must be an integer, got " + describe(value));
            return std::nullopt;
        }
        std::string_view text = value.Scalar();
        if (text.front() == '+') text.remove_prefix(1);
        int64_t number = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (ec != std::errc() || end != text.data() + text.size() || number < low || number > high) {
            error(value, subject + " must be " + range + ", got " + value.Scalar());
            return std::nullopt;
        }
        return number;
    }

    std::optional<bool> boolean(const YAML::Node& value, std::string_view name) {
        if (value.IsScalar() && is_plain(value) && is_boolean(value.Scalar()))
            return value.Scalar().front() == 't' || value.Scalar().front() == 'T';
        error(value, quoted_name(name) + " must be true or false, got " + describe(value));
        return std::nullopt;
    }

    std::optional<std::string> string(const YAML::Node& value, std::string_view name) {
        if (!value.IsScalar()) {
            error(value, quoted_name(name) + " must be a string, got " + describe(value));
            return std::nullopt;
        }
        if (value.Scalar().empty()) {
            error(value, quoted_name(name) + " must not be empty");
            return std::nullopt;
        }
        return value.Scalar();
    }

    struct located_string {
        std::string text;
        YAML::Mark mark;
    };

    std::optional<std::vector<located_string>> string_list(const YAML::Node& value, std::string_view name) {
        if (!value.IsSequence()) {
            error(value, quoted_name(name) + " must be a list of strings, got " + describe(value));
            return std::nullopt;
        }
        std::vector<located_string> out;
        bool ok = true;
        for (const auto& item : value) {
            if (!item.IsScalar() || item.Scalar().empty()) {
                error(item, "each entry of " + quoted_name(name) + " must be a non-empty string, got " +
                                (item.IsScalar() ? std::string("an empty string") : describe(item)));
                ok = false;
                continue;
            }
            out.push_back(located_string{item.Scalar(), item.Mark()});
        }
        if (!ok) return std::nullopt;
        return out;
    }

    // ---- sections ----

    void walk_root(const YAML::Node& root, config& cfg) {
        if (root.IsNull()) return;  // empty file, or only comments: all defaults
        if (!root.IsMap()) {
            error(root, "the top level of a configuration file must be a map of settings, got " +
                            describe(root));
            return;
        }
        for (const auto& e : entries(root, section{}, {"plugins", "model", "models", "backends", "placement", "server", "store", "log"})) {
            if (e.key == "plugins") walk_plugins(e.value, cfg);
            else if (e.key == "models") walk_models(e.value, cfg);
            else if (e.key == "model") walk_model(e.value, cfg);
            else if (e.key == "backends") walk_backends(e.value, cfg);
            else if (e.key == "placement") {
                if (walk_placement(e.value, cfg.placement)) cfg.set_by_file.insert("placement");
            }
            else if (e.key == "server") walk_server(e.value, cfg);
            else if (e.key == "store") walk_store(e.value, cfg);
            else if (e.key == "log") walk_log(e.value, cfg);
        }
    }

    // store: where `plinth pull` keeps models and which server it asks.
    void walk_store(const YAML::Node& node, config& cfg) {
        if (!is_section(node, "store")) return;
        for (const auto& e : entries(node, section{"store", {}, {}}, {"path", "endpoint"})) {
            if (e.value.IsNull()) continue;
            auto text = string(e.value, e.key);
            if (!text) continue;
            if (e.key == "path") {
                cfg.store.path = resolve(*text);
            } else {
                if (text->rfind("https://", 0) != 0 && text->rfind("http://", 0) != 0) {
                    error(e.value, "'endpoint' must be a URL starting with https:// or http://, got " + shown(*text));
                    continue;
                }
                while (text->size() > 8 && text->back() == '/') text->pop_back();
                cfg.store.endpoint = *text;
            }
            cfg.set_by_file.insert("store." + e.key);
        }
    }

    // server: what `plinth serve` listens on and how much it takes in.
    void walk_server(const YAML::Node& node, config& cfg) {
        if (!is_section(node, "server")) return;
        server_settings& s = cfg.server;
        const std::vector<std::string_view> keys = {"host", "port", "parallel", "queue", "kv_tokens", "api_key", "cors_origins",
                                                    "request_timeout", "read_timeout", "body_limit", "memory_budget", "keep_alive"};
        for (const auto& e : entries(node, section{"server", {}, {}}, keys)) {
            if (e.value.IsNull()) continue;
            const std::string subject = quoted_name(e.key);
            bool ok = true;
            if (e.key == "host" || e.key == "api_key") {
                auto text = string(e.value, e.key);
                if (!(ok = text.has_value())) continue;
                (e.key == "host" ? s.host : s.api_key) = *text;
            } else if (e.key == "port") {
                auto v = integer(e.value, subject, 0, 65535, "between 0 and 65535");
                if (!(ok = v.has_value())) continue;
                s.port = static_cast<uint16_t>(*v);
            } else if (e.key == "parallel" || e.key == "queue") {
                auto v = integer(e.value, subject, e.key == "queue" ? 0 : 1, 4096, e.key == "queue" ? "between 0 and 4096" : "between 1 and 4096");
                if (!(ok = v.has_value())) continue;
                (e.key == "parallel" ? s.parallel : s.queue) = static_cast<uint32_t>(*v);
            } else if (e.key == "kv_tokens") {
                auto v = integer(e.value, subject, 1, 1 << 28, "between 1 and 268435456");
                if (!(ok = v.has_value())) continue;
                s.kv_tokens = static_cast<uint32_t>(*v);
            } else if (e.key == "keep_alive") {
                auto v = integer(e.value, subject, 0, 31 * 86400, "a number of seconds between 0 (never idle out) and 2678400");
                if (!(ok = v.has_value())) continue;
                s.keep_alive = static_cast<uint32_t>(*v);
            } else if (e.key == "request_timeout" || e.key == "read_timeout") {
                auto v = integer(e.value, subject, 1, 86400, "a number of seconds between 1 and 86400");
                if (!(ok = v.has_value())) continue;
                (e.key == "request_timeout" ? s.request_timeout : s.read_timeout) = static_cast<uint32_t>(*v);
            } else if (e.key == "body_limit" || e.key == "memory_budget") {
                try {
                    if (!e.value.IsScalar()) throw std::invalid_argument("not a size");
                    (e.key == "body_limit" ? s.body_limit : s.memory_budget) = parse_size(e.value.Scalar());
                } catch (const std::exception&) {
                    error(e.value, subject + " must be a size such as " + (e.key == "body_limit" ? "16MiB" : "8GiB") + ", got " +
                                       describe(e.value));
                    continue;
                }
            } else if (e.key == "cors_origins") {
                auto list = string_list(e.value, e.key);
                if (!(ok = list.has_value())) continue;
                s.cors_origins.clear();
                for (auto& item : *list) s.cors_origins.push_back(item.text);
            }
            if (ok) cfg.set_by_file.insert("server." + e.key);
        }
    }

    void walk_plugins(const YAML::Node& node, config& cfg) {
        if (!is_section(node, "plugins")) return;
        std::optional<std::vector<located_string>> enable, disable;
        for (const auto& e : entries(node, section{"plugins", {}, {}}, {"paths", "enable", "disable"})) {
            if (e.value.IsNull()) continue;
            auto list = string_list(e.value, e.key);
            if (!list) continue;
            cfg.set_by_file.insert("plugins." + e.key);
            if (e.key == "paths") {
                for (const auto& item : *list) cfg.plugins.paths.push_back(resolve(item.text));
            } else if (e.key == "enable") {
                for (const auto& item : *list) cfg.plugins.enable.push_back(item.text);
                enable = std::move(list);
            } else {
                for (const auto& item : *list) cfg.plugins.disable.push_back(item.text);
                disable = std::move(list);
            }
        }
        if (!enable || !disable) return;
        for (const auto& d : *disable) {
            const auto both = std::find_if(enable->begin(), enable->end(),
                                           [&](const located_string& en) { return en.text == d.text; });
            if (both != enable->end())
                error(d.mark, "plugin " + quoted_name(d.text) + " is both enabled and disabled (see 'enable' at line " +
                                  std::to_string(position_of(both->mark).line) + ")");
        }
    }

    // models: the models a multi-model server may load, each a map with a unique name and exactly
    // one of 'path' (a file) or 'store' (a store name), plus its own settings.
    void walk_models(const YAML::Node& node, config& cfg) {
        if (node.IsNull()) return;
        if (!node.IsSequence()) {
            error(node, "'models' must be a list of models (each with 'name' and 'path' or 'store'), got " + describe(node));
            return;
        }
        std::map<std::string, int> first_line;
        for (const auto& item : node) {
            if (!item.IsMap()) {
                error(item, "each entry of 'models' must be a map with 'name' and 'path' or 'store', got " + describe(item));
                continue;
            }
            served_model_settings m;
            m.where = {file_, position_of(item.Mark()).line, position_of(item.Mark()).column};
            bool named = false, located = false;
            const std::vector<std::string_view> keys = {"name", "path", "store", "context", "chat_template", "placement",
                                                        "threads", "parallel", "kv_tokens"};
            for (const auto& e : entries(item, section{"", "a 'models' entry", {}}, keys)) {
                if (e.value.IsNull()) continue;
                const std::string subject = quoted_name(e.key);
                if (e.key == "name") {
                    auto text = string(e.value, e.key);
                    if (!text) continue;
                    m.name = *text;
                    named = true;
                    const auto [seen, inserted] = first_line.emplace(m.name, position_of(e.value.Mark()).line);
                    if (!inserted)
                        error(e.value, "model name " + shown(m.name) + " is used twice (first at line " + std::to_string(seen->second) + ")");
                } else if (e.key == "path" || e.key == "store") {
                    auto text = string(e.value, e.key);
                    if (!text) continue;
                    if (located) {
                        error(e.key_node, "a 'models' entry takes one of 'path' (a file) or 'store' (a store name), not both");
                        continue;
                    }
                    located = true;
                    m.from_store = e.key == "store";
                    m.path = m.from_store ? *text : resolve(*text);
                } else if (e.key == "chat_template") {
                    if (auto text = string(e.value, e.key)) m.chat_template = resolve(*text);
                } else if (e.key == "placement") {
                    placement_settings p;
                    if (walk_placement(e.value, p)) m.placement = std::move(p);
                } else if (e.key == "context") {
                    const std::string range = "between 1 and " + std::to_string(max_context) + " (or 0 for the model's own)";
                    if (auto v = integer(e.value, subject, 0, max_context, range)) m.context = static_cast<uint32_t>(*v);
                } else if (e.key == "threads") {
                    if (auto v = integer(e.value, subject, 1, max_threads, "between 1 and " + std::to_string(max_threads)))
                        m.threads = static_cast<uint32_t>(*v);
                } else if (e.key == "parallel") {
                    if (auto v = integer(e.value, subject, 1, 4096, "between 1 and 4096")) m.parallel = static_cast<uint32_t>(*v);
                } else if (e.key == "kv_tokens") {
                    if (auto v = integer(e.value, subject, 1, 1 << 28, "between 1 and 268435456")) m.kv_tokens = static_cast<uint32_t>(*v);
                }
            }
            if (!named) error(item, "a 'models' entry needs a 'name' (what requests put in their 'model' field)");
            if (!located) error(item, "a 'models' entry needs 'path' (a model file) or 'store' (a store name)");
            cfg.models.push_back(std::move(m));
        }
        cfg.set_by_file.insert("models");
    }

    void walk_model(const YAML::Node& node, config& cfg) {
        if (!is_section(node, "model")) return;
        std::optional<YAML::Node> first_source;  // path or store: one of them
        for (const auto& e : entries(node, section{"model", {}, {}}, {"path", "store", "context", "chat_template"})) {
            if (e.value.IsNull()) continue;
            if (e.key == "path" || e.key == "store") {
                if (first_source) {
                    error(e.key_node, "'model' takes one of 'path' (a file) or 'store' (a store name), not both");
                    continue;
                }
                first_source = e.key_node;
            }
            if (e.key == "store") {
                if (auto name = string(e.value, e.key)) {
                    cfg.model.store = *name;
                    cfg.set_by_file.insert("model.store");
                }
                continue;
            }
            if (e.key == "chat_template") {
                if (auto path = string(e.value, e.key)) {
                    cfg.model.chat_template = resolve(*path);
                    cfg.set_by_file.insert("model.chat_template");
                }
            } else if (e.key == "path") {
                if (auto path = string(e.value, e.key)) {
                    cfg.model.path = resolve(*path);
                    cfg.set_by_file.insert("model.path");
                }
            } else if (e.key == "context") {
                const std::string range = "between 1 and " + std::to_string(max_context) +
                                          " (or 0 for the model's own)";
                if (auto context = integer(e.value, quoted_name(e.key), 0, max_context, range)) {
                    cfg.model.context = static_cast<uint32_t>(*context);
                    cfg.set_by_file.insert("model.context");
                }
            }
        }
    }

    // A string that must be one of `allowed`: the value, or nullopt after an error that lists them
    // (and suggests the nearest when the value looks like a typo of one).
    std::optional<std::string> choice(const YAML::Node& value, const std::string& key, const std::vector<std::string_view>& allowed) {
        auto text = string(value, key);
        if (!text) return std::nullopt;
        if (std::find(allowed.begin(), allowed.end(), *text) != allowed.end()) return text;
        std::string message = quoted_name(key) + " must be one of " + join(allowed) + ", got " + shown(*text);
        if (const auto near = nearest_key(*text, allowed)) message += "; did you mean " + quoted_name(*near) + "?";
        error(value, std::move(message));
        return std::nullopt;
    }

    // backends: one map of options per backend plugin, kept as text with positions. Which
    // plugins and options exist, and what values they take, the plugins themselves declare: that
    // is checked once they are loaded.
    void walk_backends(const YAML::Node& node, config& cfg) {
        if (!is_section(node, "backends")) return;
        if (node.IsNull()) return;
        for (auto it = node.begin(); it != node.end(); ++it) {
            const YAML::Node key = it->first, value = it->second;
            if (!key.IsScalar() || !is_plugin_name(key.Scalar())) {
                error(key, "keys of 'backends' must be backend plugin names such as cpu, got " + describe(key));
                continue;
            }
            const std::string name = key.Scalar();
            const std::string dotted = "backends." + name;
            if (cfg.backends.count(name)) {
                error(key, "duplicate key " + quoted_name(name) + " in 'backends'");
                continue;
            }
            backend_section section_settings;
            section_settings.at = located(key);
            if (!is_section(value, dotted)) continue;
            if (!value.IsNull())
                for (auto o = value.begin(); o != value.end(); ++o) {
                    const YAML::Node option = o->first, setting = o->second;
                    if (!option.IsScalar() || !is_plugin_name(option.Scalar())) {
                        error(option, "keys of " + quoted_name(dotted) + " must be option names, got " + describe(option));
                        continue;
                    }
                    if (setting.IsNull()) continue;
                    if (!setting.IsScalar()) {
                        error(setting, quoted_name(option.Scalar()) + " must be a single value, got " + describe(setting));
                        continue;
                    }
                    if (section_settings.options.count(option.Scalar())) {
                        error(option, "duplicate key " + quoted_name(option.Scalar()) + " in " + quoted_name(dotted));
                        continue;
                    }
                    section_settings.options[option.Scalar()] = backend_option_setting{setting.Scalar(), located(option), located(setting)};
                    cfg.set_by_file.insert(dotted + "." + option.Scalar());
                }
            cfg.backends.emplace(name, std::move(section_settings));
        }
    }

    source_location located(const YAML::Node& node) const {
        const position p = position_of(node.Mark());
        return source_location{file_, p.line, p.column};
    }

    static bool is_plugin_name(const std::string& s) {
        if (s.empty() || s[0] < 'a' || s[0] > 'z') return false;
        return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
    }

    void walk_log(const YAML::Node& node, config& cfg) {
        if (!is_section(node, "log")) return;
        for (const auto& e : entries(node, section{"log", {}, {}}, {"level"})) {
            if (e.value.IsNull()) continue;
            auto level = choice(e.value, e.key, log_levels);
            if (!level) continue;
            cfg.log.level = *level;
            cfg.set_by_file.insert("log.level");
        }
    }

    // placement: auto | [rule, ...] | {auto: bool, budget: {device: size}, rules: [rule, ...]}
    // Fills `placement`; false when there was nothing to read or it was wrong.
    bool walk_placement(const YAML::Node& node, placement_settings& placement) {
        if (node.IsNull()) return false;
        const std::string expected = "'placement' must be 'auto', a list of rules or a map with 'auto', 'budget' and 'rules'";
        if (node.IsScalar()) {
            if (node.Scalar() != "auto") {
                error(node, expected + ", got " + describe(node));
                return false;
            }
            placement.automatic = true;
        } else if (node.IsSequence()) {
            placement.rules = rules(node);
        } else if (node.IsMap()) {
            std::optional<YAML::Node> budget_key;
            for (const auto& e : entries(node, section{"placement", {}, {}}, {"auto", "budget", "rules"})) {
                if (e.value.IsNull()) continue;
                if (e.key == "auto") {
                    if (auto automatic = boolean(e.value, e.key)) placement.automatic = *automatic;
                } else if (e.key == "budget") {
                    placement.budget = budget(e.value);
                    budget_key = e.key_node;
                } else if (e.key == "rules") {
                    if (!e.value.IsSequence()) {
                        error(e.value, "'rules' must be a list of placement rules, got " + describe(e.value));
                        continue;
                    }
                    placement.rules = rules(e.value);
                }
            }
            if (budget_key && !placement.budget.empty() && !placement.automatic)
                error(*budget_key, "'budget' applies only to automatic placement; add 'auto: true'");
        } else {
            error(node, expected + ", got " + describe(node));
            return false;
        }
        return true;
    }

    std::map<std::string, uint64_t> budget(const YAML::Node& node) {
        std::map<std::string, uint64_t> out;
        if (!node.IsMap()) {
            error(node, "'budget' must be a map from device to size (e.g. vulkan:0: 2GiB), got " + describe(node));
            return out;
        }
        std::map<std::string, int> first_line;
        for (auto it = node.begin(); it != node.end(); ++it) {
            const YAML::Node key = it->first;
            const YAML::Node value = it->second;
            if (!key.IsScalar()) {
                error(key, "keys of 'budget' must be device ids like vulkan:0, got " + describe(key));
                continue;
            }
            device_id device;
            try {
                device = parse_device_id(key.Scalar());
            } catch (const std::invalid_argument& e) {
                error(key, std::string("'budget' key: ") + e.what());
                continue;
            }
            const std::string name = device.str();
            const auto [seen, inserted] = first_line.emplace(name, position_of(key.Mark()).line);
            if (!inserted) {
                error(key, "duplicate device " + quoted_name(name) + " in 'budget' (first given at line " +
                               std::to_string(seen->second) + ")");
                continue;
            }
            if (value.IsNull()) continue;
            if (!value.IsScalar()) {
                error(value, "the budget for " + quoted_name(name) + " must be a size like 2GiB, got " +
                                 describe(value));
                continue;
            }
            try {
                out[name] = parse_size(value.Scalar());
            } catch (const std::exception& e) {  // invalid_argument or out_of_range
                error(value, "the budget for " + quoted_name(name) + ": " + e.what());
            }
        }
        return out;
    }

    std::vector<placement_rule> rules(const YAML::Node& list) {
        std::vector<placement_rule> out;
        for (const auto& node : list) {
            YAML::Mark layers_mark;
            if (auto r = rule(node, layers_mark)) {
                // Literal overlaps are visible without the model: report them now.
                if (r->layers) {
                    for (std::size_t i = 0; i < out.size(); ++i) {
                        if (!out[i].layers) continue;
                        if (const auto layer = out[i].layers->first_common_layer(*r->layers)) {
                            error(layers_mark, "layers " + r->layers->str() + " overlap layers " +
                                                   out[i].layers->str() + " of the rule at line " +
                                                   std::to_string(out[i].where.line) + " (both contain layer " +
                                                   std::to_string(*layer) + ")");
                            break;
                        }
                    }
                }
                out.push_back(std::move(*r));
            }
        }
        return out;
    }

    std::optional<placement_rule> rule(const YAML::Node& node, YAML::Mark& layers_mark) {
        if (!node.IsMap()) {
            error(node, "a placement rule must be a map with 'layers' or 'tensors' and 'device', got " +
                            describe(node));
            return std::nullopt;
        }
        const std::size_t errors_before = diagnostics_.size();
        placement_rule r;
        const position p = position_of(node.Mark());
        r.where = source_location{file_, p.line, p.column};
        bool has_layers = false, has_tensors = false, has_device = false;
        std::set<std::string> typos;  // a misspelt key is reported as such, not as a missing one
        for (const auto& e : entries(node, section{{}, "a placement rule", {}}, {"layers", "tensors", "device"}, &typos)) {
            if (e.value.IsNull()) continue;
            if (e.key == "layers") {
                has_layers = true;
                layers_mark = e.value.Mark();
                r.layers = layers(e.value);
            } else if (e.key == "tensors") {
                has_tensors = true;
                r.tensors = tensors(e.value);
            } else if (e.key == "device") {
                has_device = true;
                if (!e.value.IsScalar()) {
                    error(e.value, "'device' must be a device id like cpu:0, got " + describe(e.value));
                    continue;
                }
                try {
                    r.device = parse_device_id(e.value.Scalar());
                } catch (const std::invalid_argument& ex) {
                    error(e.value, ex.what());
                }
            }
        }
        if (has_layers && has_tensors)
            error(node, "a placement rule needs exactly one of 'layers' or 'tensors', got both");
        else if (!has_layers && !has_tensors && !typos.count("layers") && !typos.count("tensors"))
            error(node, "a placement rule needs exactly one of 'layers' or 'tensors', got neither");
        if (!has_device && !typos.count("device")) error(node, "a placement rule needs a 'device' (e.g. device: cpu:0)");
        if (diagnostics_.size() != errors_before) return std::nullopt;
        return r;
    }

    std::optional<layer_selection> layers(const YAML::Node& value) {
        if (value.IsScalar()) {
            try {
                return parse_layer_selection(value.Scalar());
            } catch (const std::invalid_argument& e) {
                error(value, e.what());
                return std::nullopt;
            }
        }
        if (!value.IsSequence()) {
            error(value, "'layers' must be a range like 0-2, 3- or 5, or a list of layers, got " + describe(value));
            return std::nullopt;
        }
        if (value.size() == 0) {
            error(value, "'layers' must not be an empty list");
            return std::nullopt;
        }
        layer_selection selection;
        std::set<uint32_t> seen;
        bool ok = true;
        for (const auto& item : value) {
            constexpr int64_t max_layer = std::numeric_limits<uint32_t>::max();
            const auto layer = integer(item, "each entry of 'layers'", 0, max_layer,
                                       "between 0 and " + std::to_string(max_layer));
            if (!layer) {
                ok = false;
                continue;
            }
            const auto n = static_cast<uint32_t>(*layer);
            if (!seen.insert(n).second) {
                error(item, "layer " + std::to_string(n) + " is listed twice in 'layers'");
                ok = false;
                continue;
            }
            selection.ranges.push_back(layer_range{n, n, false});
        }
        if (!ok) return std::nullopt;
        return selection;
    }

    std::optional<std::string> tensors(const YAML::Node& value) {
        auto pattern = string(value, "tensors");
        if (!pattern) return std::nullopt;
        // A tensor name is short; a pattern this long is a mistake (and costs RE2 memory to compile).
        if (pattern->size() > max_pattern_length) {
            error(value, "'tensors' is too long (" + std::to_string(pattern->size()) + " characters; at most " +
                             std::to_string(max_pattern_length) + ")");
            return std::nullopt;
        }
        // RE2 (linear-time matching: no pattern can make placement hang, as backtracking engines
        // such as std::regex can on "(.*)*(.*)*x").
        const RE2 compiled(*pattern, RE2::Quiet);
        if (!compiled.ok()) {
            error(value, "'tensors' is not a valid regular expression (" + shown(*pattern) + "): " + compiled.error());
            return std::nullopt;
        }
        return pattern;
    }
};

}  // namespace

config load_config_text(std::string_view yaml, const std::string& file_name_for_messages,
                        const std::filesystem::path& base_dir) {
    return loader(file_name_for_messages, base_dir).load(yaml);
}

config load_config_file(const std::filesystem::path& file) {
    const std::string name = file.string();
    const auto cannot_read = [&](const std::string& reason) {
        throw config_error({config_diagnostic{name, 0, 0, "cannot read: " + reason}});
    };
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) cannot_read("it is a directory");
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(name.c_str(), "rb"), &std::fclose);
    if (!f) cannot_read(std::strerror(errno));
    std::string text;
    char buffer[8192];
    while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, f.get())) text.append(buffer, n);
    if (std::ferror(f.get())) cannot_read(std::strerror(errno));
    return load_config_text(text, name, file.parent_path());
}

}  // namespace plinth
