// plinth pull against a local Hugging Face-compatible endpoint (nginx over HTTPS with a test
// certificate): pulls by repository and by quantization, resuming a cut download without fetching
// its bytes again, refusing a file whose checksum does not match, fetching a split model whole;
// then ls, show, rm and run on the store.
#include <catch2/catch.hpp>

#include "cli.hpp"
#include "pull_endpoint.hpp"

#include <store/sha256.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

using namespace plinth::test;
namespace fs = std::filesystem;

namespace {

// nginx is a test dependency (tools/install-deps.sh); without it these tests say so and pass.
bool have_nginx() {
    if (fs::exists(hub_endpoint::nginx)) return true;
    WARN("skipped: " << hub_endpoint::nginx << " is missing (apt-get install nginx)");
    return false;
}

command_result pull_cli(const hub_endpoint& hub, const std::string& args, const std::string& extra_env = "") {
    return run_command("timeout -s KILL 120 env -u PLINTH_PLUGIN_PATH " + hub.environment() + " " + extra_env + " " + shell_quote(PLINTH_CLI) + " " + args);
}

std::vector<fs::path> files_under(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    if (!fs::exists(dir, ec)) return out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) out.push_back(e.path());
    return out;
}

// Three byte slices of a model, named as gguf-split names its parts (plinth fetches split models
// but does not load them yet: the parts only need to arrive whole).
std::vector<repo_file> split_parts(const hub_endpoint& hub, const fs::path& model) {
    const std::string bytes = read_file(model);
    std::vector<repo_file> parts;
    const std::size_t third = bytes.size() / 3 + 1;
    for (int i = 0; i < 3; ++i) {
        const fs::path slice = hub.dir() / ("slice" + std::to_string(i));
        std::ofstream(slice, std::ios::binary) << bytes.substr(static_cast<std::size_t>(i) * third, third);
        parts.push_back({"stories-F32-0000" + std::to_string(i + 1) + "-of-00003.gguf", slice, ""});
    }
    return parts;
}

}  // namespace

TEST_CASE("pull: by repository and by quantization and a split model whole; then ls and show and rm and run on the store", "[cli][pull]") {
    if (!have_nginx()) return;
    hub_endpoint hub;
    hub.add_repo("org/f32-GGUF", {{"stories260K.gguf", shared_model("stories260K.gguf"), ""}});
    hub.add_repo("org/tiny-GGUF", {{"stories260K-Q8_0.gguf", shared_model("stories260K-Q8_0.gguf"), ""},
                                   {"q4/stories260K-Q4_0.gguf", shared_model("stories260K-Q4_0.gguf"), ""}});
    hub.add_repo("org/split-GGUF", split_parts(hub, shared_model("stories260K.gguf")));

    const auto bare = pull_cli(hub, "pull org/f32-GGUF");
    INFO(bare.err);
    REQUIRE(bare.exit_code == 0);
    CHECK_THAT(bare.out, Catch::Contains("pulled: org/f32-GGUF/stories260K.gguf"));
    CHECK(read_file(hub.store() / "org/f32-GGUF/stories260K.gguf") == read_file(shared_model("stories260K.gguf")));
    CHECK(fs::exists(hub.store() / "org/f32-GGUF/stories260K.gguf.plinth.json"));

    const auto ambiguous = pull_cli(hub, "pull org/tiny-GGUF");
    CHECK(ambiguous.exit_code == 1);
    CHECK_THAT(ambiguous.err, Catch::Contains("several models") && Catch::Contains("stories260K-Q8_0.gguf") && Catch::Contains("q4/stories260K-Q4_0.gguf"));
    const auto unknown_quant = pull_cli(hub, "pull org/tiny-GGUF:Q5_K_M");
    CHECK(unknown_quant.exit_code == 1);
    CHECK_THAT(unknown_quant.err, Catch::Contains("no model in the repository matches quantization 'Q5_K_M'"));

    const auto quant = pull_cli(hub, "pull org/tiny-GGUF:q8_0");
    INFO(quant.err);
    REQUIRE(quant.exit_code == 0);
    CHECK(read_file(hub.store() / "org/tiny-GGUF/stories260K-Q8_0.gguf") == read_file(shared_model("stories260K-Q8_0.gguf")));
    const auto again = pull_cli(hub, "pull org/tiny-GGUF:Q8_0");
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.out, Catch::Contains("up to date"));

    const auto split = pull_cli(hub, "pull org/split-GGUF");
    INFO(split.err);
    REQUIRE(split.exit_code == 0);
    CHECK_THAT(split.out, Catch::Contains("3 parts"));
    std::string joined;
    for (int i = 1; i <= 3; ++i) joined += read_file(hub.store() / ("org/split-GGUF/stories-F32-0000" + std::to_string(i) + "-of-00003.gguf"));
    CHECK(joined == read_file(shared_model("stories260K.gguf")));
    CHECK(files_under(hub.store() / "org/split-GGUF").size() == 4);  // three parts and one record, no .partial

    const auto ls = pull_cli(hub, "ls");
    INFO(ls.err);
    REQUIRE(ls.exit_code == 0);
    CHECK_THAT(ls.out, Catch::Contains("org/f32-GGUF/stories260K.gguf") && Catch::Contains("org/tiny-GGUF/stories260K-Q8_0.gguf") &&
                           Catch::Contains("org/split-GGUF/stories-F32-00001-of-00003.gguf"));
    CHECK_THAT(ls.out, Catch::Contains("Q8_0") && Catch::Contains("llama"));
    CHECK(std::count(ls.out.begin(), ls.out.end(), '\n') == 4);  // a header and three models

    const auto show = pull_cli(hub, "show org/tiny-GGUF:Q8_0");
    INFO(show.err);
    CHECK(show.exit_code == 0);
    CHECK_THAT(show.out, Catch::Contains("source:         " + hub.url() + "/org/tiny-GGUF (revision main)") &&
                             Catch::Contains(plinth::store::sha256_hex_of_file(shared_model("stories260K-Q8_0.gguf"))) &&
                             Catch::Contains("architecture:   llama"));

    const auto run = pull_cli(hub, "run -m org/tiny-GGUF:Q8_0 -p 'Once upon a time' -n 4 --temp 0");
    INFO(run.err);
    CHECK(run.exit_code == 0);
    CHECK_THAT(run.out, Catch::StartsWith("Once upon a time") || !Catch::Contains("error"));
    const auto by_stem = pull_cli(hub, "inspect stories260K");
    CHECK(by_stem.exit_code == 0);
    const auto neither = pull_cli(hub, "run -m no/such:Q4_0 -p x -n 1");
    CHECK(neither.exit_code == 1);
    CHECK_THAT(neither.err, Catch::Contains("no such file, and no model in the store"));

    const auto rm = pull_cli(hub, "rm org/tiny-GGUF:Q8_0");
    CHECK(rm.exit_code == 0);
    CHECK_FALSE(fs::exists(hub.store() / "org/tiny-GGUF"));
    const auto rm_again = pull_cli(hub, "rm org/tiny-GGUF:Q8_0");
    CHECK(rm_again.exit_code == 1);
    CHECK_THAT(rm_again.err, Catch::Contains("no model named 'org/tiny-GGUF:Q8_0'"));
    const std::string after = pull_cli(hub, "ls").out;
    CHECK(std::count(after.begin(), after.end(), '\n') == 3);
}

