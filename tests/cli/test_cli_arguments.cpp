// Numbers and output a user gets wrong: a negative count is refused (not wrapped around to four
// billion), and results that cannot be written make the command fail.
#include <catch2/catch.hpp>

#include "cli.hpp"

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
