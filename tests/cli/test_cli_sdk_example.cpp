// The SDK's example backend, as a vendor would meet it: plinth installed to a prefix, the example's
// source taken from that install and built out of tree with clang++ (Debian's clang, where it is
// installed) through find_package(plinth) alone, certified with `plinth conformance --plugin`, run
// with every layer on it and with a hybrid placement, and configured through its declared option.
#include <catch2/catch.hpp>

#include "cli.hpp"

#include <filesystem>
#include <fstream>
#include <regex>
#include <vector>

using namespace plinth::test;

namespace {

struct built_example {
    std::filesystem::path root, prefix, plugin_dir;
    std::string plinth;  // the installed binary, quoted
    std::string env;     // PLINTH_PLUGIN_PATH=<the example's build folder>
    ~built_example() {
        std::error_code ec;
        std::filesystem::remove_all(root, ec);
    }
};

// Installs plinth and builds the installed example once per test process.
const built_example& example() {
    static const built_example built = [] {
        built_example b;
        b.root = std::filesystem::temp_directory_path() / ("plinth-sdk-example-" + std::to_string(::getpid()));
        b.prefix = b.root / "prefix";
        const auto install = install_to(b.prefix);
        INFO(install.out << install.err);
        REQUIRE(install.exit_code == 0);
        const auto source = b.prefix / "share" / "doc" / "plinth" / "examples" / "example-backend";
        REQUIRE(std::filesystem::exists(source / "CMakeLists.txt"));
        REQUIRE(std::filesystem::exists(b.prefix / "share" / "doc" / "plinth" / "plugin-guide.md"));  // the walk-through
        const bool clang = std::filesystem::exists("/usr/bin/clang++");
        if (!clang) WARN("no clang++ here: the example is built with the default compiler");
        b.plugin_dir = b.root / "build";
        const auto configure = run_command(shell_quote(PLINTH_CMAKE) + " -S " + shell_quote(source.string()) + " -B " +
                                           shell_quote(b.plugin_dir.string()) + " -DCMAKE_PREFIX_PATH=" + shell_quote(b.prefix.string()) +
                                           (clang ? " -DCMAKE_CXX_COMPILER=clang++" : "") + " -DCMAKE_CXX_FLAGS=-Werror");
        INFO(configure.out << configure.err);
        REQUIRE(configure.exit_code == 0);
        const auto build = run_command(shell_quote(PLINTH_CMAKE) + " --build " + shell_quote(b.plugin_dir.string()));
        INFO(build.out << build.err);
        REQUIRE(build.exit_code == 0);
        b.plinth = shell_quote((b.prefix / "bin" / "plinth").string());
        b.env = "env PLINTH_PLUGIN_PATH=" + shell_quote(b.plugin_dir.string()) + " ";
        return b;
    }();
    return built;
}

std::string plugin_file() { return shell_quote((example().plugin_dir / "plinth-example.so").string()); }

// The installed host's CPU-type device (the reference and fallback), by its type in `plinth devices`.
std::string host_device() {
    const auto devices = run_command("env -u PLINTH_PLUGIN_PATH " + example().plinth + " devices");
    std::smatch m;
    REQUIRE(std::regex_search(devices.out, m, std::regex("\n(\\S+:0) +cpu ")));
    return m[1];
}

}  // namespace

