// plinth conformance: certifies a backend plugin. Every op of compute.h runs on each of the
// plugin's devices and on the host-memory reference device (found by capability: the CPU plugin in
// an installed plinth), and a per-op table says what passed, what the plugin refuses and what it
// got wrong. Exit 1 on any wrong answer. `--plugin FILE` takes a plugin built out of tree; without
// it, every loaded backend (or --backend NAME) is certified.
#include "cli_common.hpp"

#include <backend_conformance.hpp>
#include <conformance_table.hpp>

#include <plinth/backend_options.hpp>
#include <plinth/error.hpp>

#include <spdlog/fmt/fmt.h>

#include <filesystem>

namespace plinth::cli {

namespace {

// The backend the --plugin file loaded as; throws with the host's reason when it did not load.
const loaded_plugin& plugin_from_file(const plugin_host& host, const std::string& file) {
    std::error_code ec;
    for (const auto& r : host.records()) {
        if (!std::filesystem::equivalent(r.path, file, ec)) continue;
        if (r.status != plugin_status::loaded) throw error("the plugin " + file + " did not load: " + r.reason);
        if (r.kind != PLINTH_PLUGIN_BACKEND)
            throw error("the plugin " + file + " is a " + plugin_kind_name(r.kind) + " plugin; the conformance kit certifies backends");
        if (const auto* b = host.find(PLINTH_PLUGIN_BACKEND, r.name)) return *b;
    }
    throw error("the plugin " + file + " did not load (see `plinth plugins`)");
}

std::string describe_device(const loaded_plugin& b, uint32_t device) {
    plinth_device_info info{};
    info.struct_size = sizeof(info);
    plinth_message err{};
    const std::string id = b.name + ":" + std::to_string(device);
    if (b.backend->device_info(device, &info, &err) != PLINTH_OK) return id;
    info.name[sizeof(info.name) - 1] = '\0';
    return id + " (" + info.name + ")";
}

}  // namespace

int run_conformance(const std::vector<std::string>& args) {
    return guarded("conformance", [&] {
        common_options common;
        std::string plugin_file, backend_name, op;
        std::vector<unsigned> devices;
        std::vector<std::string> assignments;
        bool verbose = false;
        po::options_description options("options");
        options.add_options()
            ("plugin", po::value(&plugin_file)->value_name("FILE"), "the backend plugin file to certify (built anywhere)")
            ("backend", po::value(&backend_name)->value_name("NAME"), "certify this loaded backend (default: every loaded backend)")
            ("device", po::value(&devices)->value_name("INDEX")->composing(), "only this device of the plugin (repeatable; default: all)")
            ("op", po::value(&op)->value_name("OP"), "only this op's cases (MATMUL, ATTENTION, ..., GRAPH)")
            ("backend-option", po::value(&assignments)->value_name("PLUGIN.KEY=VALUE")->composing(),
             "set a backend plugin's option first (repeatable; the config's backends sections apply too)")
            ("verbose,v", po::bool_switch(&verbose), "also list every refused case with the plugin's reason");
        add_common_options(options, common);
        if (!parse_arguments("conformance", "[--plugin FILE | --backend NAME] [--device INDEX] [--op OP] [options]", args, options, {},
                             common))
            return 0;
        if (!plugin_file.empty() && !backend_name.empty()) throw po::error("--plugin and --backend both say what to certify: pass one");
        if (!op.empty() && std::find(conformance::groups().begin(), conformance::groups().end(), op) == conformance::groups().end()) {
            std::string known;
            for (const auto& g : conformance::groups()) known += (known.empty() ? "" : ", ") + g;
            throw po::error("--op " + op + " is not an op group of the suite (" + known + ")");
        }
        if (!plugin_file.empty() && !std::filesystem::is_regular_file(plugin_file))
            throw po::error("--plugin " + plugin_file + ": no such file");

        auto s = open_session(common, plugin_file.empty() ? std::vector<std::string>{} : std::vector<std::string>{plugin_file});
        const plugin_host& host = s->host;

        std::vector<const loaded_plugin*> targets;
        if (!plugin_file.empty()) targets.push_back(&plugin_from_file(host, plugin_file));
        else if (!backend_name.empty()) {
            const auto* b = host.find(PLINTH_PLUGIN_BACKEND, backend_name);
            if (!b) throw error("no backend plugin named '" + backend_name + "' is loaded (see `plinth plugins`)");
            targets.push_back(b);
        } else {
            targets = host.backends();
        }

        const auto reference_id = host.host_memory_device();
        if (!reference_id)
            throw error("no loaded backend computes in host memory to serve as the reference (plinth's CPU plugin does: see `plinth plugins`)");
        const loaded_plugin* reference = host.find(PLINTH_PLUGIN_BACKEND, reference_id->substr(0, reference_id->find(':')));

        // The options: the config's backends sections, then --backend-option, checked against what
        // each plugin declares, then set.
        auto backends = s->config.backends;
        for (const auto& a : assignments) {
            try {
                add_backend_option(backends, a);
            } catch (const std::invalid_argument& e) {
                throw po::error(std::string("--backend-option: ") + e.what());
            }
        }
        if (auto problems = check_backend_settings(backends, host, true); !problems.empty()) throw config_error(std::move(problems));
        apply_backend_options(host, backends);

        bool failed = false;
        for (const auto* b : targets) {
            const uint32_t count = b->backend->device_count();
            std::vector<uint32_t> chosen;
            for (unsigned d : devices) {
                if (d >= count) throw error("--device " + std::to_string(d) + ": the " + b->name + " backend has " + std::to_string(count) + " device(s)");
                chosen.push_back(d);
            }
            if (devices.empty())
                for (uint32_t d = 0; d < count; ++d) chosen.push_back(d);
            if (count == 0) {
                fmt::print("{}: the plugin lists no device here; nothing to certify\n\n", b->name);
                if (!plugin_file.empty()) failed = true;
                continue;
            }
            for (uint32_t d : chosen) {
                fmt::print("{}: plugin {} {} (ABI 1.{}); reference {}{}\n", describe_device(*b, d), b->name, b->descriptor->version ? b->descriptor->version : "",
                           b->abi_minor, *reference_id, b == reference && d == 0 ? " (itself: a check of the kit)" : "");
                const auto report = conformance::run(*b, d, *reference, op);
                fmt::print("{}\n", conformance::render_table(report, verbose));
                if (report.count(conformance::outcome::failed)) failed = true;
            }
        }
        return failed ? 1 : 0;
    });
}

}  // namespace plinth::cli
