// plinth config validate FILE...: check deployment files without running anything.
#include "cli_common.hpp"

#include <plinth/backend_options.hpp>

#include <store/model_store.hpp>

#include <filesystem>

#include <iostream>

namespace plinth::cli {
namespace {

// "file:line:column: ", the prefix of a problem found at `where`.
std::string at(const source_location& where) {
    return where.file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) + ": ";
}

// Beyond the file's own rules: what it names must exist here (the model file, plugin folders and
// names, the placement's devices), checked with the plugins the file itself would load.
std::vector<std::string> what_is_missing(const plinth::config& cfg) {
    std::vector<std::string> problems;
    const std::string where = cfg.source_file + ": ";
    if (!cfg.model.path.empty() && !std::filesystem::is_regular_file(cfg.model.path))
        problems.push_back(where + "model.path: " + cfg.model.path + " is not a file");
    // A store name must be in this machine's store (plinth pull puts it there).
    const auto check_store = [&](const std::string& name, const std::string& at) {
        try {
            store::resolve_model(name, store::default_root(cfg));
        } catch (const std::exception&) {
            problems.push_back(at + name + " is not in the model store here (" + store::default_root(cfg).string() + "): `plinth pull " +
                               name + "` fetches it");
        }
    };
    if (!cfg.model.store.empty()) check_store(cfg.model.store, where + "model.store: ");
    for (const auto& m : cfg.models)
        if (m.from_store)
            check_store(m.path, at(m.where) + "model '" + m.name + "': ");
    for (const auto& m : cfg.models)
        if (!m.from_store && !std::filesystem::is_regular_file(m.path))
            problems.push_back(at(m.where) + "model '" +
                               m.name + "': " + m.path + " is not a file");
    plugin_host host;
    plugin_search search;
    for (const auto& p : cfg.plugins.paths) search.folders.emplace_back(p);
    search.enable = cfg.plugins.enable;
    search.disable = cfg.plugins.disable;
    host.load(search);
    for (auto& p : plugin_setting_problems(cfg, host)) problems.push_back(std::move(p));
    for (const auto& d : check_backend_settings(cfg.backends, host, true)) problems.push_back(d.str());
    const auto check_device = [&](const device_id& id, const std::string& at) {
        const loaded_plugin* backend = host.find(PLINTH_PLUGIN_BACKEND, id.backend);
        if (backend == nullptr)
            problems.push_back(at + "device " + id.str() + ": no '" + id.backend + "' backend plugin is loaded here (see `plinth plugins`)");
        else if (id.index >= backend->backend->device_count())
            problems.push_back(at + "device " + id.str() + " does not exist here: the " + id.backend + " backend has " +
                               std::to_string(backend->backend->device_count()) + " device(s)");
    };
    for (const auto& rule : cfg.placement.rules)
        check_device(rule.device, rule.where.line ? at(rule.where) : where);
    for (const auto& [device, bytes] : cfg.placement.budget) check_device(parse_device_id(device), where + "placement.budget: ");
    for (const auto& m : cfg.models)
        if (m.placement)
            for (const auto& rule : m.placement->rules)
                check_device(rule.device, at(rule.where));
    return problems;
}

}  // namespace

int run_config(const std::vector<std::string>& args) {
    return guarded("config", [&] {
        common_options common;
        std::string action;
        std::vector<std::string> files;
        po::options_description options("options");
        options.add_options()
            ("action", po::value(&action)->value_name("ACTION"), "validate")
            ("files", po::value(&files)->multitoken(), "files to check");
        add_common_options(options, common);
        po::positional_options_description positional;
        positional.add("action", 1).add("files", -1);
        if (!parse_arguments("config", "validate FILE... [options]", args, options, positional, common)) return 0;
        if (action != "validate") throw po::error(action.empty() ? "missing action (validate)" : "unknown action '" + action + "' (expected validate)");
        if (files.empty()) throw po::error("config validate needs at least one FILE");
        load_config_and_logging(common);  // quiet (warn) unless --log-level says otherwise

        bool all_ok = true;
        for (const auto& file : files) {
            try {
                for (const auto& problem : what_is_missing(load_config_file(file))) {
                    std::cerr << problem << "\n";
                    all_ok = false;
                }
            } catch (const config_error& e) {
                std::cerr << e.what() << "\n";
                all_ok = false;
            }
        }
        if (all_ok) std::cout << "ok\n";
        return all_ok ? 0 : 1;
    });
}

}  // namespace plinth::cli
