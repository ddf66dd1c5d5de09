// The loader: a full file becomes the expected typed values; defaults, path resolution, the
// "set by file" record, and the shape of its errors.
#include <plinth/config.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using plinth::config_error;
using plinth::load_config_text;

namespace {

// The diagnostics of a text that must fail to load.
std::vector<plinth::config_diagnostic> diagnostics_of(const std::string& yaml) {
    try {
        load_config_text(yaml, "test.yaml");
    } catch (const config_error& e) {
        return e.diagnostics();
    }
    FAIL("the text loaded without error:\n" << yaml);
    return {};
}

// A fresh folder under the system temp folder, removed at the end of the test.
struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string pattern = (fs::temp_directory_path() / "plinth-config-test-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

void write_file(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary);
    out << text;
}

}  // namespace

TEST_CASE("a full file parses into the expected typed values", "[config]") {
    const std::string yaml = R"(
plugins:
  paths: [extra, /opt/plinth/plugins]
  enable: [cpu, gguf]
  disable: [vulkan]
model:
  path: models/tiny.gguf
  context: 4096
backends:
  cpu:
    threads: 8
    simd: avx2
placement:
  auto: true
  budget:
    vulkan:0: 2GiB
    cpu:0: 1536 MiB
  rules:
    - layers: 0-2
      device: vulkan:0
    - layers: 3-
      device: cpu:0
    - tensors: "output\\.weight"
      device: cpu:0
log:
  level: debug
)";
    const plinth::config cfg = load_config_text(yaml, "full.yaml", "/etc/plinth");

    CHECK(cfg.source_file == "full.yaml");
    CHECK(cfg.plugins.paths == std::vector<std::string>{"/etc/plinth/extra", "/opt/plinth/plugins"});
    CHECK(cfg.plugins.enable == std::vector<std::string>{"cpu", "gguf"});
    CHECK(cfg.plugins.disable == std::vector<std::string>{"vulkan"});
    CHECK(cfg.model.path == "/etc/plinth/models/tiny.gguf");
    CHECK(cfg.model.context == 4096);
    REQUIRE(cfg.backends.count("cpu") == 1);
    CHECK(cfg.backends.at("cpu").options.at("threads").value == "8");
    CHECK(cfg.backends.at("cpu").options.at("simd").value == "avx2");
    CHECK(cfg.log.level == "debug");

    CHECK(cfg.placement.automatic);
    CHECK(cfg.placement.budget ==
          std::map<std::string, uint64_t>{{"vulkan:0", 2ull << 30}, {"cpu:0", 1536ull << 20}});
    REQUIRE(cfg.placement.rules.size() == 3);

    const auto& first = cfg.placement.rules[0];
    REQUIRE(first.layers.has_value());
    CHECK_FALSE(first.tensors.has_value());
    CHECK(first.layers->ranges == std::vector<plinth::layer_range>{{0, 2, false}});
    CHECK(first.device == plinth::device_id{"vulkan", 0});
    CHECK(first.where.file == "full.yaml");
    CHECK(first.where.line == 19);
    CHECK(first.where.column == 7);

    const auto& second = cfg.placement.rules[1];
    REQUIRE(second.layers.has_value());
    CHECK(second.layers->ranges == std::vector<plinth::layer_range>{{3, 0, true}});
    CHECK(second.device == plinth::device_id{"cpu", 0});
    CHECK(second.where.line == 21);

    const auto& third = cfg.placement.rules[2];
    CHECK_FALSE(third.layers.has_value());
    REQUIRE(third.tensors.has_value());
    CHECK(*third.tensors == "output\\.weight");
    CHECK(third.device.str() == "cpu:0");

    CHECK(cfg.set_by_file == std::set<std::string, std::less<>>{
                                 "plugins.paths", "plugins.enable", "plugins.disable", "model.path",
                                 "model.context", "backends.cpu.threads", "backends.cpu.simd", "placement",
                                 "log.level"});
    CHECK(cfg.is_set_by_file("model.context"));
}

TEST_CASE("missing keys take the built-in defaults", "[config]") {
    for (const std::string yaml : {"", "\n\n", "# only a comment\n", "---\n", "---\n...\n---\n", "~\n",
                                   "model:\nbackends:\n  cpu:\n"}) {
        INFO("yaml: " << yaml);
        const plinth::config cfg = load_config_text(yaml, "defaults.yaml");
        CHECK(cfg.plugins.paths.empty());
        CHECK(cfg.plugins.enable.empty());
        CHECK(cfg.plugins.disable.empty());
        CHECK(cfg.model.path.empty());
        CHECK(cfg.model.context == 0);
        CHECK((cfg.backends.empty() || cfg.backends.at("cpu").options.empty()));
        CHECK_FALSE(cfg.placement.automatic);
        CHECK(cfg.placement.budget.empty());
        CHECK(cfg.placement.rules.empty());
        CHECK(cfg.log.level == "info");
        CHECK(cfg.set_by_file.empty());
        CHECK_FALSE(cfg.is_set_by_file("log.level"));
    }
}

