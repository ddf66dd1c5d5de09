// plinth make-model: a Llama-architecture GGUF file of any shape with random weights, for benchmarks
// and tests. The weights are generated, converted and written a chunk at a time on every core, so a
// multi-gigabyte model needs little memory.
#include "cli_common.hpp"
#include "quant_mix.hpp"
#include "row_pipeline.hpp"

#include <plinth/error.hpp>
#include <plinth/model_file.hpp>
#include <plinth/model_writer.hpp>

#include <plinth/weight_formats.hpp>

#include <chrono>
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <map>

namespace plinth::cli {
namespace {

struct shape_options {
    uint32_t embd = 0, layers = 0, heads = 0, kv_heads = 0, ffn = 0, vocab = 0, ctx = 2048;
    float rms_eps = 1e-5f, rope_base = 10000.0f, std_dev = 0.02f;
    uint64_t seed = 1;
    std::string type = "F16", vocab_from, name;
    unsigned threads = 0;
};

struct planned_tensor {
    std::string name;
    std::vector<uint64_t> shape;
    uint32_t type = 0;
    bool norm = false;
};

// splitmix64: a fast, well-mixed 64-bit sequence; one step per weight.
uint64_t mix64(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// Row `row` of tensor `tensor`: "normal-ish" values (the sum of four uniform 16-bit draws, an
// Irwin-Hall shape within 3.5 standard deviations) of standard deviation `std_dev`. Each row has its
// own stream, so the file does not depend on the number of threads.
void random_row(uint64_t seed, uint64_t tensor, int64_t row, float std_dev, float* dst, int64_t n) {
    uint64_t state = mix64(seed * 0x9e3779b97f4a7c15ULL + tensor) ^ mix64((uint64_t(row) << 20) ^ (tensor << 52) ^ 0x5851f42d4c957f2dULL);
    // Var of one 16-bit uniform: (65536^2 - 1) / 12; of four: ~65536^2 / 3.
    const float scale = std_dev / (65536.0f / std::sqrt(3.0f));
    for (int64_t i = 0; i < n; ++i) {
        state += 0x9e3779b97f4a7c15ULL;
        const uint64_t z = mix64(state);
        const uint32_t sum = uint32_t(z & 0xffff) + uint32_t((z >> 16) & 0xffff) + uint32_t((z >> 32) & 0xffff) + uint32_t(z >> 48);
        dst[i] = (float(sum) - 131070.0f) * scale;
    }
}

struct vocabulary_data {
    std::vector<std::string> tokens;
    std::vector<float> scores;
    std::vector<int32_t> types;
};

// A byte-level SentencePiece-style vocabulary of `size` tokens: <unk> <s> </s>, the 256 byte tokens,
// "▁" and the printable ASCII characters, then <unusedN> tokens.
vocabulary_data minimal_vocabulary(uint32_t size) {
    vocabulary_data v;
    const auto add = [&](std::string text, float score, int32_t type) {
        if (v.tokens.size() >= size) return;
        v.tokens.push_back(std::move(text));
        v.scores.push_back(score);
        v.types.push_back(type);
    };
    add("<unk>", 0, 2);
    add("<s>", 0, 3);
    add("</s>", 0, 3);
    for (int b = 0; b < 256; ++b) {
        char text[8];
        std::snprintf(text, sizeof text, "<0x%02X>", b);
        add(text, 0, 6);
    }
    add("\xE2\x96\x81", -1.0f, 1);  // ▁, the SentencePiece space
    for (int c = '!'; c <= '~'; ++c) add(std::string(1, char(c)), -2.0f - float(c - '!'), 1);
    for (uint32_t i = 0; v.tokens.size() < size; ++i) add("<unused" + std::to_string(i) + ">", 0, 5);
    return v;
}

void check_shape(const shape_options& o) {
    const auto need = [](bool ok, const std::string& what) {
        if (!ok) throw po::error(what);
    };
    need(o.embd > 0 && o.layers > 0 && o.heads > 0 && o.ffn > 0, "--embd, --layers, --heads and --ffn are required and must be positive");
    need(o.kv_heads > 0 && o.heads % o.kv_heads == 0, "--heads must be a multiple of --kv-heads");
    need(o.embd % o.heads == 0, "--embd must be a multiple of --heads");
    need((o.embd / o.heads) % 2 == 0, "the head size (--embd / --heads) must be even");
    need(o.ctx > 0, "--ctx must be positive");
    // Beyond these no model exists, and the sizes below would overflow before the disk fills.
    need(o.embd <= 65536 && o.ffn <= 1048576 && o.layers <= 1024 && o.heads <= 1024,
         "the shape is beyond any model (--embd <= 65536, --ffn <= 1048576, --layers <= 1024, --heads <= 1024)");
    need(o.vocab <= (1u << 22), "--vocab must be at most 4194304");
    need(o.std_dev > 0 && std::isfinite(o.std_dev), "--std must be positive");
}

std::string mib(uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / 1048576.0);
    return text;
}

}  // namespace

int run_make_model(const std::vector<std::string>& args) {
    return guarded("make-model", [&] {
        common_options common;
        shape_options o;
        std::string out;
        bool force = false;
        po::options_description options("options");
        options.add_options()
            ("out", po::value(&out)->value_name("OUT.gguf"), "the file to write (also the first positional argument)")
            ("embd", po::value(&o.embd)->value_name("N"), "embedding size")
            ("layers", po::value(&o.layers)->value_name("N"), "transformer blocks")
            ("heads", po::value(&o.heads)->value_name("N"), "attention heads")
            ("kv-heads", po::value(&o.kv_heads)->value_name("N"), "key/value heads (default: --heads)")
            ("ffn", po::value(&o.ffn)->value_name("N"), "feed-forward size")
            ("vocab", po::value(&o.vocab)->value_name("N"), "vocabulary size (default: the --vocab-from file's, else 32000)")
            ("ctx", po::value(&o.ctx)->value_name("N"), "training context length (default 2048)")
            ("type", po::value(&o.type)->value_name("TYPE"), ("weight file type (default F16): " + file_type_names()).c_str())
            ("vocab-from", po::value(&o.vocab_from)->value_name("FILE"), "copy the tokenizer.* metadata from this GGUF file (padded with <unusedN> tokens up to --vocab)")
            ("seed", po::value(&o.seed)->value_name("S"), "random seed (default 1)")
            ("std", po::value(&o.std_dev)->value_name("X"), "standard deviation of the weights (default 0.02); norms are 1")
            ("rms-eps", po::value(&o.rms_eps)->value_name("X"), "RMS norm epsilon (default 1e-5)")
            ("rope-base", po::value(&o.rope_base)->value_name("X"), "RoPE frequency base (default 10000)")
            ("name", po::value(&o.name)->value_name("TEXT"), "general.name (default: describes the shape)")
            ("threads,t", po::value(&o.threads)->value_name("N"), "threads (default: all cores)")
            ("force", po::bool_switch(&force), "replace OUT.gguf if it exists (a link: write the file it points to)");
        add_common_options(options, common);
        po::positional_options_description positional;
        positional.add("out", 1);
        if (!parse_arguments("make-model",
                             "OUT.gguf --embd N --layers N --heads N [--kv-heads N] --ffn N [--vocab N] [--type TYPE] [options]",
                             args, options, positional, common))
            return 0;
        if (out.empty()) throw po::error("no output file: pass OUT.gguf");
        out = output_path(out, force).string();
        catch_interrupts();
        if (o.kv_heads == 0) o.kv_heads = o.heads;
        check_shape(o);
        const file_type* target = find_file_type(o.type);
        if (target == nullptr) throw po::error("unknown --type '" + o.type + "' (one of " + file_type_names() + ")");
        const auto started = std::chrono::steady_clock::now();

        auto s = open_session(common);

        // ---- the vocabulary ----
        std::unique_ptr<model_file> vocab_file;
        vocabulary_data vocab;
        if (!o.vocab_from.empty()) {
            vocab_file = model_file::open(s->host, o.vocab_from);
            auto tokens = vocab_file->get_string_array("tokenizer.ggml.tokens");
            if (!tokens) throw error(o.vocab_from + ": no tokenizer.ggml.tokens");
            vocab.tokens = std::move(*tokens);
            const auto n = vocab.tokens.size();
            vocab.scores = vocab_file->get_f32_array("tokenizer.ggml.scores").value_or(std::vector<float>(n, 0.0f));
            vocab.types = vocab_file->get_i32_array("tokenizer.ggml.token_type").value_or(std::vector<int32_t>(n, 1));
            if (vocab.scores.size() != n || vocab.types.size() != n)
                throw error(o.vocab_from + ": tokenizer.ggml.scores or token_type does not match the token count");
            if (o.vocab == 0) o.vocab = static_cast<uint32_t>(n);
            if (o.vocab < n)
                throw po::error("--vocab " + std::to_string(o.vocab) + " is smaller than the " + std::to_string(n) +
                                " tokens of " + o.vocab_from);
            for (uint32_t i = 0; vocab.tokens.size() < o.vocab; ++i) {
                vocab.tokens.push_back("<unused" + std::to_string(i) + ">");
                vocab.scores.push_back(0.0f);
                vocab.types.push_back(5);  // unused
            }
        } else {
            if (o.vocab == 0) o.vocab = 32000;
            if (o.vocab < 259) throw po::error("--vocab must be at least 259 for the built-in byte-level vocabulary");
            vocab = minimal_vocabulary(o.vocab);
        }

        // ---- the tensors, in the order of the shared models ----
        const uint64_t E = o.embd, V = o.vocab, F = o.ffn, head_dim = o.embd / o.heads, KV = uint64_t(o.kv_heads) * head_dim;
        std::vector<planned_tensor> plan;
        plan.push_back({"token_embd.weight", {E, V}});
        plan.push_back({"output_norm.weight", {E}, 0, true});
        plan.push_back({"output.weight", {E, V}});
        for (uint32_t l = 0; l < o.layers; ++l) {
            const std::string p = "blk." + std::to_string(l) + ".";
            plan.push_back({p + "attn_q.weight", {E, E}});
            plan.push_back({p + "attn_k.weight", {E, KV}});
            plan.push_back({p + "attn_v.weight", {E, KV}});
            plan.push_back({p + "attn_output.weight", {E, E}});
            plan.push_back({p + "attn_norm.weight", {E}, 0, true});
            plan.push_back({p + "ffn_gate.weight", {E, F}});
            plan.push_back({p + "ffn_down.weight", {F, E}});
            plan.push_back({p + "ffn_up.weight", {E, F}});
            plan.push_back({p + "ffn_norm.weight", {E}, 0, true});
        }
        mix_context ctx;
        ctx.n_attn_v = ctx.n_ffn_down = o.layers;
        ctx.n_gqa = o.heads / o.kv_heads;
        ctx.has_output = true;
        uint64_t total_bytes = 0;
        std::map<std::string, uint32_t> mix;
        for (auto& t : plan) {
            t.type = choose_type(*target, {t.name, uint32_t(t.shape.size()), t.shape[0], PLINTH_TYPE_F32}, ctx);
            if (!weight_formats::is_supported(t.type))
                throw error(std::string("cannot write ") + plinth_weight_type_info(t.type).name + " weights");
            uint64_t rows = 1;
            for (size_t d = 1; d < t.shape.size(); ++d) rows *= t.shape[d];
            total_bytes += rows * weight_formats::row_bytes(t.type, int64_t(t.shape[0]));
            ++mix[plinth_weight_type_info(t.type).name];
        }

        // ---- the file: only when the disk can hold it ----
        {
            std::error_code ec;
            const auto folder = std::filesystem::absolute(out).parent_path();
            const auto space = std::filesystem::space(folder, ec);
            if (!ec && total_bytes + (64u << 20) > space.available)
                throw error(out + " needs " + mib(total_bytes) + " but " + folder.string() + " has " + mib(space.available) + " free");
        }
        auto w = model_writer::create(s->host, out);
        if (o.name.empty()) {
            o.name = "plinth-random-llama-" + std::to_string(o.embd) + "x" + std::to_string(o.layers) + "-" + target->name;
        }
        w->set("general.architecture", "llama");
        w->set("general.name", o.name);
        w->set("llama.vocab_size", o.vocab);
        w->set("llama.context_length", o.ctx);
        w->set("llama.embedding_length", o.embd);
        w->set("llama.block_count", o.layers);
        w->set("llama.feed_forward_length", o.ffn);
        w->set("llama.rope.dimension_count", static_cast<uint32_t>(head_dim));
        w->set("llama.attention.head_count", o.heads);
        w->set("llama.attention.head_count_kv", o.kv_heads);
        w->set("llama.attention.layer_norm_rms_epsilon", o.rms_eps);
        w->set("llama.rope.freq_base", o.rope_base);
        w->set("general.file_type", target->id);
        w->set("general.quantization_version", uint32_t{2});
        if (vocab_file) {
            for (const auto& key : vocab_file->metadata_keys()) {
                if (key.rfind("tokenizer.", 0) != 0) continue;
                if (key == "tokenizer.ggml.tokens") w->set(key, vocab.tokens);
                else if (key == "tokenizer.ggml.scores") w->set(key, vocab.scores);
                else if (key == "tokenizer.ggml.token_type") w->set(key, vocab.types);
                else w->copy_from(*vocab_file, key);
            }
            // Arrays the file lacked are written too, so every token has a score and a type.
            if (!vocab_file->has("tokenizer.ggml.scores")) w->set("tokenizer.ggml.scores", vocab.scores);
            if (!vocab_file->has("tokenizer.ggml.token_type")) w->set("tokenizer.ggml.token_type", vocab.types);
        } else {
            w->set("tokenizer.ggml.model", "llama");
            w->set("tokenizer.ggml.pre", "default");
            w->set("tokenizer.ggml.tokens", vocab.tokens);
            w->set("tokenizer.ggml.scores", vocab.scores);
            w->set("tokenizer.ggml.token_type", vocab.types);
            w->set("tokenizer.ggml.bos_token_id", uint32_t{1});
            w->set("tokenizer.ggml.eos_token_id", uint32_t{2});
            w->set("tokenizer.ggml.unknown_token_id", uint32_t{0});
            w->set("tokenizer.ggml.add_bos_token", true);
            w->set("tokenizer.ggml.add_eos_token", false);
        }
        for (const auto& t : plan) w->add_tensor(t.name, t.type, t.shape);

        thread_pool pool(o.threads);
        progress_line progress(total_bytes, plan.size());
        for (size_t i = 0; i < plan.size(); ++i) {
            const auto& t = plan[i];
            const auto n = int64_t(t.shape[0]);
            const auto rows = t.shape.size() > 1 ? int64_t(t.shape[1]) : int64_t{1};
            progress.begin_tensor(t.name, plinth_weight_type_info(t.type).name);
            if (t.norm) {
                stream_rows(*w, pool, t.type, rows, n, [n](int64_t, float* dst) { std::fill(dst, dst + n, 1.0f); }, progress);
            } else {
                const float std_dev = o.std_dev;
                const uint64_t seed = o.seed;
                stream_rows(*w, pool, t.type, rows, n,
                            [=](int64_t row, float* dst) { random_row(seed, i, row, std_dev, dst, n); }, progress);
            }
        }
        w->finish();
        progress.done();

        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::string mix_text;
        for (const auto& [type, count] : mix) mix_text += (mix_text.empty() ? "" : ", ") + std::to_string(count) + " " + type;
        std::printf("wrote %s: llama, embd %u, %u layers, %u/%u heads, ffn %u, vocab %u, %s (%zu tensors: %s), %s, %.1f s on %u threads\n",
                    out.c_str(), o.embd, o.layers, o.heads, o.kv_heads, o.ffn, o.vocab, target->name, plan.size(),
                    mix_text.c_str(), mib(total_bytes).c_str(), seconds, pool.size());
        return 0;
    });
}

}  // namespace plinth::cli