TEST_CASE("the installed example backend passes the conformance kit: every op it computes passes, the rest is refused",
          "[cli][install][sdk]") {
    const auto& ex = example();
    const auto r = run_command("env -u PLINTH_PLUGIN_PATH " + ex.plinth + " conformance --plugin " + plugin_file());
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::StartsWith("example:0 (Example device (256 MiB)): plugin example 0.1.0 (ABI 1.3); reference " + host_device()));
    // Every ABI 1.0 op passes (GET_ROWS and MATMUL partly: it decodes F32, F16, Q8_0 and Q4_0 weights
    // and refuses the rest); the ABI 1.1 ops it does not compute are refused; nothing fails.
    for (const char* op : {"RMS_NORM", "ADD", "MUL", "ROPE", "SWIGLU", "KV_STORE", "ATTENTION", "COPY", "GRAPH"})
        CHECK(std::regex_search(r.out, std::regex(std::string("\n") + op + " +[1-9][0-9]* +0 +0 +pass\n")));
    for (const char* op : {"GET_ROWS", "MATMUL"})
        CHECK(std::regex_search(r.out, std::regex(std::string("\n") + op + " +[1-9][0-9]* +[1-9][0-9]* +0 +partial\n")));
    for (const char* op : {"GEGLU", "SCALE", "SOFTCAP", "MOE"})
        CHECK(std::regex_search(r.out, std::regex(std::string("\n") + op + " +0 +[1-9][0-9]* +0 +refused\n")));
    CHECK(std::regex_search(r.out, std::regex("\ntotal +[1-9][0-9]* +[1-9][0-9]* +0 +partial\n")));

    // --verbose names each refusal's reason, as the plugin gave it.
    const auto v = run_command("env -u PLINTH_PLUGIN_PATH " + ex.plinth + " conformance --op GEGLU -v --plugin " + plugin_file());
    CHECK(v.exit_code == 0);
    CHECK_THAT(v.out, Catch::Contains("refused GEGLU"));
}

TEST_CASE("the installed example backend generates the stories260K golden text, alone and in a hybrid placement", "[cli][install][sdk]") {
    const auto& ex = example();
    const std::string run = ex.env + ex.plinth + " run -m " + model_arg("stories260K.gguf") + " -p 'Once upon a time' -n 24 --temp 0 ";
    const std::string host = host_device();
    const auto alone = run_command(run + "--device " + host);
    REQUIRE(alone.exit_code == 0);
    CHECK_THAT(alone.out, Catch::StartsWith(", there was a little girl named Lily"));
    for (const std::string& placement : std::vector<std::string>{"--device example:0", "--placement 0-2:example:0,3-:" + host, "--placement 0-1:" + host + ",2-:example:0"}) {
        const auto r = run_command(run + placement + " --show-placement");
        INFO(placement << "\n" << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out == alone.out);
        CHECK_THAT(r.err, Catch::Contains("-> example:0"));
    }
}

TEST_CASE("the example backend's declared option is checked and reaches it", "[cli][install][sdk]") {
    const auto& ex = example();
    const auto dir = ex.root / "configs";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "three.yaml") << "backends:\n  example:\n    some_option: 3\n";
    std::ofstream(dir / "typo.yaml") << "backends:\n  example:\n    some_opton: 3\n";
    std::ofstream(dir / "range.yaml") << "backends:\n  example:\n    some_option: 0\n";

    // Its effect: the device offers some_option MiB.
    const auto devices = run_command(ex.env + ex.plinth + " devices --config " + shell_quote((dir / "three.yaml").string()));
    INFO(devices.out << devices.err);
    CHECK(devices.exit_code == 0);
    CHECK(std::regex_search(devices.out, std::regex("example:0 +other +3\\.0 MiB +3\\.0 MiB +Example device \\(3 MiB\\)")));
    // ... which a model needing more than that meets as a clear refusal.
    const auto small = run_command(ex.env + ex.plinth + " run --backend-option example.some_option=1 --device example:0 -m " +
                                   model_arg("stories260K.gguf") + " -p 'Once upon a time' -n 4");
    CHECK(small.exit_code == 1);
    CHECK_THAT(small.err, Catch::Contains("has 1 of its 1 MiB free (backends.example.some_option)"));

    const auto typo = run_command(ex.env + ex.plinth + " config validate " + shell_quote((dir / "typo.yaml").string()));
    CHECK(typo.exit_code == 1);
    CHECK_THAT(typo.err, Catch::Contains((dir / "typo.yaml").string() +
                                         ":3:5: unknown option 'some_opton' of the 'example' backend; did you mean 'some_option'?"));
    const auto range = run_command(ex.env + ex.plinth + " devices --config " + shell_quote((dir / "range.yaml").string()));
    CHECK(range.exit_code == 1);
    CHECK_THAT(range.err, Catch::Contains("range.yaml:3:18:"));
    CHECK_THAT(range.err, Catch::Contains("an integer from 1 to 65536"));

    const auto listed = run_command(ex.env + ex.plinth + " plugins --options");
    CHECK_THAT(listed.out, Catch::Contains("example:\n  some_option an integer from 1 to 65536; default: 256"));
}
