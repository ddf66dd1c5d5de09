// Models that are valid GGUF but not a usable Llama, and requests that do not fit: a clear error and
// exit 1 from `plinth run`, never a crash or garbage.
#include <catch2/catch.hpp>

#include "cli.hpp"
#include "file_bytes.hpp"
#include "gguf_image.hpp"

#include <filesystem>
#include <fstream>
#include <functional>

using namespace plinth::test;
namespace gt = plinth::gguf_test;

namespace {

// stories260K with one edit, written to a temporary file.
std::filesystem::path edited_model(const std::string& name, const std::function<void(gt::gguf_image&)>& edit) {
    auto image = gt::decode(gt::read_file_bytes(shared_model("stories260K.gguf")));
    edit(image);
    const auto path = std::filesystem::temp_directory_path() / ("plinth-bad-" + name + ".gguf");
    gt::write_file_bytes(path, gt::encode(image));
    return path;
}

gt::gguf_tensor& tensor_named(gt::gguf_image& image, const std::string& name) {
    for (auto& t : image.tensors)
        if (t.name == name) return t;
    throw std::runtime_error("no tensor " + name);
}

void expect_failure(const std::string& args, const std::string& message) {
    INFO(args);
    const auto r = run_plinth(args);
    CHECK_FALSE(r.signaled);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains(message));
    CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("plinth run refuses a model it cannot build", "[cli][run]") {
    SECTION("unknown architecture") {
        const auto path = edited_model("arch", [](gt::gguf_image& image) {
            for (auto& kv : image.kvs)
                if (kv.key == "general.architecture") kv.value = gt::string_value("gptx");
        });
        expect_failure("run -m " + shell_quote(path.string()) + " -p hi", "unsupported architecture 'gptx'");
        std::filesystem::remove(path);
    }
    SECTION("missing tensor") {
        const auto path = edited_model("missing", [](gt::gguf_image& image) {
            tensor_named(image, "blk.2.ffn_up.weight").name = "blk.2.ffn_upx.weight";
        });
        expect_failure("run -m " + shell_quote(path.string()) + " -p hi", "missing tensor 'blk.2.ffn_up.weight'");
        std::filesystem::remove(path);
    }
    SECTION("tensor of the wrong shape") {
        const auto path = edited_model("shape", [](gt::gguf_image& image) {
            tensor_named(image, "blk.0.attn_q.weight").dims = {32, 128};  // same bytes, wrong shape
        });
        expect_failure("run -m " + shell_quote(path.string()) + " -p hi",
                       "tensor 'blk.0.attn_q.weight' has shape [32, 128], expected [64, 64]");
        std::filesystem::remove(path);
    }
}

TEST_CASE("plinth run refuses requests that do not fit the context", "[cli][run]") {
    const std::string model = model_arg("stories260K.gguf");
    expect_failure("run -m " + model + " -c 8 -p " + shell_quote("Once upon a time there was a little girl named Lily"),
                   "the prompt has 14 tokens; the context holds 8");
    expect_failure("run -m " + model + " -p hi -n 5000", "do not fit the context of 2048");
    expect_failure("run -m " + model + " -p hi -c 0 -n 4 --temp -1 --top-p 2", "top_p");
    expect_failure("run -m " + model + " -p hi --device metal:0", "needs the 'metal' backend plugin");
    expect_failure("run -m " + model + " -p hi --placement 0-:nosuch:0", "needs the 'nosuch' backend plugin");
    expect_failure("run -m " + model + " -p hi --device cpu:3", "does not exist");
}

TEST_CASE("a tensors rule that would make a backtracking regex engine hang is answered at once", "[cli][run]") {
    // (.*)*(.*)*... against names such as "blk.0.attn_q.weight" takes std::regex exponential time;
    // RE2 matches in linear time, so the rule is simply found to match nothing.
    const auto dir = std::filesystem::temp_directory_path();
    const auto yaml = dir / "plinth-pathological-regex.yaml";
    {
        std::ofstream out(yaml);
        out << "placement:\n  - layers: 0-\n    device: cpu:0\n"
               "  - tensors: \"(.*)*(.*)*(.*)*(.*)*(.*)*(.*)*x\"\n    device: cpu:0\n";
    }
    expect_failure("run --config " + shell_quote(yaml.string()) + " -m " + model_arg("stories260K.gguf") + " -p hi -n 1",
                   "matches no tensor of the model");
}
