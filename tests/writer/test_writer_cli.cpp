// `plinth make-model` and `plinth quantize`, end to end: the files they write load, run, score the
// reference perplexities, and carry the type mixes of docs/quantization-mixes.md.
#include <catch2/catch.hpp>

#include "writer_test_util.hpp"

#include <plinth/engine.hpp>
#include <plinth/model_file.hpp>
#include <plinth/weight_types.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

using namespace plinth;
using writer_test::host;
using writer_test::run_plinth;
using writer_test::q;
using writer_test::temp_dir;

namespace {

const std::string tiny_shape = "--embd 64 --layers 2 --heads 4 --kv-heads 2 --ffn 96 --vocab 512";
// Rows of 256 so the K-quants apply; 8 layers so the _M mixes have first, last and middle layers.
const std::string k_shape = "--embd 256 --layers 8 --heads 4 --kv-heads 2 --ffn 512 --vocab 512";

void run_ok(const std::string& args) {
    const auto r = run_plinth(args);
    INFO("plinth " << args << "\nstdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(!r.signaled);
    REQUIRE(r.exit_code == 0);
}


std::map<std::string, std::string> type_by_name(const model_file& f) {
    std::map<std::string, std::string> out;
    for (const auto& t : f.tensors()) out[t.name] = plinth_weight_type_info(t.type).name;
    return out;
}

double perplexity_of(const std::filesystem::path& model) {
    const auto r = run_plinth("perplexity -m " + q(model) + " -c 128 -f " + q(test::shared_dir() / "golden" / "story.txt"));
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    std::smatch m;
    REQUIRE(std::regex_search(r.out, m, std::regex("PPL = ([0-9.]+)")));
    return std::stod(m[1]);
}

// Generates 8 tokens greedily; the model must not stop early.
void generates_8_tokens(const std::filesystem::path& model) {
    const auto r = run_plinth("run -m " + q(model) + " -p 'Once upon a time' -n 8 --temp 0");
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("generation: 8 tokens") != std::string::npos);
}

void logits_are_finite(const std::filesystem::path& model) {
    engine_options options;
    options.context = 64;
    engine eng(host(), model, options);
    const int32_t seq = eng.add_sequence();
    const std::vector<int32_t> prompt = {1, 300, 301, 302, 303};
    const auto logits = eng.evaluate(seq, prompt);
    REQUIRE(logits.size() == eng.hparams().n_vocab);
    size_t finite = 0;
    for (float v : logits) finite += std::isfinite(v) ? 1 : 0;
    CHECK(finite == logits.size());
    const auto [lo, hi] = std::minmax_element(logits.begin(), logits.end());
    CHECK(*hi > *lo);  // not all equal: the weights did something
}

}  // namespace

