// Registers the backend conformance suite for every device of every backend the host loads, held
// to the reference: the backend whose device works in host memory (found by what it can do, not by
// name; the CPU plugin here), which also runs against itself as a check of the harness. Each
// (backend device, op group) is one test case, and again under every choice each backend declares
// for its options (ABI 1.2), e.g. a staging path or shaders without doubles; refused cases are
// printed. The same kit `plinth conformance` runs. No backend is named here.
#include <catch2/catch.hpp>

#include "backend_conformance.hpp"
#include "conformance_table.hpp"
#include "test_host.hpp"

#include <plinth/backend_options.hpp>
#include <plinth/plugin_host.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

const plinth::plugin_host& host() { return plinth::test::built_plugins(); }

// The reference: the backend of the host-memory device (tests/support/test_host.hpp).
const plinth::loaded_plugin* reference_backend() {
    const std::string device = plinth::test::host_memory_device();
    return device.empty() ? nullptr : host().find(PLINTH_PLUGIN_BACKEND, device.substr(0, device.find(':')));
}

// A backend option a group runs under (set before, reset after), e.g. staging=always.
struct option {
    std::string key, value, reset;
};

void run_group(const std::string& backend_name, uint32_t device, const std::string& group, const option& opt) {
    const plinth::loaded_plugin* backend = host().find(PLINTH_PLUGIN_BACKEND, backend_name);
    const plinth::loaded_plugin* reference = reference_backend();
    REQUIRE(backend != nullptr);
    REQUIRE(reference != nullptr);
    plinth_message err{};
    if (!opt.key.empty()) REQUIRE(backend->backend->set_option(opt.key.c_str(), opt.value.c_str(), &err) == PLINTH_OK);
    const auto r = plinth::conformance::run(*backend, device, *reference, group);
    if (!opt.key.empty()) backend->backend->set_option(opt.key.c_str(), opt.reset.c_str(), &err);

    const std::string where = backend_name + ":" + std::to_string(device) + (opt.key.empty() ? "" : " (" + opt.key + " " + opt.value + ")");
    std::cout << "conformance " << where << " " << group << ":\n" << plinth::conformance::render_table(r, true);
    for (const auto* c : r.with(plinth::conformance::outcome::failed)) {
        INFO(where << " " << c->name << ": " << c->detail);
        CHECK(false);
    }
    CHECK(!r.cases.empty());
}

struct invoker : Catch::ITestInvoker {
    std::string backend;
    uint32_t device;
    std::string group;
    option opt;
    invoker(std::string b, uint32_t d, std::string g, option o)
        : backend(std::move(b)), device(d), group(std::move(g)), opt(std::move(o)) {}
    void invoke() const override { run_group(backend, device, group, opt); }
};

void add(const std::string& backend, uint32_t device, const std::string& group, const option& opt = {}) {
    const std::string name = "conformance " + backend + ":" + std::to_string(device) + " " + group +
                             (opt.key.empty() ? "" : " " + opt.key + "=" + opt.value);
    const std::string tags = "[conformance][" + backend + "]";
    Catch::getMutableRegistryHub().registerTest(Catch::makeTestCase(
        new invoker(backend, device, group, opt), "", Catch::NameAndTags(name, tags), Catch::SourceLineInfo(__FILE__, __LINE__)));
}

// The choices a backend declares beyond its first (the default), each one it accepts here. Not for
// the reference backend: its options would change the reference too.
std::vector<option> option_variants(const plinth::loaded_plugin& b) {
    std::vector<option> out;
    for (const auto& d : plinth::declared_options(b)) {
        if (!d.is_choice || d.choices.size() < 2) continue;
        for (size_t i = 1; i < d.choices.size(); ++i) {
            plinth_message err{};
            if (b.backend->set_option(d.name.c_str(), d.choices[i].c_str(), &err) != PLINTH_OK) {
                std::fprintf(stderr, "conformance: %s %s=%s skipped (%s)\n", b.name.c_str(), d.name.c_str(), d.choices[i].c_str(), err.text);
                continue;
            }
            b.backend->set_option(d.name.c_str(), d.choices[0].c_str(), &err);
            out.push_back({d.name, d.choices[i], d.choices[0]});
        }
    }
    return out;
}

// Static registration: the devices are known only once the plugins are loaded.
struct registrar {
    registrar() {
        try {
            const plinth::loaded_plugin* reference = reference_backend();
            if (!reference) {
                std::fprintf(stderr, "conformance: no backend works in host memory to serve as the reference; nothing registered\n");
                return;
            }
            for (const auto* b : host().backends()) {
                const uint32_t n = b->backend->device_count();
                if (n == 0) std::fprintf(stderr, "conformance: %s cases skipped (it lists no device here)\n", b->name.c_str());
                const auto variants = b == reference ? std::vector<option>{} : option_variants(*b);
                for (uint32_t d = 0; d < n; ++d) {
                    for (const auto& g : plinth::conformance::groups()) add(b->name, d, g);
                    for (const auto& v : variants)
                        for (const auto& g : plinth::conformance::groups()) add(b->name, d, g, v);
                }
            }
            for (const auto& rec : host().records())
                if (rec.status != plinth::plugin_status::loaded && rec.kind != PLINTH_PLUGIN_FORMAT)
                    std::fprintf(stderr, "conformance: %s not tested (%s)\n", rec.path.filename().c_str(), rec.reason.c_str());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "conformance: registering the cases failed: %s\n", e.what());
        }
    }
} const the_registrar;

}  // namespace
