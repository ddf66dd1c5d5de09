// Numbers and output a user gets wrong: a negative count is refused (not wrapped around to four
// billion), and results that cannot be written make the command fail.
#include <catch2/catch.hpp>

#include "cli.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <vector>

#include <filesystem>
#include <fstream>

#include <unistd.h>

using namespace plinth::test;

TEST_CASE("negative numbers for unsigned options are refused, naming the option", "[cli][arguments]") {
    const std::string model = model_arg("stories260K.gguf");
    for (const std::string& args : {"run -m " + model + " -p Once -n -5", "run -m " + model + " -p Once -c -1",
                                    "run -m " + model + " -p Once --seed -1", "run -m " + model + " -p Once -n 99999999999",
                                    "serve -m " + model + " --parallel -1", "bench -m " + model + " -b -2"}) {
        INFO(args);
        const auto r = run_plinth(args);
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.err, Catch::Contains("must be a whole number from 0 to"));
        CHECK(r.out.empty());
    }
}

TEST_CASE("results that cannot be written fail the command", "[cli][arguments]") {
    const auto r = run_plinth("run -m " + model_arg("stories260K.gguf") + " -p Once -n 4 --temp 0 > /dev/full");
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("cannot write the results to standard output"));
    const auto t = run_plinth("tokenize -m " + model_arg("stories260K.gguf") + " -p Once > /dev/full");
    CHECK(t.exit_code == 1);
}

TEST_CASE("run: an empty prompt is a prompt; conflicting or unreadable sources are errors", "[cli][arguments]") {
    const std::string model = model_arg("stories260K.gguf");
    const auto empty = run_plinth("run -m " + model + " -p '' -n 4 --temp 0");
    CHECK(empty.exit_code == 0);
    CHECK_THAT(empty.err, Catch::Contains("prompt: 1 tokens"));  // BOS alone
    const auto both = run_plinth("run -m " + model + " -p Once -f /etc/hostname -n 4");
    CHECK(both.exit_code == 1);
    CHECK_THAT(both.err, Catch::Contains("-p and -f both give the prompt"));
    const auto folder = run_plinth("run -m " + model + " -f /tmp -n 4");
    CHECK(folder.exit_code == 1);
    CHECK_THAT(folder.err, Catch::Contains("is a folder"));
    const auto where = run_plinth("run -m " + model + " -p Once --device cpu:0 --placement 0-:cpu:0 -n 4");
    CHECK(where.exit_code == 1);
    CHECK_THAT(where.err, Catch::Contains("--device and --placement"));
}

TEST_CASE("run ends with one summary line that names the seed of a sampled run", "[cli][arguments]") {
    const std::string cmd = "run -m " + model_arg("stories260K.gguf") + " -p Once -n 16 --temp 1";
    const auto first = run_plinth(cmd);
    REQUIRE(first.exit_code == 0);
    CHECK_THAT(first.err, Catch::Contains("load ") && Catch::Contains(" s, total ") && Catch::Contains("; seed "));
    const std::string seed = first.err.substr(first.err.find("; seed ") + 7);
    const auto again = run_plinth(cmd + " --seed " + seed.substr(0, seed.find_first_not_of("0123456789")));
    CHECK(again.out == first.out);
    const auto greedy = run_plinth("run -m " + model_arg("stories260K.gguf") + " -p Once -n 4 --temp 0");
    CHECK_THAT(greedy.err, !Catch::Contains("seed"));
}

TEST_CASE("quantize says which tensors could not take the type, and what they got", "[cli][arguments]") {
    const auto out = std::filesystem::temp_directory_path() / ("plinth-q6k-" + std::to_string(::getpid()) + ".gguf");
    const auto r = run_plinth("quantize " + model_arg("stories260K.gguf") + " " + shell_quote(out.string()) + " Q6_K --force");
    std::filesystem::remove(out);
    CHECK(r.exit_code == 0);
    // Rows of 64 do not fit 256-element K-quant blocks.
    CHECK_THAT(r.err, Catch::Contains("blk.0.attn_q.weight: rows of 64 do not fit Q6_K's 256-element blocks; written as Q8_0"));
}

TEST_CASE("perplexity and bench take the context from the config", "[cli][arguments]") {
    const auto config = std::filesystem::temp_directory_path() / ("plinth-ctx-" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(config) << "model:\n  context: 64\n";
    const auto ppl = run_plinth("perplexity --config " + shell_quote(config.string()) + " -m " + model_arg("stories260K.gguf") + " -f " +
                                shell_quote((shared_dir() / "golden" / "story.txt").string()));
    CHECK(ppl.exit_code == 0);
    CHECK_THAT(ppl.out, Catch::Contains("chunks of 64 tokens"));
    const auto bench = run_plinth("bench --config " + shell_quote(config.string()) + " -m " + model_arg("stories260K.gguf") + " -p 128 -n 8 -r 1");
    CHECK(bench.exit_code == 1);
    CHECK_THAT(bench.err, Catch::Contains("shorter than -p + -n"));
    std::filesystem::remove(config);
}

TEST_CASE("the common options may come before the verb, and plinth help help helps", "[cli][arguments]") {
    const auto before = run_plinth("--log-level info run -m " + model_arg("stories260K.gguf") + " -p Once -n 2 --temp 0");
    CHECK(before.exit_code == 0);
    CHECK_THAT(before.err, Catch::Contains("[info]"));
    const auto joined = run_plinth("--log-level=debug tokenize -m " + model_arg("stories260K.gguf") + " -p hi");
    CHECK(joined.exit_code == 0);
    CHECK_THAT(joined.err, Catch::Contains("[debug]"));
    const auto help = run_plinth("help help");
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains("usage: plinth VERB"));
}

TEST_CASE("bench --bandwidth gives decode as a fraction of the machine's read bandwidth", "[cli][bench]") {
    const auto r = run_plinth("bench -m " + model_arg("stories260K.gguf") + " -p 0 -n 16 -r 3 --bandwidth --output json");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out);
    const double read = j.at("read_bandwidth_gb_s"), decode = j.at("decode_weight_gb_s");
    CHECK(read > 0.1);  // any machine reads more than 100 MB/s
    CHECK(decode > 0);
    // One reading per timed repetition, each decode against the probe's reads beside it; the
    // figure is their median.
    const auto& each = j.at("repetitions_bandwidth");
    REQUIRE(each.size() == 3);
    std::vector<double> fractions, reads;
    for (const auto& e : each) {
        CHECK(double(e.at("fraction")) == Approx(double(e.at("decode_weight_gb_s")) / double(e.at("read_gb_s"))).epsilon(1e-9));
        fractions.push_back(e.at("fraction"));
        reads.push_back(e.at("read_gb_s"));
    }
    std::sort(fractions.begin(), fractions.end());
    std::sort(reads.begin(), reads.end());
    CHECK(double(j.at("decode_bandwidth_fraction")) == Approx(fractions[1]).epsilon(1e-12));
    CHECK(read == Approx(reads[1]).epsilon(1e-12));
    const auto md = run_plinth("bench -m " + model_arg("stories260K.gguf") + " -p 0 -n 8 -r 1 --bandwidth");
    CHECK_THAT(md.out, Catch::Contains("GB/s of weights; the machine reads"));
    CHECK_THAT(md.out, Catch::Contains("each repetition (the machine's reads before and after it):"));
    const auto no_decode = run_plinth("bench -m " + model_arg("stories260K.gguf") + " -p 8 -n 0 -r 1 --bandwidth");
    CHECK(no_decode.exit_code != 0);
    CHECK_THAT(no_decode.err, Catch::Contains("--bandwidth measures beside the decode test"));
}
