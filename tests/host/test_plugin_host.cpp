// The plugin host against a folder of good, broken and foreign plugin files.
#include <catch2/catch.hpp>

#include <plinth/plugin_host.hpp>

#include <algorithm>
#include <cstring>
#include <vector>

using namespace plinth;

namespace {

plugin_search test_search() {
    plugin_search s;
    s.folders = {PLINTH_TEST_PLUGIN_FOLDER};
    s.use_environment = false;
    return s;
}

const plugin_record& record_for(const plugin_host& host, const std::string& file_name) {
    const auto& records = host.records();
    auto it = std::find_if(records.begin(), records.end(),
                           [&](const plugin_record& r) { return r.path.filename() == file_name; });
    REQUIRE(it != records.end());
    return *it;
}

}  // namespace

TEST_CASE("the host loads the real plugins and refuses each broken file with its reason", "[host]") {
    plugin_host host;
    host.load(test_search());

    CHECK(record_for(host, "plinth-cpu.so").status == plugin_status::loaded);
    CHECK(record_for(host, "plinth-gguf.so").status == plugin_status::loaded);
    CHECK(record_for(host, "plinth-cpu.so").kind == PLINTH_PLUGIN_BACKEND);
    CHECK(record_for(host, "plinth-gguf.so").kind == PLINTH_PLUGIN_FORMAT);

    const auto& not_plugin = record_for(host, "test-not-a-plugin.so");
    CHECK(not_plugin.status == plugin_status::refused);
    CHECK_THAT(not_plugin.reason, Catch::Contains("no 'plinth_plugin_entry' symbol"));

    const auto& garbage = record_for(host, "test-garbage.so");
    CHECK(garbage.status == plugin_status::refused);
    CHECK_THAT(garbage.reason, Catch::Contains("not a loadable shared library"));

    const auto& future = record_for(host, "test-abi-major-2.so");
    CHECK(future.status == plugin_status::refused);
    CHECK(future.abi_major == 2);
    CHECK_THAT(future.reason, Catch::Contains("ABI major 2") && Catch::Contains("host speaks ABI major 1"));

    const auto& refuses = record_for(host, "test-probe-refuses.so");
    CHECK(refuses.status == plugin_status::refused);
    CHECK_THAT(refuses.reason, Catch::Contains("probe: no imaginary accelerator found"));

    // Two variants of one name: the higher probe score wins, the other says why it lost.
    CHECK(record_for(host, "test-good.so").status == plugin_status::loaded);
    const auto& generic = record_for(host, "test-good-generic.so");
    CHECK(generic.status == plugin_status::refused);
    CHECK_THAT(generic.reason, Catch::Contains("superseded by") && Catch::Contains("test-good.so"));

    // What loaded is usable.
    REQUIRE(host.find(PLINTH_PLUGIN_BACKEND, "cpu") != nullptr);
    REQUIRE(host.find(PLINTH_PLUGIN_FORMAT, "gguf") != nullptr);
    REQUIRE(host.find(PLINTH_PLUGIN_BACKEND, "testdev") != nullptr);
    CHECK(host.find(PLINTH_PLUGIN_BACKEND, "testdev")->backend->device_count() == 2);
    // cpu and testdev, plus vulkan where a Vulkan device exists.
    CHECK(host.backends().size() == 2 + (host.find(PLINTH_PLUGIN_BACKEND, "vulkan") ? 1u : 0u));
    CHECK(host.formats().size() == 1);
}

