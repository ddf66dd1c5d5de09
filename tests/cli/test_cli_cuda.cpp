// The CUDA plugin as `plinth plugins` and `plinth devices` show it, when the build made it: on a
// machine without an NVIDIA GPU it is refused by its probe with the reason (and the rest works);
// with one it is loaded and its devices are listed.
#include <catch2/catch.hpp>

#include "cli.hpp"

#include <filesystem>

using namespace plinth::test;

#ifdef PLINTH_CUDA_PLUGIN_BUILT

namespace {

// An NVIDIA GPU with its driver: the driver's device node is there.
bool has_nvidia_device() { return std::filesystem::exists("/dev/nvidia0") || std::filesystem::exists("/dev/nvidiactl"); }

}  // namespace

TEST_CASE("plinth plugins lists the CUDA plugin: refused with its reason without a GPU, loaded with one", "[cli][cuda]") {
    const auto r = run_plinth("plugins");
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("plinth-cuda.so"));
    const auto devices = run_plinth("devices");
    REQUIRE(devices.exit_code == 0);
    if (!has_nvidia_device()) {
        CHECK_THAT(r.out, Catch::Matches(R"([\s\S]*\ncuda +backend +\S+ +1\.3 +refused [\s\S]*)"));
        CHECK_THAT(r.out, Catch::Matches(R"([\s\S]*reason: probe: (no CUDA driver \(libcuda\.so\.1 not found\)|)"
                                         R"(CUDA driver \d+\.\d+ is older than the runtime \d+\.\d+|no CUDA device)[\s\S]*)"));
        CHECK_THAT(devices.out, !Catch::Contains("cuda:0"));
        // The other backends still work.
        CHECK_THAT(devices.out, Catch::Contains("cpu:0"));
    } else {
        CHECK_THAT(r.out, Catch::Matches(R"([\s\S]*\ncuda +backend +\S+ +1\.3 +loaded [\s\S]*)"));
        CHECK_THAT(r.out, Catch::Matches(R"([\s\S]*\(sm_\d+\)[\s\S]*)"));  // the features: device names, compute capability
        CHECK_THAT(devices.out, Catch::Contains("cuda:0"));
    }
}

#endif
