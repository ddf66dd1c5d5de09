// plinth rm NAME: delete a model (all its files and its record) from the local store.
#include "cli_common.hpp"

#include <store/model_store.hpp>

#include <iostream>

namespace plinth::cli {

int run_rm(const std::vector<std::string>& args) {
    return guarded("rm", [&] {
        common_options common;
        std::string name;
        po::options_description options("options");
        options.add_options()("model", po::value(&name)->value_name("NAME"), "the model's store name (the first positional argument)");
        add_common_options(options, common);
        po::positional_options_description positional;
        positional.add("model", 1);
        if (!parse_arguments("rm", "NAME [options]", args, options, positional, common)) return 0;
        if (name.empty()) throw po::error("no model given: pass a store NAME (see `plinth ls`)");
        const store::model_store models(store::default_root(load_config_and_logging(common)));
        const auto model = models.find(name);
        if (!model) throw std::runtime_error("no model named '" + name + "' in the store (" + models.root().string() + "); `plinth ls` lists them");
        models.remove(*model);
        std::cout << "removed " << model->name() << "\n";
        return 0;
    });
}

}  // namespace plinth::cli