TEST_CASE("a key with an empty value counts as not set", "[config]") {
    const auto cfg = load_config_text("model:\n  context:\n  path: ~\nlog:\n  level:\n", "empty.yaml");
    CHECK(cfg.model.context == 0);
    CHECK(cfg.model.path.empty());
    CHECK(cfg.log.level == "info");
    CHECK(cfg.set_by_file.empty());
}

TEST_CASE("the forms of placement", "[config][placement]") {
    SECTION("placement: auto") {
        const auto cfg = load_config_text("placement: auto\n", "p.yaml");
        CHECK(cfg.placement.automatic);
        CHECK(cfg.placement.rules.empty());
        CHECK(cfg.is_set_by_file("placement"));
    }
    SECTION("a flow map with a budget") {
        const auto cfg = load_config_text("placement: {auto: true, budget: {vulkan:0: 2GiB, cpu:1: 1000000}}\n", "p.yaml");
        CHECK(cfg.placement.automatic);
        CHECK(cfg.placement.budget.at("vulkan:0") == 2147483648ull);
        CHECK(cfg.placement.budget.at("cpu:1") == 1000000ull);
    }
    SECTION("a list of layers, and a single layer") {
        const auto cfg = load_config_text(
            "placement:\n  - {layers: [1, 3, 5], device: cpu:0}\n  - {layers: 4, device: cpu:1}\n", "p.yaml");
        REQUIRE(cfg.placement.rules.size() == 2);
        CHECK(cfg.placement.rules[0].layers->ranges ==
              std::vector<plinth::layer_range>{{1, 1, false}, {3, 3, false}, {5, 5, false}});
        CHECK(cfg.placement.rules[0].layers->str() == "[1, 3, 5]");
        CHECK(cfg.placement.rules[1].layers->ranges == std::vector<plinth::layer_range>{{4, 4, false}});
        CHECK(cfg.placement.rules[1].device == plinth::device_id{"cpu", 1});
        CHECK_FALSE(cfg.placement.automatic);
    }
    SECTION("layer sets that do not overlap are fine, whatever their order") {
        const auto cfg = load_config_text(
            "placement:\n  - {layers: 3-, device: cpu:0}\n  - {layers: [0, 2], device: cpu:1}\n"
            "  - {layers: 1, device: cpu:0}\n",
            "p.yaml");
        CHECK(cfg.placement.rules.size() == 3);
    }
}

TEST_CASE("load_config_file resolves relative paths against the file's folder", "[config]") {
    temp_dir dir;
    fs::create_directories(dir.path / "deploy");
    const fs::path file = dir.path / "deploy" / "site.yaml";
    write_file(file, "plugins:\n  paths: [plugins, ../shared-plugins, /abs/plugins]\nmodel:\n  path: ../models/m.gguf\n"
                     "  chat_template: templates/chatml.jinja\n");
    const auto cfg = plinth::load_config_file(file);
    CHECK(cfg.source_file == file.string());
    CHECK(cfg.plugins.paths == std::vector<std::string>{(dir.path / "deploy" / "plugins").string(),
                                                        (dir.path / "shared-plugins").string(),
                                                        "/abs/plugins"});
    CHECK(cfg.model.path == (dir.path / "models" / "m.gguf").string());
    CHECK(cfg.model.chat_template == (dir.path / "deploy" / "templates" / "chatml.jinja").string());

    SECTION("load_config_text without a base folder leaves them as written") {
        const auto text_cfg = load_config_text("model:\n  path: ../models/m.gguf\n", "t.yaml");
        CHECK(text_cfg.model.path == "../models/m.gguf");
    }
}

TEST_CASE("a file that cannot be read is a config_error without a position", "[config]") {
    temp_dir dir;
    const fs::path missing = dir.path / "nope.yaml";
    try {
        plinth::load_config_file(missing);
        FAIL("loaded a missing file");
    } catch (const config_error& e) {
        REQUIRE(e.diagnostics().size() == 1);
        const auto& d = e.diagnostics().front();
        CHECK(d.file == missing.string());
        CHECK(d.line == 0);
        CHECK(d.column == 0);
        CHECK(d.message == "cannot read: No such file or directory");
        CHECK(d.str() == missing.string() + ": cannot read: No such file or directory");
        CHECK(std::string(e.what()) == d.str());
    }
    CHECK_THROWS_AS(plinth::load_config_file(dir.path), config_error);
    CHECK_THROWS_WITH(plinth::load_config_file(dir.path), Catch::Matchers::Contains("cannot read: it is a directory"));
}

