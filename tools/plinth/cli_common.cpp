#include "cli_common.hpp"

#include <plinth/error.hpp>
#include <plinth/logging.hpp>

#include <iostream>

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

std::unique_ptr<session> open_session(const common_options& common) {
    auto s = std::make_unique<session>();
    s->config = load_config_and_logging(common);
    plugin_search search;
    for (const auto& p : s->config.plugins.paths) search.folders.emplace_back(p);
    search.enable = s->config.plugins.enable;
    search.disable = s->config.plugins.disable;
    s->host.load(search);
    return s;
}

int guarded(const std::string& verb_name, const std::function<int()>& body) {
    try {
        return body();
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
