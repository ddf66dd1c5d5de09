// Registers the backend conformance suite for every backend the host loads: the CPU against itself
// (the same code path, a check of the harness), and every device of the vulkan plugin. When the
// vulkan plugin is missing or lists no device, its cases are not registered and a message says
// why. Each (backend device, op group) is one test case; skipped (unsupported) cases are printed.
#include <catch2/catch.hpp>

#include "backend_conformance.hpp"

#include <plinth/plugin_host.hpp>

#include <cstdio>
#include <iostream>
#include <string>

namespace {

plinth::plugin_host& host() {
    static plinth::plugin_host h;
    static const bool loaded = [] {
        plinth::plugin_search s;
        s.use_environment = false;
        h.load(s);
        return true;
    }();
    (void)loaded;
    return h;
}

// A backend option a group runs under (set before, reset after), e.g. Vulkan's staging=always.
struct option {
    const char* key = nullptr;
    const char* value = nullptr;
    const char* reset = nullptr;
};

void run_group(const std::string& backend_name, uint32_t device, const std::string& group, option opt) {
    const plinth::loaded_plugin* backend = host().find(PLINTH_PLUGIN_BACKEND, backend_name);
    const plinth::loaded_plugin* reference = host().find(PLINTH_PLUGIN_BACKEND, "cpu");
    REQUIRE(backend != nullptr);
    REQUIRE(reference != nullptr);
    plinth_message err{};
    if (opt.key) REQUIRE(backend->backend->set_option(opt.key, opt.value, &err) == PLINTH_OK);
    const auto r = plinth::conformance::run(*backend, device, *reference, group);
    if (opt.key) backend->backend->set_option(opt.key, opt.reset, &err);

    const std::string where = backend_name + ":" + std::to_string(device) +
                              (opt.key ? std::string(" (") + opt.key + " " + opt.value + ")" : "");
    std::cout << "conformance " << where << " " << group << ": " << r.count(plinth::conformance::outcome::passed)
              << " passed, " << r.count(plinth::conformance::outcome::failed) << " failed, "
              << r.count(plinth::conformance::outcome::skipped) << " skipped\n";
    for (const auto* c : r.with(plinth::conformance::outcome::skipped))
        std::cout << "  skipped (" << c->detail << "): " << c->name << "\n";
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
        : backend(std::move(b)), device(d), group(std::move(g)), opt(o) {}
    void invoke() const override { run_group(backend, device, group, opt); }
};

void add(const std::string& backend, uint32_t device, const std::string& group, option opt = {}) {
    const std::string name = "conformance " + backend + ":" + std::to_string(device) + " " + group +
                             (opt.key ? std::string(" ") + opt.key + "=" + opt.value : "");
    const std::string tags = "[conformance][" + backend + "]";
    Catch::getMutableRegistryHub().registerTest(Catch::makeTestCase(
        new invoker(backend, device, group, opt), "", Catch::NameAndTags(name, tags), Catch::SourceLineInfo(__FILE__, __LINE__)));
}

// Static registration: the devices are known only once the plugins are loaded.
struct registrar {
    registrar() {
        try {
            if (host().find(PLINTH_PLUGIN_BACKEND, "cpu"))
                for (const auto& g : plinth::conformance::groups()) add("cpu", 0, g);
            const plinth::loaded_plugin* vk = host().find(PLINTH_PLUGIN_BACKEND, "vulkan");
            if (!vk) {
                std::string why = "the vulkan plugin was not built";
                for (const auto& rec : host().records())
                    if (rec.path.filename().string().find("vulkan") != std::string::npos)
                        why = "the vulkan plugin was refused: " + rec.reason;
                std::fprintf(stderr, "conformance: Vulkan cases skipped (%s)\n", why.c_str());
                return;
            }
            const uint32_t n = vk->backend->device_count();
            if (n == 0) {
                std::fprintf(stderr, "conformance: Vulkan cases skipped (no Vulkan device)\n");
                return;
            }
            for (uint32_t d = 0; d < n; ++d) {
                for (const auto& g : plinth::conformance::groups()) add("vulkan", d, g);
                for (const char* g : {"GRAPH", "KV_STORE", "COPY"}) add("vulkan", d, g, {"staging", "always", "auto"});
                // The shaders built without doubles, which devices without shaderFloat64 run.
                for (const char* g : {"MATMUL", "ATTENTION", "ROPE", "SWIGLU", "GEGLU", "SOFTCAP", "MOE", "GRAPH"})
                    add("vulkan", d, g, {"float64", "off", "auto"});
            }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "conformance: registering the cases failed: %s\n", e.what());
        }
    }
} const the_registrar;

}  // namespace