TEST_CASE("make-model writes a Llama model that runs", "[cli]") {
    temp_dir dir("make");
    const auto path = dir / "tiny.gguf";
    run_ok("make-model " + q(path) + " " + tiny_shape + " --type F32 --seed 7");

    const auto f = model_file::open(host(), path);
    CHECK(f->get_string("general.architecture") == "llama");
    CHECK(f->get_uint("llama.embedding_length") == 64);
    CHECK(f->get_uint("llama.block_count") == 2);
    CHECK(f->get_uint("llama.attention.head_count") == 4);
    CHECK(f->get_uint("llama.attention.head_count_kv") == 2);
    CHECK(f->get_uint("llama.feed_forward_length") == 96);
    CHECK(f->get_uint("llama.context_length") == 2048);
    CHECK(f->get_uint("llama.rope.dimension_count") == 16);
    CHECK(f->get_uint("general.file_type") == 0);
    CHECK(f->array_size("tokenizer.ggml.tokens") == 512);
    CHECK(f->get_string("tokenizer.ggml.model") == "llama");
    const auto& ts = f->tensors();
    REQUIRE(ts.size() == 3 + 2 * 9);
    CHECK(ts[0].name == "token_embd.weight");
    CHECK(ts[1].name == "output_norm.weight");
    CHECK(ts[2].name == "output.weight");
    CHECK(ts[3].name == "blk.0.attn_q.weight");
    CHECK(ts.back().name == "blk.1.ffn_norm.weight");

    // Norms are 1; the matrices have mean ~0 and standard deviation ~0.02.
    const auto* norm = f->find_tensor("blk.1.attn_norm.weight");
    REQUIRE(norm != nullptr);
    const auto* ones = static_cast<const float*>(norm->data);
    CHECK(std::all_of(ones, ones + 64, [](float v) { return v == 1.0f; }));
    const auto* embd = f->find_tensor("token_embd.weight");
    const auto* w = static_cast<const float*>(embd->data);
    const size_t n = embd->elements();
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; ++i) {
        sum += w[i];
        sq += double(w[i]) * w[i];
    }
    const double mean = sum / double(n), sd = std::sqrt(sq / double(n) - mean * mean);
    CHECK(std::fabs(mean) < 0.001);
    CHECK(sd == Approx(0.02).epsilon(0.02));

    generates_8_tokens(path);

    // The same seed gives the same file, whatever the thread count; another seed another file.
    run_ok("make-model " + q(dir / "again.gguf") + " " + tiny_shape + " --type F32 --seed 7 --threads 1");
    CHECK(plinth::test::read_file(path) == plinth::test::read_file(dir / "again.gguf"));
    run_ok("make-model " + q(dir / "other.gguf") + " " + tiny_shape + " --type F32 --seed 8");
    CHECK(plinth::test::read_file(path) != plinth::test::read_file(dir / "other.gguf"));
}

TEST_CASE("make-model refuses shapes that cannot work", "[cli]") {
    temp_dir dir("refuse");
    const auto out = q(dir / "x.gguf");
    const auto fails = [&](const std::string& args, const std::string& message) {
        const auto r = run_plinth("make-model " + out + " " + args);
        INFO(r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find(message) != std::string::npos);
    };
    fails("--embd 64 --layers 1 --heads 3 --ffn 96", "multiple of --heads");
    fails("--embd 64 --layers 1 --heads 4 --kv-heads 3 --ffn 96", "multiple of --kv-heads");
    fails("--embd 64 --layers 1 --heads 4 --ffn 96 --vocab 100", "at least 259");
    fails("--embd 64 --layers 1 --heads 4 --ffn 96 --type Q9_9", "unknown --type");
    fails("--layers 1 --heads 4 --ffn 96", "required");
    CHECK(dir.files().empty());
}

TEST_CASE("make-model copies a vocabulary and pads it with unused tokens", "[cli]") {
    const auto vocab = test::shared_dir() / "vocab" / "ggml-vocab-llama-spm.gguf";
    if (!std::filesystem::exists(vocab)) {
        WARN("no " << vocab.string() << ": skipped");
        return;
    }
    temp_dir dir("vocab");
    const auto path = dir / "v.gguf";
    run_ok("make-model " + q(path) + " --embd 64 --layers 1 --heads 4 --ffn 96 --vocab 32016 --type Q8_0 --vocab-from " + q(vocab));
    const auto f = model_file::open(host(), path);
    const auto v = model_file::open(host(), vocab);
    const auto tokens = f->get_string_array("tokenizer.ggml.tokens");
    REQUIRE(tokens->size() == 32016);
    CHECK((*tokens)[31999] == (*v->get_string_array("tokenizer.ggml.tokens"))[31999]);
    CHECK((*tokens)[32000] == "<unused0>");
    CHECK((*tokens)[32015] == "<unused15>");
    const auto types = f->get_i32_array("tokenizer.ggml.token_type");
    CHECK(types->size() == 32016);
    CHECK(types->back() == 5);
    CHECK(f->get_f32_array("tokenizer.ggml.scores")->size() == 32016);
    CHECK(f->get_bool("tokenizer.ggml.add_bos_token") == true);
    CHECK(f->get_uint("tokenizer.ggml.bos_token_id") == 1);
    CHECK(f->get_uint("llama.vocab_size") == 32016);
    CHECK(f->find_tensor("token_embd.weight")->shape == std::vector<uint64_t>{64, 32016});
    CHECK(f->get_uint("general.file_type") == 7);
    generates_8_tokens(path);

    const auto r = run_plinth("make-model " + q(dir / "small.gguf") + " --embd 64 --layers 1 --heads 4 --ffn 96 --vocab 100 --vocab-from " + q(vocab));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("smaller than the 32000 tokens") != std::string::npos);
}

