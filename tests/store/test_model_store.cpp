// The local store: records, the names a model answers to, removal, the -m resolver, and where the
// store and the endpoint come from.
#include <catch2/catch.hpp>

#include <store/model_store.hpp>

#include <cstdlib>
#include <fstream>

#include <unistd.h>

using namespace plinth::store;
namespace fs = std::filesystem;

namespace {

struct temp_store {
    fs::path root = fs::temp_directory_path() / ("plinth-store-" + std::to_string(::getpid()));
    model_store store{root};
    temp_store() { fs::create_directories(root); }
    ~temp_store() { fs::remove_all(root); }

    stored_model add(const std::string& repo, std::vector<std::string> paths) {
        stored_model m{"https://example.org", repo, "main", {}, "2025-01-01T00:00:00Z", store.folder_of(repo)};
        for (const auto& p : paths) {
            m.files.push_back({p, 3, std::string(64, 'a')});
            fs::create_directories((m.folder / p).parent_path());
            std::ofstream(m.folder / p) << "abc";
        }
        store.record(m);
        return m;
    }
};

// Sets an environment variable for one scope.
struct scoped_env {
    std::string name;
    std::optional<std::string> old;
    scoped_env(const std::string& n, const char* value) : name(n) {
        if (const char* v = std::getenv(n.c_str())) old = v;
        value ? ::setenv(n.c_str(), value, 1) : ::unsetenv(n.c_str());
    }
    ~scoped_env() { old ? ::setenv(name.c_str(), old->c_str(), 1) : ::unsetenv(name.c_str()); }
};

}  // namespace

TEST_CASE("store: a recorded model is listed and found by each of its names", "[store][names]") {
    temp_store t;
    t.add("org/tiny-GGUF", {"tiny-Q8_0.gguf"});
    t.add("org/tiny-GGUF", {"sub/tiny-Q4_0.gguf"});
    t.add("other/big-GGUF", {"big-00001-of-00002.gguf", "big-00002-of-00002.gguf"});
    const auto all = t.store.list();
    REQUIRE(all.size() == 3);
    CHECK(all[0].name() == "org/tiny-GGUF/sub/tiny-Q4_0.gguf");
    CHECK(all[2].name() == "other/big-GGUF/big-00001-of-00002.gguf");
    CHECK(all[2].size() == 6);

    CHECK(t.store.find("org/tiny-GGUF:Q8_0")->name() == "org/tiny-GGUF/tiny-Q8_0.gguf");
    CHECK(t.store.find("org/tiny-GGUF:q4_0")->name() == "org/tiny-GGUF/sub/tiny-Q4_0.gguf");
    CHECK(t.store.find("org/tiny-GGUF:sub/tiny-Q4_0.gguf")->name() == "org/tiny-GGUF/sub/tiny-Q4_0.gguf");
    CHECK(t.store.find("org/tiny-GGUF/tiny-Q8_0.gguf")->path() == t.root / "org/tiny-GGUF/tiny-Q8_0.gguf");
    CHECK(t.store.find("tiny-Q8_0")->name() == "org/tiny-GGUF/tiny-Q8_0.gguf");
    CHECK(t.store.find("other/big-GGUF")->files.size() == 2);
    CHECK(t.store.find("big")->name() == "other/big-GGUF/big-00001-of-00002.gguf");
    CHECK(t.store.find("other/big-GGUF/big-00002-of-00002.gguf")->name() == "other/big-GGUF/big-00001-of-00002.gguf");
    CHECK_FALSE(t.store.find("org/tiny-GGUF:Q5_K_M"));
    CHECK_FALSE(t.store.find("nothing"));
    CHECK_THROWS_WITH(t.store.find("org/tiny-GGUF"), Catch::Contains("several") && Catch::Contains("tiny-Q8_0.gguf") && Catch::Contains("tiny-Q4_0.gguf"));
}

TEST_CASE("store: removing a model deletes its files, its record and the folders left empty", "[store][names]") {
    temp_store t;
    const auto a = t.add("org/tiny-GGUF", {"sub/tiny-Q4_0.gguf"});
    t.add("org/other-GGUF", {"o.gguf"});
    t.store.remove(a);
    CHECK_FALSE(fs::exists(t.root / "org/tiny-GGUF"));
    CHECK(fs::exists(t.root / "org/other-GGUF/o.gguf"));
    CHECK(t.store.list().size() == 1);
    CHECK(fs::exists(t.root));
}