TEST_CASE("pull: a download cut by Ctrl-C resumes where it stopped without fetching those bytes again", "[cli][pull]") {
    if (!have_nginx()) return;
    hub_endpoint hub;
    const fs::path model = shared_model("stories260K.gguf");
    const uint64_t size = fs::file_size(model);
    hub.add_repo("org/slow-GGUF", {{"stories260K.gguf", model, ""}});
    const fs::path partial = hub.store() / "org/slow-GGUF/stories260K.gguf.partial";

    child_process first({PLINTH_CLI, "pull", "org/slow-GGUF"},
                        {"PLINTH_STORE=" + hub.store().string(), "PLINTH_HF_ENDPOINT=" + hub.url(), "PLINTH_CA_BUNDLE=" + hub.ca_bundle().string()},
                        hub.dir() / "first");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::error_code ec;
    while ((!fs::exists(partial, ec) || fs::file_size(partial, ec) < 200000) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ::kill(first.pid, SIGINT);
    const int status = first.wait(std::chrono::seconds(30));
    const std::string err = read_file(first.err);
    INFO(err);
    REQUIRE(status == 130);
    CHECK_THAT(err, Catch::Contains("resumes") && Catch::Contains(partial.string()));
    REQUIRE(fs::exists(partial));
    const uint64_t kept = fs::file_size(partial);
    CHECK(kept >= 200000);
    CHECK(kept < size);
    CHECK_FALSE(fs::exists(hub.store() / "org/slow-GGUF/stories260K.gguf"));

    const auto second = pull_cli(hub, "pull org/slow-GGUF");
    INFO(second.err);
    REQUIRE(second.exit_code == 0);
    CHECK(read_file(hub.store() / "org/slow-GGUF/stories260K.gguf") == read_file(model));
    CHECK_FALSE(fs::exists(partial));
    // The second download asked for the bytes after those kept, and the server sent only those
    // (plus headers).
    std::string resumed;
    for (const auto& line : hub.access_log())
        if (line.find("/resolve/main/stories260K.gguf") != std::string::npos) resumed = line;
    INFO(resumed);
    std::istringstream fields(resumed);
    std::string uri, range;
    int http_status = 0;
    uint64_t bytes_sent = 0;
    fields >> uri >> http_status >> bytes_sent >> range;
    CHECK(http_status == 206);
    CHECK(range == "bytes=" + std::to_string(kept) + "-");
    CHECK(bytes_sent >= size - kept);
    CHECK(bytes_sent < size - kept + 1024);
}

TEST_CASE("pull: a file whose checksum does not match is refused and nothing is left in the store", "[cli][pull]") {
    if (!have_nginx()) return;
    hub_endpoint hub;
    hub.add_repo("org/bad-GGUF", {{"stories260K-Q4_0.gguf", shared_model("stories260K-Q4_0.gguf"), std::string(64, 'e')}});
    const auto r = pull_cli(hub, "pull org/bad-GGUF:Q4_0");
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("checksum mismatch for org/bad-GGUF/stories260K-Q4_0.gguf") && Catch::Contains("nothing was stored"));
    CHECK(files_under(hub.store()).empty());
    CHECK_FALSE(fs::exists(hub.store() / "org"));
}