TEST_CASE("quantize stories260K: llama.cpp's types and reference perplexities", "[cli][slow]") {
    const auto source = test::shared_model("stories260K.gguf");
    if (!std::filesystem::exists(source)) {
        WARN("no " << source.string() << ": skipped");
        return;
    }
    temp_dir dir("ppl");
    const std::vector<std::pair<std::string, double>> cases = {{"Q8_0", 3.7464}, {"Q4_0", 3.9652}};
    for (const auto& [type, reference] : cases) {
        INFO(type);
        const auto out = dir / ("stories260K-" + type + ".gguf");
        run_ok("quantize " + q(source) + " " + q(out) + " " + type);
        const auto f = model_file::open(host(), out);
        CHECK(f->get_uint("general.file_type") == (type == "Q8_0" ? 7u : 2u));
        CHECK(f->get_uint("general.quantization_version") == 2);
        // Every tensor gets the type llama.cpp's quantizer gave it (ffn_down: F16, 172 is no multiple of 32).
        const auto theirs_path = test::shared_model("stories260K-" + type + ".gguf");
        if (std::filesystem::exists(theirs_path)) {
            CHECK(type_by_name(*f) == type_by_name(*model_file::open(host(), theirs_path)));
        }
        CHECK(type_by_name(*f)["blk.0.ffn_down.weight"] == "F16");
        CHECK(type_by_name(*f)["output.weight"] == "Q8_0");
        CHECK(type_by_name(*f)["blk.0.attn_norm.weight"] == "F32");
        const double ppl = perplexity_of(out);
        CHECK(std::fabs(ppl - reference) / reference < 0.01);
    }

    // An already-quantized input is converted too, with a warning.
    const auto r = run_plinth("quantize " + q(dir / "stories260K-Q8_0.gguf") + " " + q(dir / "re.gguf") + " Q4_0");
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("already quantized") != std::string::npos);
}