TEST_CASE("config_error collects every problem and joins them in what()", "[config]") {
    const std::string yaml =
        "model:\n"
        "  contxt: 5\n"         // 2:3 unknown key
        "  context: abc\n"      // 3:12 wrong type
        "backends:\n"
        "  cpu: [threads]\n"     // 5:8 not a map
        "log: {level: loud}\n";  // 6:14 bad level
    try {
        load_config_text(yaml, "multi.yaml");
        FAIL("loaded");
    } catch (const config_error& e) {
        const auto& d = e.diagnostics();
        REQUIRE(d.size() == 4);
        CHECK(d[0].str() == "multi.yaml:2:3: unknown key 'contxt' in 'model'; did you mean 'context'?");
        CHECK(d[1].str() == "multi.yaml:3:12: 'context' must be an integer, got a string (\"abc\")");
        CHECK(d[2].str() == "multi.yaml:5:8: 'backends.cpu' must be a map of settings, got a list");
        CHECK(d[3].str() ==
              "multi.yaml:6:14: 'level' must be one of trace, debug, info, warn, error, off, got \"loud\"");
        CHECK(std::string(e.what()) == d[0].str() + "\n" + d[1].str() + "\n" + d[2].str() + "\n" + d[3].str());
        // config_error is a plinth::error, which commands already catch.
        const plinth::error& base = e;
        CHECK(std::string(base.what()) == e.what());
    }
}

TEST_CASE("one document per file, though empty documents after it are tolerated", "[config]") {
    CHECK(load_config_text("log: {level: warn}\n---\n# nothing more\n", "d.yaml").log.level == "warn");
    const auto d = diagnostics_of("log: {level: warn}\n---\n---\nmodel: {path: b.gguf}\n");
    REQUIRE(d.size() == 1);
    CHECK(d[0].line == 3);
    CHECK(d[0].column == 1);
    CHECK(d[0].message == "a configuration file must hold a single YAML document");
}

TEST_CASE("input on which yaml-cpp 0.7 would loop forever is a syntax error", "[config]") {
    // jbeder/yaml-cpp#1040: LoadAll never returns on a stray ',' outside a flow collection.
    for (const std::string yaml : {",", ",\n,\n", "{a: 1},", "[1, 2],\n", "\"text\","}) {
        INFO("yaml: " << yaml);
        const auto d = diagnostics_of(yaml);
        REQUIRE(d.size() == 1);
        CHECK(d[0].message == "unexpected ','");
        CHECK(d[0].line == 1);
    }
}

TEST_CASE("an absurdly long tensor pattern is refused before RE2 compiles it", "[config]") {
    const std::string pattern = std::string(5000, '(') + "a" + std::string(5000, ')');
    const auto d = diagnostics_of("placement: [{tensors: \"" + pattern + "\", device: cpu:0}]");
    REQUIRE(d.size() == 1);
    CHECK(d[0].message == "'tensors' is too long (10001 characters; at most 512)");
}

TEST_CASE("a yaml-cpp syntax error keeps yaml-cpp's message and a 1-based position", "[config]") {
    const auto d = diagnostics_of("model: {path: a.gguf\n");
    REQUIRE(d.size() == 1);
    CHECK(d[0].file == "test.yaml");
    CHECK(d[0].line >= 1);
    CHECK(d[0].column >= 1);
    CHECK(d[0].message == "end of map flow not found");
}

TEST_CASE("type errors name what was found", "[config]") {
    CHECK(diagnostics_of("model: {context: 1.5}").at(0).message == "'context' must be an integer, got a number (1.5)");
    CHECK(diagnostics_of("model: {context: true}").at(0).message == "'context' must be an integer, got a boolean (true)");
    CHECK(diagnostics_of("model: {context: [1]}").at(0).message == "'context' must be an integer, got a list");
    CHECK(diagnostics_of("model: {path: {a: 1}}").at(0).message == "'path' must be a string, got a map");
    CHECK(diagnostics_of("model: {path: ''}").at(0).message == "'path' must not be empty");
    CHECK(diagnostics_of("model: 5").at(0).message == "'model' must be a map of settings, got an integer (5)");
    CHECK(diagnostics_of("plugins: {enable: cpu}").at(0).message ==
          "'enable' must be a list of strings, got a string (\"cpu\")");
    CHECK(diagnostics_of("plugins: {paths: [a, [b]]}").at(0).message ==
          "each entry of 'paths' must be a non-empty string, got a list");
    CHECK(diagnostics_of("placement: manual").at(0).message ==
          "'placement' must be 'auto', a list of rules or a map with 'auto', 'budget' and 'rules', got a string (\"manual\")");
    CHECK(diagnostics_of("placement: {auto: yes}").at(0).message == "'auto' must be true or false, got a string (\"yes\")");
    CHECK(diagnostics_of("placement: [{layers: [1, x], device: cpu:0}]").at(0).message ==
          "each entry of 'layers' must be an integer, got a string (\"x\")");
    CHECK(diagnostics_of("placement: [{layers: [], device: cpu:0}]").at(0).message == "'layers' must not be an empty list");
    CHECK(diagnostics_of("placement: [{layers: [2, 2], device: cpu:0}]").at(0).message ==
          "layer 2 is listed twice in 'layers'");
    CHECK(diagnostics_of("placement: [0-2:cpu:0]").at(0).message ==
          "a placement rule must be a map with 'layers' or 'tensors' and 'device', got a string (\"0-2:cpu:0\")");
    CHECK(diagnostics_of("\"just text\"").at(0).message ==
          "the top level of a configuration file must be a map of settings, got a string (\"just text\")");
}