TEST_CASE("plugins can be enabled and disabled by name", "[host]") {
    SECTION("disable") {
        auto search = test_search();
        search.disable = {"cpu"};
        plugin_host host;
        host.load(search);
        CHECK(record_for(host, "plinth-cpu.so").status == plugin_status::disabled);
        CHECK(host.find(PLINTH_PLUGIN_BACKEND, "cpu") == nullptr);
        CHECK(host.find(PLINTH_PLUGIN_FORMAT, "gguf") != nullptr);
    }
    SECTION("enable lists the only plugins to load") {
        auto search = test_search();
        search.enable = {"gguf"};
        plugin_host host;
        host.load(search);
        CHECK(host.backends().empty());
        CHECK(host.find(PLINTH_PLUGIN_FORMAT, "gguf") != nullptr);
        CHECK_THAT(record_for(host, "plinth-cpu.so").reason, Catch::Contains("disabled by configuration"));
    }
}

TEST_CASE("the install folder is searched without any environment variable", "[host]") {
    plugin_search search;
    search.use_environment = false;
    const auto folders = plugin_host::search_folders(search);
    REQUIRE(folders.size() == 1);
    CHECK(folders[0] == plugin_host::install_plugin_folder());
    plugin_host host;
    host.load(search);
    CHECK(host.find(PLINTH_PLUGIN_BACKEND, "cpu") != nullptr);
}

TEST_CASE("the CPU backend describes its device and manages host buffers", "[host][cpu]") {
    plugin_host host;
    host.load(test_search());
    const auto* cpu = host.find(PLINTH_PLUGIN_BACKEND, "cpu");
    REQUIRE(cpu != nullptr);
    const plinth_backend_api& api = *cpu->backend;
    REQUIRE(api.device_count() == 1);

    plinth_device_info info{};
    info.struct_size = sizeof(info);
    plinth_message msg{};
    REQUIRE(api.device_info(0, &info, &msg) == PLINTH_OK);
    CHECK(info.type == PLINTH_DEVICE_CPU);
    CHECK(std::strlen(info.name) > 0);
    CHECK(info.memory_total > 0);
    CHECK(info.memory_free <= info.memory_total);
    CHECK(info.compute_units >= 1);
    CHECK((info.buffer_caps & PLINTH_BUFFER_CAN_WRAP_HOST) != 0);
    CHECK(api.device_info(1, &info, &msg) == PLINTH_ERR_INVALID_ARGUMENT);

    SECTION("owned buffer round trip") {
        plinth_buffer buffer = nullptr;
        REQUIRE(api.buffer_alloc(0, 1000, &buffer, &msg) == PLINTH_OK);
        CHECK(reinterpret_cast<uintptr_t>(api.buffer_host_ptr(buffer)) % info.buffer_alignment == 0);
        std::vector<uint8_t> in(1000), out(1000);
        for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i * 7);
        REQUIRE(api.buffer_upload(buffer, 0, in.data(), in.size(), &msg) == PLINTH_OK);
        REQUIRE(api.buffer_download(buffer, 0, out.data(), out.size(), &msg) == PLINTH_OK);
        CHECK(in == out);
        CHECK(api.buffer_upload(buffer, 999, in.data(), 2, &msg) == PLINTH_ERR_INVALID_ARGUMENT);
        CHECK(api.buffer_download(buffer, ~0ull, out.data(), 2, &msg) == PLINTH_ERR_INVALID_ARGUMENT);
        api.buffer_free(buffer);
    }
    SECTION("wrapping host memory does not copy") {
        std::vector<float> host_data(64, 1.5f);
        plinth_buffer buffer = nullptr;
        REQUIRE(api.buffer_wrap_host(0, host_data.data(), host_data.size() * sizeof(float), &buffer, &msg) == PLINTH_OK);
        CHECK(api.buffer_host_ptr(buffer) == host_data.data());
        CHECK(api.buffer_size(buffer) == 256);
        api.buffer_free(buffer);
        CHECK(host_data[0] == 1.5f);
    }
    SECTION("a buffer larger than the machine is refused, not attempted") {
        plinth_buffer buffer = nullptr;
        CHECK(api.buffer_alloc(0, info.memory_total * 4, &buffer, &msg) == PLINTH_ERR_OUT_OF_MEMORY);
        CHECK(std::strlen(msg.text) > 0);
    }
}
