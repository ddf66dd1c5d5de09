#include <plinth/backend_options.hpp>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace plinth {

std::string backend_option_decl::describe() const {
    if (!is_choice) return "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
    return "one of " + list;
}

bool declares_options(const loaded_plugin& backend) {
    const plinth_backend_api* api = backend.backend;
    return backend.abi_minor >= 2 && PLINTH_HAS_MEMBER(api, plinth_backend_api, options) && api->options != nullptr;
}

std::vector<backend_option_decl> declared_options(const loaded_plugin& backend) {
    std::vector<backend_option_decl> out;
    if (!declares_options(backend)) return out;
    uint32_t count = 0;
    const plinth_option_info* list = backend.backend->options(&count);
    for (uint32_t i = 0; list && i < count; ++i) {
        const plinth_option_info& o = list[i];
        if (o.struct_size < sizeof(plinth_option_info) || !o.name) continue;  // not one this host can read
        backend_option_decl d;
        d.name = o.name;
        d.help = o.help ? o.help : "";
        d.default_text = o.default_text ? o.default_text : "";
        d.is_choice = o.type == PLINTH_OPTION_CHOICE;
        d.min = o.min;
        d.max = o.max;
        for (const char* const* c = o.choices; d.is_choice && c && *c; ++c) d.choices.emplace_back(*c);
        out.push_back(std::move(d));
    }
    return out;
}

std::string check_option_value(const backend_option_decl& option, std::string_view value) {
    if (option.is_choice) {
        if (std::find(option.choices.begin(), option.choices.end(), value) != option.choices.end()) return {};
        std::string message = "must be " + option.describe() + ", got '" + std::string(value) + "'";
        std::vector<std::string_view> names(option.choices.begin(), option.choices.end());
        if (const auto near = nearest_key(value, names)) message += "; did you mean '" + *near + "'?";
        return message;
    }
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() || v < option.min || v > option.max)
        return "must be " + option.describe() + ", got '" + std::string(value) + "'";
    return {};
}

namespace {

config_diagnostic at(const source_location& where, std::string message) {
    return config_diagnostic{where.file, where.line, where.column, std::move(message)};
}

}  // namespace

std::vector<config_diagnostic> check_backend_settings(const std::map<std::string, backend_section>& backends, const plugin_host& host,
                                                      bool report_absent) {
    std::vector<config_diagnostic> problems;
    std::vector<std::string> names;
    for (const auto* b : host.backends()) names.push_back(b->name);
    for (const auto& [plugin, section] : backends) {
        const loaded_plugin* backend = host.find(PLINTH_PLUGIN_BACKEND, plugin);
        if (!backend) {
            // A typo of a loaded backend is an error; a backend simply absent here (a config
            // written for another machine) has nothing to check its options against.
            std::vector<std::string_view> candidates(names.begin(), names.end());
            if (const auto near = nearest_key(plugin, candidates))
                problems.push_back(at(section.at, "no backend plugin named '" + plugin + "' is loaded; did you mean '" + *near + "'?"));
            else if (report_absent)
                problems.push_back(at(section.at, "no backend plugin named '" + plugin + "' is loaded here; its options cannot be checked"));
            continue;
        }
        if (!declares_options(*backend)) continue;  // an older plugin: set_option itself judges
        const auto declared = declared_options(*backend);
        std::vector<std::string_view> option_names;
        for (const auto& d : declared) option_names.push_back(d.name);
        for (const auto& [key, setting] : section.options) {
            const auto d = std::find_if(declared.begin(), declared.end(), [&key = key](const backend_option_decl& o) { return o.name == key; });
            if (d == declared.end()) {
                std::string message = "unknown option '" + key + "' of the '" + plugin + "' backend";
                if (const auto near = nearest_key(key, option_names)) message += "; did you mean '" + *near + "'?";
                else {
                    std::string known;
                    for (const auto& n : option_names) known += (known.empty() ? "" : ", ") + std::string(n);
                    message += " (it has: " + (known.empty() ? std::string("none") : known) + ")";
                }
                problems.push_back(at(setting.key_at, message));
                continue;
            }
            if (auto why = check_option_value(*d, setting.value); !why.empty())
                problems.push_back(at(setting.value_at, "'" + key + "' of the '" + plugin + "' backend " + why));
        }
    }
    return problems;
}

void add_backend_option(std::map<std::string, backend_section>& backends, std::string_view assignment) {
    const auto dot = assignment.find('.'), equals = assignment.find('=');
    if (dot == std::string_view::npos || equals == std::string_view::npos || dot == 0 || equals < dot + 2)
        throw std::invalid_argument("'" + std::string(assignment) + "' is not PLUGIN.OPTION=VALUE (e.g. cpu.threads=4)");
    const std::string plugin(assignment.substr(0, dot)), key(assignment.substr(dot + 1, equals - dot - 1));
    backend_option_setting setting;
    setting.value = std::string(assignment.substr(equals + 1));
    setting.key_at.file = setting.value_at.file = "--backend-option " + std::string(assignment);
    backends[plugin].at.file = setting.key_at.file;
    backends[plugin].options[key] = std::move(setting);
}

std::map<std::string, std::map<std::string, std::string>> backend_option_values(const std::map<std::string, backend_section>& backends) {
    std::map<std::string, std::map<std::string, std::string>> out;
    for (const auto& [plugin, section] : backends)
        for (const auto& [key, setting] : section.options) out[plugin][key] = setting.value;
    return out;
}

void set_where_declared(std::map<std::string, backend_section>& backends, const plugin_host& host, const std::string& key,
                        const std::string& value) {
    for (const auto* b : host.backends()) {
        const auto declared = declared_options(*b);
        if (std::none_of(declared.begin(), declared.end(), [&](const backend_option_decl& d) { return d.name == key; })) continue;
        backend_option_setting setting;
        setting.value = value;
        backends[b->name].options[key] = std::move(setting);
    }
}

}  // namespace plinth
