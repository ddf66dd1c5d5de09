#include "cli_common.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>

#include <plinth/backend_options.hpp>
#include <plinth/error.hpp>
#include <plinth/logging.hpp>

#include <store/model_store.hpp>

#include <iostream>

namespace boost {

namespace {

// Decimal digits only, within T's range.
template <class T>
void validate_unsigned(boost::any& v, const std::vector<std::string>& values) {
    namespace po = boost::program_options;
    po::validators::check_first_occurrence(v);
    const std::string& s = po::validators::get_single_string(values);
    T value{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || s.front() == '-' || s.front() == '+' || ec != std::errc() || end != s.data() + s.size())
    {
        po::error_with_option_name e("the argument '%value%' for option '%canonical_option%' must be a whole number from 0 to " +
                                     std::to_string(std::numeric_limits<T>::max()));
        e.set_substitute("value", s);
        throw e;
    }
    v = boost::any(value);
}

}  // namespace

void validate(boost::any& v, const std::vector<std::string>& values, unsigned short*, int) { validate_unsigned<unsigned short>(v, values); }
void validate(boost::any& v, const std::vector<std::string>& values, unsigned int*, int) { validate_unsigned<unsigned int>(v, values); }
void validate(boost::any& v, const std::vector<std::string>& values, unsigned long*, int) { validate_unsigned<unsigned long>(v, values); }

}  // namespace boost

namespace plinth::cli {

void add_common_options(po::options_description& options, common_options& common) {
    options.add_options()
        ("config", po::value(&common.config_file)->value_name("FILE"), "deployment YAML file")
        ("log-level", po::value(&common.log_level)->value_name("LEVEL"), ("trace|debug|info|warn|error|off (default: config's log.level, else " + common.default_log_level + ")").c_str())
        ("help,h", po::bool_switch(&common.help), "show this help");
}

bool parse_arguments(const std::string& verb_name, const std::string& usage, const std::vector<std::string>& args,
                     po::options_description& options, const po::positional_options_description& positional,
                     const common_options& common) {
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    if (vm["help"].as<bool>()) {
        std::cout << "usage: plinth " << verb_name << " " << usage << "\n\n" << options << "\n";
        return false;
    }
    po::notify(vm);
    return true;
}

plinth::config load_config_and_logging(const common_options& common) {
    // Log at warn until the config says otherwise, so a broken config is still reported.
    init_logging(common.log_level.empty() ? "warn" : common.log_level);
    plinth::config config = common.config_file.empty() ? plinth::config{} : load_config_file(common.config_file);
    // Precedence: flag > file > default (warn: quiet enough for pipelines).
    if (!common.log_level.empty()) config.log.level = common.log_level;
    else if (!config.is_set_by_file("log.level")) config.log.level = common.default_log_level;
    init_logging(config.log.level);
    return config;
}

std::unique_ptr<session> open_session(const common_options& common, const std::vector<std::string>& plugin_files) {
    auto s = std::make_unique<session>();
    s->config = load_config_and_logging(common);
    plugin_search search;
    for (const auto& f : plugin_files) search.files.emplace_back(f);
    for (const auto& p : s->config.plugins.paths) search.folders.emplace_back(p);
    search.enable = s->config.plugins.enable;
    search.disable = s->config.plugins.disable;
    s->host.load(search);
    for (const auto& problem : plugin_setting_problems(s->config, s->host)) throw error(problem);
    if (auto problems = check_backend_settings(s->config.backends, s->host); !problems.empty()) throw config_error(std::move(problems));
    // The config's backend options apply from the start, so that what `plinth devices` or
    // `plinth conformance` shows is the backend as configured (an engine sets them again, with
    // the command line's over them).
    apply_backend_options(s->host, s->config.backends);
    return s;
}

void apply_backend_options(const plugin_host& host, const std::map<std::string, backend_section>& backends) {
    for (const auto& [plugin, keys] : backend_option_values(backends)) {
        const auto* b = host.find(PLINTH_PLUGIN_BACKEND, plugin);
        if (!b || !b->backend->set_option) continue;  // a section for a plugin not loaded here
        for (const auto& [key, value] : keys) {
            plinth_message err{};
            if (b->backend->set_option(key.c_str(), value.c_str(), &err) != PLINTH_OK)
                throw error("backend '" + plugin + "' refused " + key + "=" + value + ": " + err.text);
        }
    }
}

std::vector<std::string> plugin_setting_problems(const plinth::config& config, const plugin_host& host) {
    std::vector<std::string> problems;
    const std::string where = config.source_file.empty() ? "" : config.source_file + ": ";
    for (const auto& folder : config.plugins.paths)
        if (!std::filesystem::is_directory(folder))
            problems.push_back(where + "plugins.paths: the folder " + folder + " does not exist");
    std::string found;
    for (const auto& r : host.records())
        if (!r.name.empty() && found.find(" " + r.name + ",") == std::string::npos) found += " " + r.name + ",";
    if (!found.empty()) found.pop_back();
    for (const auto& name : config.plugins.enable) {
        const bool known = std::any_of(host.records().begin(), host.records().end(), [&](const plugin_record& r) { return r.name == name; });
        if (!known)
            problems.push_back(where + "plugins.enable names '" + name + "', but no plugin of that name was found (found:" +
                               (found.empty() ? " none" : found) + ")");
    }
    return problems;
}

std::filesystem::path output_path(const std::string& out, bool force) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status link = fs::symlink_status(out, ec);
    if (ec || !fs::exists(link)) return out;  // a new file
    if (fs::is_symlink(link)) {
        if (!force) throw po::error(out + " is a symbolic link; pass --force to write the file it points to");
        const fs::path target = fs::weakly_canonical(out, ec);
        if (ec) throw po::error("cannot follow the link " + out + ": " + ec.message());
        return output_path(target.string(), true);
    }
    if (!fs::is_regular_file(link))
        throw po::error(out + " exists and is not a regular file (a device, a pipe or a folder); refusing to replace it");
    if (!force) throw po::error(out + " exists; pass --force to replace it");
    return out;
}

namespace {
volatile std::sig_atomic_t interrupt_flag = 0;
extern "C" void on_interrupt(int) { interrupt_flag = 1; }
}  // namespace

void catch_interrupts() {
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
}

void check_interrupted() {
    if (interrupt_flag) throw interrupted();
}

bool interrupt_requested() { return interrupt_flag != 0; }

std::string resolve_model_argument(const plinth::config& config, const std::string& model) {
    if (model.empty()) return config.model.store.empty() ? config.model.path : store::resolve_model(config.model.store, store::default_root(config)).string();
    std::error_code ec;
    if (std::filesystem::exists(model, ec)) return model;  // before default_root, which may need HOME
    return store::resolve_model(model, store::default_root(config)).string();
}

int guarded(const std::string& verb_name, const std::function<int()>& body) {
    try {
        const int status = body();
        // Results that could not be written (a full disk, a closed pipe) are a failure, not exit 0.
        std::cout.flush();
        if (!std::cout || std::fflush(stdout) != 0 || std::ferror(stdout))
            throw std::runtime_error(std::string("cannot write the results to standard output: ") + std::strerror(errno));
        return status;
    } catch (const interrupted& e) {
        std::cerr << "plinth " << verb_name << ": " << e.what() << "\n";
        return 130;
    } catch (const po::error& e) {
        std::cerr << "plinth " << verb_name << ": " << e.what() << " (see `plinth help " << verb_name << "`)\n";
    } catch (const config_error& e) {
        std::cerr << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "plinth " << verb_name << ": " << e.what() << "\n";
    }
    return 1;
}

}  // namespace plinth::cli