TEST_CASE("pull: network and HTTP and listing errors are clear messages and exit 1", "[cli][pull]") {
    if (!have_nginx()) return;
    hub_endpoint hub;
    hub.add_repo("org/tiny-GGUF", {{"stories260K-Q8_0.gguf", shared_model("stories260K-Q8_0.gguf"), ""}});
    const auto missing = pull_cli(hub, "pull org/missing-GGUF");
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Catch::Contains("HTTP 404"));
    const auto untrusted = pull_cli(hub, "pull org/tiny-GGUF", "PLINTH_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt");
    CHECK(untrusted.exit_code == 1);
    CHECK_THAT(untrusted.err, Catch::Contains("PLINTH_CA_BUNDLE"));
    const auto closed = pull_cli(hub, "pull org/tiny-GGUF", "PLINTH_HF_ENDPOINT=https://127.0.0.1:1");
    CHECK(closed.exit_code == 1);
    CHECK_THAT(closed.err, Catch::Contains("cannot fetch https://127.0.0.1:1/api/models/org/tiny-GGUF"));
    std::ofstream(hub.dir() / "www/api/models/org/tiny-GGUF/tree/main") << "[{\"type\": ";
    const auto malformed = pull_cli(hub, "pull org/tiny-GGUF");
    CHECK(malformed.exit_code == 1);
    CHECK_THAT(malformed.err, Catch::Contains("listing is malformed"));
    const auto bad_reference = pull_cli(hub, "pull tiny");
    CHECK(bad_reference.exit_code == 1);
    CHECK_THAT(bad_reference.err, Catch::Contains("expected OWNER/NAME"));
    CHECK(files_under(hub.store()).empty());
    for (const auto& r : {missing, untrusted, closed, malformed, bad_reference}) CHECK_FALSE(r.signaled);
}

TEST_CASE("pull: the README's first command runs against an endpoint holding a stand-in for its model", "[cli][pull]") {
    if (!have_nginx()) return;
    // The command as the README gives it, without the build (done) and with this build's plinth.
    std::ifstream readme(fs::path(PLINTH_SOURCE_DIR) / "README.md");
    std::string command;
    for (std::string line; std::getline(readme, line);)
        if (line.rfind("bash tools/build.sh && ", 0) == 0) {
            command = line.substr(std::string("bash tools/build.sh && ").size());
            break;
        }
    REQUIRE_FALSE(command.empty());
    for (size_t at; (at = command.find("./build/bin/plinth")) != std::string::npos;)
        command.replace(at, std::string("./build/bin/plinth").size(), shell_quote(PLINTH_CLI));
    // The README names a real repository and quantization; the stand-in has its layout and file
    // names, and a small Qwen2 model quantized the same way (made here).
    hub_endpoint hub;
    const fs::path stand_in = hub.dir() / "stand-in.gguf";
    const auto quantized = run_command(shell_quote(PLINTH_CLI) + " quantize " + shell_quote((shared_dir() / "arch" / "qwen2.gguf").string()) +
                                       " " + shell_quote(stand_in.string()) + " Q4_K_M");
    REQUIRE(quantized.exit_code == 0);
    hub.add_repo("Qwen/Qwen2.5-0.5B-Instruct-GGUF", {{"qwen2.5-0.5b-instruct-q4_k_m.gguf", stand_in, ""},
                                                     {"qwen2.5-0.5b-instruct-q8_0.gguf", shared_dir() / "arch" / "qwen2-Q8_0.gguf", ""}});
    const auto r = run_command("timeout -s KILL 120 env -u PLINTH_PLUGIN_PATH " + hub.environment() + " sh -c " + shell_quote(command));
    INFO(command << "\n" << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.size() > 20);  // the generated text
    CHECK(fs::exists(hub.store() / "Qwen" / "Qwen2.5-0.5B-Instruct-GGUF" / "qwen2.5-0.5b-instruct-q4_k_m.gguf"));
}
