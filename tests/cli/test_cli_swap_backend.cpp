// Swapping backends needs no rebuild: an installed plinth runs the hybrid Vulkan config; with the
// Vulkan plugin file removed from its plugin folder the same binary still runs the CPU config, and
// the Vulkan config fails with a message naming the missing plugin.
#include <catch2/catch.hpp>

#include "cli.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <fstream>
#include <iterator>

using namespace plinth::test;

TEST_CASE("an installed plinth swaps backends by plugin file alone", "[cli][install]") {
    const auto prefix = std::filesystem::temp_directory_path() / "plinth-install-test";
    const auto install = install_to(prefix);
    REQUIRE(install.exit_code == 0);
    const std::string plinth = shell_quote((prefix / "bin" / "plinth").string());
    const auto plugins = prefix / "lib" / "plinth" / "plugins";
    const std::string configs = std::string(PLINTH_SOURCE_DIR) + "/configs/";
    const std::string prompt = " -p 'Once upon a time' -n 8 --temp 0";

    // The installed layout finds its plugins with no environment variable.
    const auto listed = run_command("env -u PLINTH_PLUGIN_PATH " + plinth + " plugins");
    REQUIRE(listed.exit_code == 0);
    CHECK_THAT(listed.out, Catch::Contains((plugins / "plinth-cpu.so").string()));

    const bool has_vulkan = std::filesystem::exists(plugins / "plinth-vulkan.so") &&
                            run_command("env -u PLINTH_PLUGIN_PATH " + plinth + " devices").out.find("vulkan:0") !=
                                std::string::npos;
    if (has_vulkan) {
        const auto hybrid = run_command("env -u PLINTH_PLUGIN_PATH " + plinth + " run --config " +
                                        shell_quote(configs + "hybrid-vulkan.yaml") + prompt);
        CHECK(hybrid.exit_code == 0);
        CHECK_THAT(hybrid.out, Catch::StartsWith(", there was a little girl"));
    } else {
        WARN("no Vulkan device here: the hybrid run before the swap was skipped");
    }

    std::filesystem::remove(plugins / "plinth-vulkan.so");
    const auto cpu = run_command("env -u PLINTH_PLUGIN_PATH " + plinth + " run --config " +
                                 shell_quote(configs + "cpu.yaml") + prompt);
    CHECK(cpu.exit_code == 0);
    CHECK_THAT(cpu.out, Catch::StartsWith(", there was a little girl"));

    const auto hybrid = run_command("env -u PLINTH_PLUGIN_PATH " + plinth + " run --config " +
                                    shell_quote(configs + "hybrid-vulkan.yaml") + prompt);
    CHECK(hybrid.exit_code == 1);
    CHECK_THAT(hybrid.err, Catch::Contains("device 'vulkan:0' needs the 'vulkan' backend plugin, which is not loaded"));
    CHECK(hybrid.out.empty());
    std::filesystem::remove_all(prefix);
}

TEST_CASE("the installed example configs name a store model, not the repository's ../shared", "[cli][install]") {
    const auto prefix = std::filesystem::temp_directory_path() / ("plinth-install-configs-" + std::to_string(::getpid()));
    const auto install = install_to(prefix);
    REQUIRE(install.exit_code == 0);
    const auto configs = prefix / "share" / "plinth" / "configs";
    const std::string empty_store = (prefix / "empty-store").string();
    int count = 0;
    for (const auto& e : std::filesystem::directory_iterator(configs)) {
        ++count;
        std::ifstream in(e.path());
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        INFO(e.path().string());
        CHECK(text.find("shared") == std::string::npos);
        CHECK_THAT(text, Catch::Contains("store: Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M"));
        // Before the model is pulled, validating says how to get it.
        const auto v = run_command("env -u PLINTH_PLUGIN_PATH PLINTH_STORE=" + shell_quote(empty_store) + " " +
                                   shell_quote((prefix / "bin" / "plinth").string()) + " config validate " + shell_quote(e.path().string()));
        CHECK(v.exit_code == 1);
        CHECK_THAT(v.err, Catch::Contains("`plinth pull Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M` fetches it"));
    }
    CHECK(count == 5);
    std::filesystem::remove_all(prefix);
}