TEST_CASE("unknown keys get the nearest valid key, or the list of valid keys", "[config]") {
    CHECK(diagnostics_of("Model: {}").at(0).message == "unknown top-level key 'Model'; did you mean 'model'?");
    CHECK(diagnostics_of("placment: auto").at(0).message == "unknown top-level key 'placment'; did you mean 'placement'?");
    CHECK(diagnostics_of("plugins: {disabled: [x]}").at(0).message ==
          "unknown key 'disabled' in 'plugins'; did you mean 'disable'?");
    CHECK(diagnostics_of("model: {size: 3}").at(0).message ==
          "unknown key 'size' in 'model' (expected one of: path, store, context, chat_template)");
    CHECK(diagnostics_of("placement: [{layers: 0, devcie: cpu:0}]").at(0).message ==
          "unknown key 'devcie' in a placement rule; did you mean 'device'?");
    // The typo is the one problem: the rule is not also said to lack a device.
    CHECK(diagnostics_of("placement: [{layers: 0, devcie: cpu:0}]").size() == 1);
    CHECK(diagnostics_of("placement: [{layer: 0, device: cpu:0}]").size() == 1);
    CHECK(diagnostics_of("placement: {auto: true, budgets: {}}").at(0).message ==
          "unknown key 'budgets' in 'placement'; did you mean 'budget'?");
}

TEST_CASE("budget entries are validated", "[config][placement]") {
    CHECK(diagnostics_of("placement: {auto: true, budget: {gpu: 1GiB}}").at(0).message ==
          "'budget' key: invalid device id \"gpu\": expected <backend>:<index>, e.g. cpu:0");
    CHECK(diagnostics_of("placement: {auto: true, budget: {cpu:0: 1GiB, cpu:00: 2GiB}}").at(0).message ==
          "duplicate device 'cpu:0' in 'budget' (first given at line 1)");
    CHECK(diagnostics_of("placement: {auto: true, budget: {cpu:0: -1GiB}}").at(0).message ==
          "the budget for 'cpu:0': size \"-1GiB\" is out of range: it must be greater than zero");
    CHECK(diagnostics_of("placement: {auto: true, budget: [1GiB]}").at(0).message ==
          "'budget' must be a map from device to size (e.g. vulkan:0: 2GiB), got a list");
}

TEST_CASE("backends sections keep each plugin's options as text with positions, for the plugins to judge", "[config]") {
    const plinth::config cfg = load_config_text("backends:\n  example:\n    some_option: 3\n    mode: fast\n", "b.yaml");
    REQUIRE(cfg.backends.count("example") == 1);
    const auto& section = cfg.backends.at("example");
    CHECK(section.at.line == 2);
    CHECK(section.options.at("some_option").value == "3");
    CHECK(section.options.at("some_option").key_at.line == 3);
    CHECK(section.options.at("some_option").key_at.column == 5);
    CHECK(section.options.at("some_option").value_at.column == 18);
    CHECK(section.options.at("mode").value == "fast");
    CHECK(cfg.set_by_file.count("backends.example.some_option") == 1);
    // Only the shape is the loader's business: names, single values, no repeats.
    CHECK(diagnostics_of("backends: {Bad-Name: {}}").at(0).message.find("keys of 'backends' must be backend plugin names such as cpu") == 0);
    CHECK(diagnostics_of("backends: {cpu: {threads: [1, 2]}}").at(0).message == "'threads' must be a single value, got a list");
    CHECK(diagnostics_of("backends: {cpu: 4}").at(0).message.find("'backends.cpu' must be a map of settings") == 0);
}
