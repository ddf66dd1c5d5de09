#pragma once
// The options backend plugins declare (ABI 1.2), and checking the values a deployment file's
// `backends.<plugin>:` sections or the command line give them. The host knows no backend's
// options by name: whatever a loaded plugin declares is what it takes.
#include <plinth/config.hpp>
#include <plinth/plugin_host.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace plinth {

struct backend_option_decl {
    std::string name;
    std::string help;
    std::string default_text;
    bool is_choice = false;
    int64_t min = 0, max = 0;          // integers
    std::vector<std::string> choices;  // choices
    std::string describe() const;      // "an integer from 1 to 4096", "one of auto, always"
};

// What a loaded backend declares; empty for a plugin of ABI 1.0/1.1 (it takes options, unchecked).
std::vector<backend_option_decl> declared_options(const loaded_plugin& backend);
bool declares_options(const loaded_plugin& backend);

// Empty when `value` suits the option, else what it must be ("must be an integer from 1 to 4096").
std::string check_option_value(const backend_option_decl& option, std::string_view value);

// Every problem with the backends sections: a plugin name that is no loaded backend (with the
// nearest name when it looks like a typo; a section for a plugin that is simply not loaded here is
// reported only with `report_absent`, as `config validate` does), an option the plugin does not
// declare (with the nearest), a value it does not take.
std::vector<config_diagnostic> check_backend_settings(const std::map<std::string, backend_section>& backends, const plugin_host& host,
                                                      bool report_absent = false);

// "cpu.threads=4" (the --backend-option flag) into `backends`. Throws std::invalid_argument.
void add_backend_option(std::map<std::string, backend_section>& backends, std::string_view assignment);

// Every backend option as set_option takes it: plugin -> key -> value.
std::map<std::string, std::map<std::string, std::string>> backend_option_values(const std::map<std::string, backend_section>& backends);

// Sets `key` to `value` for every loaded backend that declares an option of that name (-t sets
// threads this way), over what the sections say.
void set_where_declared(std::map<std::string, backend_section>& backends, const plugin_host& host, const std::string& key,
                        const std::string& value);

}  // namespace plinth