TEST_CASE("quantize applies the _M mixes and their fallbacks", "[cli][slow]") {
    temp_dir dir("mix");
    const auto f32 = dir / "k.gguf";
    run_ok("make-model " + q(f32) + " " + k_shape + " --type F32 --seed 3");

    SECTION("Q4_K_M") {
        const auto out = dir / "k-q4km.gguf";
        run_ok("quantize " + q(f32) + " " + q(out) + " Q4_K_M");
        const auto f = model_file::open(host(), out);
        CHECK(f->get_uint("general.file_type") == 15);
        auto types = type_by_name(*f);
        CHECK(types["token_embd.weight"] == "Q4_K");
        CHECK(types["output.weight"] == "Q6_K");
        CHECK(types["output_norm.weight"] == "F32");
        // 8 layers: layers 0 (first eighth), 7 (last eighth), 3 and 6 (every third) get more bits.
        for (int l = 0; l < 8; ++l) {
            INFO("layer " << l);
            const std::string p = "blk." + std::to_string(l) + ".";
            const bool more = l == 0 || l == 3 || l == 6 || l == 7;
            CHECK(types[p + "attn_v.weight"] == (more ? "Q6_K" : "Q4_K"));
            CHECK(types[p + "ffn_down.weight"] == (more ? "Q6_K" : "Q4_K"));
            CHECK(types[p + "attn_q.weight"] == "Q4_K");
            CHECK(types[p + "attn_k.weight"] == "Q4_K");
            CHECK(types[p + "attn_output.weight"] == "Q4_K");
            CHECK(types[p + "ffn_gate.weight"] == "Q4_K");
            CHECK(types[p + "ffn_up.weight"] == "Q4_K");
            CHECK(types[p + "attn_norm.weight"] == "F32");
        }
        logits_are_finite(out);
        generates_8_tokens(out);
    }
    SECTION("Q6_K") {
        const auto out = dir / "k-q6k.gguf";
        run_ok("quantize " + q(f32) + " " + q(out) + " Q6_K");
        const auto f = model_file::open(host(), out);
        CHECK(f->get_uint("general.file_type") == 18);
        for (const auto& [name, type] : type_by_name(*f)) {
            INFO(name);
            CHECK(type == (name.find("_norm") != std::string::npos ? "F32" : "Q6_K"));
        }
        logits_are_finite(out);
    }
    SECTION("Q3_K_M and Q5_K_M") {
        run_ok("quantize " + q(f32) + " " + q(dir / "k-q3km.gguf") + " Q3_K_M");
        auto types = type_by_name(*model_file::open(host(), dir / "k-q3km.gguf"));
        CHECK(types["blk.0.attn_v.weight"] == "Q5_K");  // the first two layers
        CHECK(types["blk.1.attn_v.weight"] == "Q5_K");
        CHECK(types["blk.2.attn_v.weight"] == "Q4_K");
        CHECK(types["blk.0.ffn_down.weight"] == "Q4_K");  // 8 / 16 = 0 layers of Q5_K
        CHECK(types["blk.0.attn_output.weight"] == "Q4_K");
        CHECK(types["blk.0.attn_q.weight"] == "Q3_K");
        CHECK(types["output.weight"] == "Q6_K");
        logits_are_finite(dir / "k-q3km.gguf");
        run_ok("quantize " + q(f32) + " " + q(dir / "k-q5km.gguf") + " Q5_K_M");
        types = type_by_name(*model_file::open(host(), dir / "k-q5km.gguf"));
        CHECK(types["blk.3.attn_v.weight"] == "Q6_K");
        CHECK(types["blk.4.attn_v.weight"] == "Q5_K");
        CHECK(types["blk.4.ffn_gate.weight"] == "Q5_K");
    }
    SECTION("rows that are no multiple of 256 fall back to 32-blocks, then F16") {
        const auto tiny = dir / "tiny.gguf";
        run_ok("make-model " + q(tiny) + " --embd 64 --layers 2 --heads 4 --kv-heads 2 --ffn 80 --vocab 512 --type F32");
        const auto out = dir / "tiny-q4km.gguf";
        run_ok("quantize " + q(tiny) + " " + q(out) + " Q4_K_M");
        auto types = type_by_name(*model_file::open(host(), out));
        CHECK(types["token_embd.weight"] == "Q5_0");      // Q4_K -> Q5_0
        CHECK(types["output.weight"] == "Q8_0");          // Q6_K -> Q8_0
        CHECK(types["blk.0.attn_q.weight"] == "Q5_0");
        CHECK(types["blk.0.attn_v.weight"] == "Q5_0");    // Q4_K -> Q5_0
        CHECK(types["blk.1.attn_v.weight"] == "Q8_0");    // a more-bits layer: Q6_K -> Q8_0
        CHECK(types["blk.0.ffn_down.weight"] == "F16");   // Q4_K -> Q5_0, but 80 is no multiple of 32
        CHECK(types["blk.1.ffn_down.weight"] == "F16");   // Q6_K -> Q8_0, likewise
        CHECK(types["blk.0.attn_norm.weight"] == "F32");
        logits_are_finite(out);

        run_ok("quantize " + q(tiny) + " " + q(dir / "tiny-f16.gguf") + " F16");
        for (const auto& [name, type] : type_by_name(*model_file::open(host(), dir / "tiny-f16.gguf"))) {
            INFO(name);
            CHECK(type == (name.find("_norm") != std::string::npos ? "F32" : "F16"));
        }
    }
}

TEST_CASE("quantize refuses what it cannot do", "[cli]") {
    temp_dir dir("qbad");
    const auto source = test::shared_model("stories260K.gguf");
    auto r = run_plinth("quantize " + q(source) + " " + q(dir / "o.gguf") + " Q7_X");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("unknown type") != std::string::npos);
    r = run_plinth("quantize " + q(dir / "missing.gguf") + " " + q(dir / "o.gguf") + " Q4_0");
    CHECK(r.exit_code == 1);
    CHECK(dir.files().empty());
}
