// plinth show NAME: where a stored model came from, then what `plinth inspect` says about it.
#include "cli_common.hpp"

#include <store/model_store.hpp>
#include <store/progress_bar.hpp>

#include <spdlog/fmt/fmt.h>

#include <iostream>

namespace plinth::cli {

int run_inspect(const std::vector<std::string>& args);

int run_show(const std::vector<std::string>& args) {
    std::vector<std::string> passed_on;  // --config and --log-level, for inspect
    const int status = guarded("show", [&] {
        common_options common;
        std::string name;
        po::options_description options("options");
        options.add_options()("model", po::value(&name)->value_name("NAME"), "the model's store name (the first positional argument)");
        add_common_options(options, common);
        po::positional_options_description positional;
        positional.add("model", 1);
        if (!parse_arguments("show", "NAME [options]", args, options, positional, common)) return -1;
        if (name.empty()) throw po::error("no model given: pass a store NAME (see `plinth ls`)");
        const store::model_store models(store::default_root(load_config_and_logging(common)));
        const auto m = models.find(name);
        if (!m) throw std::runtime_error("no model named '" + name + "' in the store (" + models.root().string() + "); `plinth ls` lists them");
        fmt::print("name:           {}\n", m->name());
        fmt::print("source:         {}/{} (revision {})\n", m->endpoint, m->repo, m->revision);
        fmt::print("pulled:         {}\n", m->pulled_at);
        fmt::print("size:           {}\n", store::format_size(m->size()));
        for (const auto& f : m->files) fmt::print("part:           {} sha256 {}\n", f.path, f.sha256.empty() ? "-" : f.sha256);
        passed_on = {m->path().string()};
        if (!common.config_file.empty()) passed_on.insert(passed_on.end(), {"--config", common.config_file});
        if (!common.log_level.empty()) passed_on.insert(passed_on.end(), {"--log-level", common.log_level});
        return 0;
    });
    if (status == -1) return 0;  // --help
    if (status != 0) return status;
    std::cout << std::flush;
    return run_inspect(passed_on);
}

}  // namespace plinth::cli