TEST_CASE("store: a damaged record is skipped, not fatal", "[store][names]") {
    temp_store t;
    t.add("org/tiny-GGUF", {"tiny-Q8_0.gguf"});
    std::ofstream(t.root / "org/tiny-GGUF/x.gguf.plinth.json") << "{not json";
    CHECK(t.store.list().size() == 1);
}

TEST_CASE("store: resolve_model: an existing path wins, else the store name, else an error naming both", "[store][resolve]") {
    temp_store t;
    t.add("org/tiny-GGUF", {"tiny-Q8_0.gguf"});
    CHECK(resolve_model("org/tiny-GGUF:Q8_0", t.root) == t.root / "org/tiny-GGUF/tiny-Q8_0.gguf");
    const fs::path local = t.root / "tiny-Q8_0";  // a file with the same name as a store name
    std::ofstream(local) << "x";
    CHECK(resolve_model(local.string(), t.root) == local);
    CHECK_THROWS_WITH(resolve_model("no/such:Q4_0", t.root), Catch::Contains("no such file, and no model in the store") &&
                                                                  Catch::Contains(t.root.string()));
    CHECK_THROWS_WITH(resolve_model("x", t.root / "missing"), Catch::Contains("no such file, and no model in the store"));
}

TEST_CASE("store: the store root: PLINTH_STORE, then the config, then the XDG cache, then HOME", "[store][resolve]") {
    plinth::config config;
    scoped_env store("PLINTH_STORE", nullptr), xdg("XDG_CACHE_HOME", nullptr), home("HOME", "/home/u");
    CHECK(default_root(config) == "/home/u/.cache/plinth/models");
    {
        scoped_env x("XDG_CACHE_HOME", "/cache");
        CHECK(default_root(config) == "/cache/plinth/models");
        config.store.path = "/from/config";
        CHECK(default_root(config) == "/from/config");
        scoped_env s("PLINTH_STORE", "/from/env");
        CHECK(default_root(config) == "/from/env");
    }
    scoped_env no_home("HOME", nullptr);
    config.store.path.clear();
    CHECK_THROWS_WITH(default_root(config), Catch::Contains("PLINTH_STORE"));
}

TEST_CASE("store: the endpoint: PLINTH_HF_ENDPOINT, then the config, then huggingface.co", "[store][resolve]") {
    plinth::config config;
    scoped_env e("PLINTH_HF_ENDPOINT", nullptr);
    CHECK(default_endpoint(config) == "https://huggingface.co");
    config.store.endpoint = "https://mirror.example";
    CHECK(default_endpoint(config) == "https://mirror.example");
    scoped_env set("PLINTH_HF_ENDPOINT", "http://127.0.0.1:9/");
    CHECK(default_endpoint(config) == "http://127.0.0.1:9");
}

TEST_CASE("store: the config's store section is validated with positions", "[store][config]") {
    const auto cfg = plinth::load_config_text("store:\n  path: models\n  endpoint: https://hf-mirror.example/\n", "c.yaml", "/etc/plinth");
    CHECK(cfg.store.path == "/etc/plinth/models");
    CHECK(cfg.store.endpoint == "https://hf-mirror.example");
    CHECK(cfg.is_set_by_file("store.path"));
    try {
        plinth::load_config_text("store:\n  endpoint: ftp://x\n  pth: y\n", "c.yaml");
        FAIL("no error");
    } catch (const plinth::config_error& e) {
        REQUIRE(e.diagnostics().size() == 2);
        CHECK(e.diagnostics()[0].str() == "c.yaml:2:13: 'endpoint' must be a URL starting with https:// or http://, got \"ftp://x\"");
        CHECK(e.diagnostics()[1].str() == "c.yaml:3:3: unknown key 'pth' in 'store'; did you mean 'path'?");
    }
    CHECK_THROWS_AS(plinth::load_config_text("store: [1]\n", "c.yaml"), plinth::config_error);
}
