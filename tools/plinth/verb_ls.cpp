// plinth ls: the models in the local store, with their size, quantization, architecture and
// context length (read from each file as `plinth inspect` reads it).
#include "cli_common.hpp"

#include <plinth/model_file.hpp>
#include <plinth/model_summary.hpp>
#include <store/model_store.hpp>
#include <store/progress_bar.hpp>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <iostream>

namespace plinth::cli {

int run_ls(const std::vector<std::string>& args) {
    return guarded("ls", [&] {
        common_options common;
        po::options_description options("options");
        add_common_options(options, common);
        if (!parse_arguments("ls", "[options]", args, options, {}, common)) return 0;
        auto s = open_session(common);
        const store::model_store models(store::default_root(s->config));
        const auto list = models.list();
        if (list.empty()) {
            std::cerr << "no models in " << models.root().string() << " (`plinth pull OWNER/REPO[:QUANT]` fetches one)\n";
            return 0;
        }
        fmt::print("{:<50} {:>10} {:<8} {:<12} {:>8}\n", "NAME", "SIZE", "QUANT", "ARCH", "CONTEXT");
        for (const auto& m : list) {
            std::string quant = "-", arch = "-", context = "-";
            try {
                const auto summary = summarize(*model_file::open(s->host, m.path()));
                if (!summary.file_type.empty()) quant = summary.file_type;
                if (!summary.architecture.empty()) arch = summary.architecture;
                if (summary.context_length) context = std::to_string(*summary.context_length);
            } catch (const std::exception& e) {
                spdlog::warn("{}: {}", m.name(), e.what());  // a damaged file still lists, with dashes
            }
            fmt::print("{:<50} {:>10} {:<8} {:<12} {:>8}\n", m.name(), store::format_size(m.size()), quant, arch, context);
        }
        return 0;
    });
}

}  // namespace plinth::cli