TEST_CASE("a plugin builds out of tree from the installed SDK alone (find_package and pkg-config) and loads", "[cli][install][sdk]") {
    const auto root = std::filesystem::temp_directory_path() / ("plinth-sdk-" + std::to_string(::getpid()));
    std::filesystem::remove_all(root);
    const auto prefix = root / "prefix";
    REQUIRE(install_to(prefix).exit_code == 0);
    // A consumer project that knows only the prefix; clang++ where Debian's clang is installed,
    // to show the C ABI crosses compilers.
    const auto project = root / "project";
    std::filesystem::create_directories(project);
    std::filesystem::copy_file(std::filesystem::path(PLINTH_SOURCE_DIR) / "tests/host/plugins/test_plugin.cpp", project / "plugin.cpp");
    // ... and a file that uses the SDK's libraries (weight formats, node validator), warning-free.
    std::filesystem::copy_file(std::filesystem::path(PLINTH_SOURCE_DIR) / "tests/host/plugins/sdk_library_user.cpp",
                               project / "weights.cpp");
    std::ofstream(project / "CMakeLists.txt") << "cmake_minimum_required(VERSION 3.20)\nproject(outside CXX)\n"
                                                 "find_package(plinth 0.1 CONFIG REQUIRED)\n"
                                                 "add_library(outside MODULE plugin.cpp weights.cpp)\n"
                                                 "target_compile_definitions(outside PRIVATE TEST_PLUGIN_NAME=\"outside\")\n"
                                                 "set_source_files_properties(weights.cpp PROPERTIES COMPILE_OPTIONS "
                                                 "\"-Wall;-Wextra;-Wpedantic;-Wshadow;-Werror\")\n"
                                                 "target_link_libraries(outside PRIVATE plinth::plugin_api plinth::sdk plinth::weight_formats)\n"
                                                 "set_target_properties(outside PROPERTIES PREFIX \"\" OUTPUT_NAME plinth-outside)\n";
    const bool clang = std::filesystem::exists("/usr/bin/clang++");
    if (!clang) WARN("no clang++ here: the out-of-tree plugin is built with the default compiler");
    const auto build = root / "build";
    const auto configure = run_command(shell_quote(PLINTH_CMAKE) + " -S " + shell_quote(project.string()) + " -B " + shell_quote(build.string()) +
                                       " -DCMAKE_PREFIX_PATH=" + shell_quote(prefix.string()) + (clang ? " -DCMAKE_CXX_COMPILER=clang++" : ""));
    INFO(configure.out << configure.err);
    REQUIRE(configure.exit_code == 0);
    const auto built = run_command(shell_quote(PLINTH_CMAKE) + " --build " + shell_quote(build.string()));
    INFO(built.out << built.err);
    REQUIRE(built.exit_code == 0);
    const auto listed = run_command("env PLINTH_PLUGIN_PATH=" + shell_quote(build.string()) + " " +
                                    shell_quote((prefix / "bin" / "plinth").string()) + " plugins");
    INFO(listed.out << listed.err);
    CHECK_THAT(listed.out, Catch::Matches(R"([\s\S]*\noutside +backend +\S+ +1\.[0-9] +loaded [\s\S]*)"));
    CHECK_THAT(listed.out, Catch::Contains((build / "plinth-outside.so").string()));
    // The weight formats linked into the module work there.
    void* module = ::dlopen((build / "plinth-outside.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    REQUIRE(module != nullptr);
    const auto uses = reinterpret_cast<int (*)()>(::dlsym(module, "outside_uses_the_sdk_libraries"));
    REQUIRE(uses != nullptr);
    CHECK(uses() == 1);
    ::dlclose(module);

    // A newer SDK than the installed one is refused by the version check; pkg-config gives the headers.
    std::ofstream(project / "CMakeLists.txt") << "cmake_minimum_required(VERSION 3.20)\nproject(outside CXX)\nfind_package(plinth 0.9 CONFIG REQUIRED)\n";
    CHECK(run_command(shell_quote(PLINTH_CMAKE) + " -S " + shell_quote(project.string()) + " -B " + shell_quote((root / "build2").string()) +
                      " -DCMAKE_PREFIX_PATH=" + shell_quote(prefix.string()))
              .exit_code != 0);
    const auto flags = run_command("env PKG_CONFIG_PATH=" + shell_quote((prefix / "lib" / "pkgconfig").string()) + " pkg-config --cflags plinth");
    CHECK(flags.exit_code == 0);
    CHECK_THAT(flags.out, Catch::Contains("/include"));
    std::filesystem::remove_all(root);
}
