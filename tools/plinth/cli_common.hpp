#pragma once
// What every verb shares: the common options, the session (config + plugin host), error handling.
#include <plinth/config.hpp>
#include <plinth/plugin_host.hpp>

#include <boost/program_options.hpp>

namespace boost {
// Boost.Program_options reads "-5" into an unsigned option as 4294967291 (its lexical_cast wraps
// around). Every unsigned option of the CLI goes through these instead (found by argument-dependent
// lookup through boost::any): decimal digits only, in range, else "invalid option value".
void validate(boost::any& v, const std::vector<std::string>& values, unsigned short*, int);
void validate(boost::any& v, const std::vector<std::string>& values, unsigned int*, int);
void validate(boost::any& v, const std::vector<std::string>& values, unsigned long*, int);
}  // namespace boost

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace plinth::cli {

namespace po = boost::program_options;

struct common_options {
    std::string config_file;
    std::string log_level;  // empty: the config's, else default_log_level
    std::string default_log_level = "warn";  // quiet enough for pipelines; a server logs its requests
    bool help = false;
};

struct verb {
    const char* name;
    const char* summary;
    int (*run)(const std::vector<std::string>& args);
};
const std::vector<verb>& verbs();

// Adds --config, --log-level and --help.
void add_common_options(po::options_description& options, common_options& common);

// Parses `args` against `options` (+ positionals). Returns false when --help was given (usage
// printed to stdout); throws po::error on bad arguments.
bool parse_arguments(const std::string& verb_name, const std::string& usage, const std::vector<std::string>& args,
                     po::options_description& options, const po::positional_options_description& positional,
                     const common_options& common);

// The config (from --config, or defaults) with logging set up and every plugin loaded.
struct session {
    plinth::config config;
    plinth::plugin_host host;
};
// `plugin_files`: plugin files loaded before the plugin folders, winning over a plugin of the same
// name there (`plinth conformance --plugin`).
std::unique_ptr<session> open_session(const common_options& common, const std::vector<std::string>& plugin_files = {});
// Hands every option of `backends` to its loaded plugin (set_option); a section for a plugin not
// loaded here is skipped. Throws plinth::error with the plugin's reason when it refuses a value.
void apply_backend_options(const plugin_host& host, const std::map<std::string, backend_section>& backends);
// What the config's plugin settings ask for that is not there: a plugins.paths folder that does
// not exist, a plugins.enable name no plugin has. open_session refuses them.
std::vector<std::string> plugin_setting_problems(const plinth::config& config, const plugin_host& host);
// Config and logging only, for verbs that need no plugins.
plinth::config load_config_and_logging(const common_options& common);

// Where a verb that writes OUT may write, after refusing what must not be replaced: anything that
// is not a regular file (a device such as /dev/null or /dev/full, a FIFO, a folder, a socket), and
// an existing file or a symbolic link unless `force` (then a link's target is written). The file
// itself is written beside its final path and moved over it only when complete.
std::filesystem::path output_path(const std::string& out, bool force);

// The model file a verb's MODEL argument (-m) names: an existing path as given, else a model of the
// store (docs/models.md); an empty argument means the config's model.path or model.store. Every verb that reads
// a model goes through here. Throws std::runtime_error naming both possibilities.
std::string resolve_model_argument(const plinth::config& config, const std::string& model);

// Ctrl-C or SIGTERM while a verb writes a file: the handler only raises a flag; long loops call
// check_interrupted(), which throws `interrupted`, so the writer discards its partial file and the
// verb exits 130.
void catch_interrupts();
void check_interrupted();
bool interrupt_requested();  // the same flag, for code that stops by itself (a download)
struct interrupted : std::runtime_error {
    interrupted() : std::runtime_error("interrupted; nothing was written") {}
};

// Runs a verb body, turning every failure into one line on stderr and exit status 1 (130 when
// interrupted).
int guarded(const std::string& verb_name, const std::function<int()>& body);

}  // namespace plinth::cli
