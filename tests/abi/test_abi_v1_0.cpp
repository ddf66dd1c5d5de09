// The compatibility promise, through the `plinth` binary a user runs: abi10, a plugin built against
// the frozen ABI 1.0 headers, loads with ABI 1.0, passes the conformance kit for the ops it has (and
// is never sent a 1.1 node), and runs a model's layers with the same text as the CPU alone.
#include <catch2/catch.hpp>

#include "run_command.hpp"
#include "shared_dir.hpp"

#include <filesystem>
#include <regex>
#include <sstream>
#include <string>

using namespace plinth::test;

namespace {

const std::filesystem::path abi10_file = PLINTH_ABI10_PLUGIN;

// `plinth ARGS` seeing the plugins built next to it, plus abi10's folder when `with_abi10`.
command_result run_plinth(const std::string& args, bool with_abi10) {
    const std::string env = with_abi10 ? "env PLINTH_PLUGIN_PATH=" + shell_quote(abi10_file.parent_path().string())
                                       : std::string("env -u PLINTH_PLUGIN_PATH");
    return run_command(env + " " + shell_quote(PLINTH_CLI) + " " + args);
}

// The line of `text` that starts with `first_word` and a space ("" when none).
std::string line_of(const std::string& text, const std::string& first_word) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(first_word + " ", 0) == 0) return line;
    return "";
}

// A row of the conformance table: OP PASSED REFUSED FAILED RESULT.
struct table_row {
    long passed = -1, refused = -1, failed = -1;
    std::string result;
};

table_row row_of(const std::string& table, const std::string& op) {
    static const std::regex row(R"(^(\S+) +(\d+) +(\d+) +(\d+)  (pass|partial|refused|FAIL)$)");
    const std::string line = line_of(table, op);
    std::smatch m;
    table_row r;
    if (std::regex_match(line, m, row) && m[1] == op) {
        r.passed = std::stol(m[2]);
        r.refused = std::stol(m[3]);
        r.failed = std::stol(m[4]);
        r.result = m[5];
    }
    return r;
}

}  // namespace

TEST_CASE("plinth plugins lists abi10 as a loaded ABI 1.0 backend, and its device as another kind than CPU", "[abi]") {
    const auto listed = run_plinth("plugins", true);
    INFO(listed.out << listed.err);
    REQUIRE(listed.exit_code == 0);
    const std::string line = line_of(listed.out, "abi10");
    CHECK(std::regex_match(line, std::regex(R"(abi10 +backend +1\.0\.0 +1\.0 +loaded +(\S+))")));
    CHECK_THAT(line, Catch::EndsWith(abi10_file.string()));
    // The host's own plugins negotiated its current minor beside it.
    CHECK(std::regex_search(listed.out, std::regex(R"(\n[a-z0-9_]+ +backend +\S+ +1\.[1-9][0-9]* +loaded )")));

    // A 1.0 plugin cannot describe options (ABI 1.2): the host says so instead of reading the member.
    const auto options = run_plinth("plugins --options", true);
    CHECK(options.exit_code == 0);
    CHECK_THAT(options.out, Catch::Contains("abi10:\n  (an ABI 1.0 plugin: it does not describe its options)"));

    const auto devices = run_plinth("devices", true);
    CHECK(devices.exit_code == 0);
    CHECK(std::regex_match(line_of(devices.out, "abi10:0"), std::regex(R"(abi10:0 +other +.* abi10 test device)")));
}

TEST_CASE("plinth conformance certifies abi10: its ops pass, ABI 1.1 ops and the ones it lacks are refused, none fail", "[abi]") {
    const auto run = run_plinth("conformance -v --plugin " + shell_quote(abi10_file.string()), false);
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
    // The reference is the CPU, found by capability: abi10's device never stands in for host memory.
    CHECK_THAT(run.out, Catch::Contains("abi10:0 (abi10 test device): plugin abi10 1.0.0 (ABI 1.0); reference "));

    for (const char* op : {"RMS_NORM", "MUL", "SWIGLU", "KV_STORE"}) {
        INFO(op);
        const table_row r = row_of(run.out, op);
        CHECK(r.result == "pass");
        CHECK(r.passed > 0);
        CHECK(r.failed == 0);
    }
    // ADD's one-row bias is ABI 1.1, and so are ATTENTION's window and soft-cap: those cases are
    // refused, the rest pass.
    for (const char* op : {"ADD", "ATTENTION", "GRAPH"}) {
        INFO(op);
        const table_row r = row_of(run.out, op);
        CHECK(r.result == "partial");
        CHECK(r.passed > 0);
        CHECK(r.refused > 0);
        CHECK(r.failed == 0);
    }
    for (const char* op : {"GEGLU", "SCALE", "SOFTCAP", "MOE", "GET_ROWS", "MATMUL", "ROPE", "COPY"}) {
        INFO(op);
        const table_row r = row_of(run.out, op);
        CHECK(r.result == "refused");
        CHECK(r.passed == 0);
        CHECK(r.refused > 0);
        CHECK(r.failed == 0);
    }
    CHECK(row_of(run.out, "total").failed == 0);
    CHECK_THAT(run.out, !Catch::Contains("\nFAILED  "));
    // Nodes of a later minor never reach the plugin: refused on its behalf, with the reason.
    CHECK_THAT(run.out, Catch::Contains(": unsupported: node 0 (GEGLU) needs ABI 1.1; the plugin speaks 1.0"));
    CHECK_THAT(run.out, Catch::Contains("ADD n=3 T=3 broadcast row: unsupported: node 0 (ADD) needs ABI 1.1; the plugin speaks 1.0"));
    // The 1.0 ops it lacks, it refuses itself (supports_node).
    CHECK_THAT(run.out, Catch::Contains(": unsupported: node 0 (MATMUL)"));
}

TEST_CASE("a model's layers placed on abi10 give the CPU's text, the nodes abi10 refuses running on the CPU", "[abi]") {
    const auto model = shared_model("stories260K.gguf");
    REQUIRE(std::filesystem::exists(model));
    const std::string run = "run -m " + shell_quote(model.string()) + " -p 'Once upon a time' -n 8 --temp 0";
    const auto alone = run_plinth(run, false);  // on the host-memory device alone
    const auto abi10 = run_plinth(run + " --placement '0-:abi10:0' --show-placement", true);
    INFO(abi10.out << abi10.err);
    REQUIRE(alone.exit_code == 0);
    REQUIRE(abi10.exit_code == 0);
    CHECK_FALSE(alone.out.empty());
    CHECK(abi10.out == alone.out);
    // The layers and their KV cache are on abi10 (so its KV_STORE, ATTENTION, RMS_NORM, ADD and SWIGLU
    // ran); the weights of the ops it refuses (MATMUL, GET_ROWS) moved to the CPU.
    CHECK_THAT(abi10.err, Catch::Contains("  layers 0-4 -> abi10:0\n"));
    CHECK(std::regex_search(abi10.err, std::regex(R"(\n  abi10:0: weights [1-9][0-9]* KiB, KV cache [1-9][0-9]* KiB\n)")));
    CHECK_THAT(abi10.err, Catch::Contains("weights: abi10:0 does not run the F32 weights; they run on "));
}
