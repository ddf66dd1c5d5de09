// plinth bench: prefill (pp) and decode (tg) speed as llama-bench measures them, plus load time
// and peak memory. Each repetition uses a fresh sequence; results are mean ± standard deviation.
#include "cli_model.hpp"
#include "read_bandwidth.hpp"

#include <nlohmann/json.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <set>
#include <thread>

namespace plinth::cli {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

struct stats {
    double mean = 0, stddev = 0;
};

stats summarize(const std::vector<double>& v) {
    stats s;
    if (v.empty()) return s;
    for (double x : v) s.mean += x;
    s.mean /= static_cast<double>(v.size());
    if (v.size() > 1) {
        double sq = 0;
        for (double x : v) sq += (x - s.mean) * (x - s.mean);
        s.stddev = std::sqrt(sq / static_cast<double>(v.size() - 1));
    }
    return s;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const size_t h = v.size() / 2;
    return v.size() % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}

// Bytes of weights one decoded token reads: every matrix a matmul reads (each once, the experts'
// stacks whole: an upper bound for a mixture of experts), the norms and biases; the embedding
// table gives one row.
double weight_bytes_per_token(const architecture& arch) {
    std::set<const void*> seen;
    double bytes = 0;
    const auto count = [&](const weight_use& w) {
        if (!seen.insert(w.tensor->data).second && w.op != PLINTH_OP_GET_ROWS) return;
        if (w.op == PLINTH_OP_GET_ROWS) bytes += double(w.tensor->size) / double(w.tensor->shape.size() > 1 ? w.tensor->shape[1] : 1);
        else bytes += double(w.tensor->size);
    };
    for (const auto& w : arch.global_weights()) count(w);
    for (uint32_t l = 0; l < arch.hparams().n_layer; ++l)
        for (const auto& w : arch.layer_weights(l)) count(w);
    return bytes;
}

double peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

int run_bench(const std::vector<std::string>& args) {
    return guarded("bench", [&] {
        common_options common;
        model_options model;
        uint32_t n_prompt = 128, n_gen = 64, reps = 5, batch = 1;
        bool bandwidth = false;
        std::string output = "md";
        po::options_description options("options");
        add_model_options(options, model);
        options.add_options()
            ("n-prompt,p", po::value(&n_prompt)->value_name("N"), "prompt tokens for the prefill test; 0 = skip (default 128)")
            ("n-gen,n", po::value(&n_gen)->value_name("N"), "tokens for the decode test; 0 = skip (default 64)")
            ("batch,b", po::value(&batch)->value_name("B"),
             "decode B sequences together, one token of each per forward pass, as a server batches them; "
             "tg is then the tokens of all B per second (default 1)")
            ("repetitions,r", po::value(&reps)->value_name("N"), "repetitions of each test (default 5)")
            ("bandwidth", po::bool_switch(&bandwidth),
             "also measure the memory read bandwidth with the same threads beside each decode repetition, and give decode as a fraction of it")
            ("output,o", po::value(&output)->value_name("FORMAT"), "md or json (default md)");
        add_common_options(options, common);
        if (!parse_arguments("bench", "-m MODEL [-t THREADS] [-p 128] [-n 64] [-r REPS] [--bandwidth] [--output md|json]", args,
                             options, {}, common))
            return 0;
        if (output != "md" && output != "json") throw po::error("--output must be md or json");
        if (reps == 0) throw po::error("--repetitions must be at least 1");
        if (batch == 0 || batch > 4096) throw po::error("--batch must be between 1 and 4096");
        if (bandwidth && n_gen == 0) throw po::error("--bandwidth measures beside the decode test: it needs -n above 0");

        auto s = open_session(common);
        // The context: -c, else the config's model.context, else just what the tests need.
        if (model.context == 0) model.context = s->config.model.context;
        if (model.context == 0) model.context = std::max<uint32_t>(n_prompt + n_gen, 16);
        if (model.context < n_prompt + n_gen)
            throw po::error("the context (" + std::to_string(model.context) + ") is shorter than -p + -n (" +
                            std::to_string(n_prompt + n_gen) + ")");
        const auto load_start = clock_type::now();
        auto m = load_model(*s, model, batch);
        const double load_s = seconds_since(load_start);
        const uint32_t vocab = m.eng->hparams().n_vocab;
        const double bytes_per_token = weight_bytes_per_token(m.eng->model_architecture());

        // Random token ids, as llama-bench uses: the speed does not depend on the text.
        std::mt19937 rng(42);
        std::uniform_int_distribution<int32_t> any_token(0, static_cast<int32_t>(vocab) - 1);
        std::vector<int32_t> prompt(n_prompt);
        for (auto& t : prompt) t = any_token(rng);

        const bool tty = isatty(STDERR_FILENO);
        std::vector<double> pp, tg;
        // --bandwidth: the machine's read bandwidth right before and after each timed decode, the
        // same threads; a shared host's bandwidth swings between minutes (1.5x and more on the
        // machines of docs/performance.md), so a figure taken once would compare different minutes.
        std::unique_ptr<read_bandwidth_probe> probe;
        std::vector<double> probe_reads, fractions;
        double rss = 0;
        // One warm-up of each test, not counted (page faults of the mapping, thread start-up).
        for (uint32_t r = 0; r <= reps; ++r) {
            if (tty) std::fprintf(stderr, "\rrepetition %u of %u", r, reps);
            if (r == 1 && bandwidth) {  // (-n 0 with --bandwidth is refused above)
                // The model's peak is reached by the warm-up; the probe's buffer is not the model's.
                rss = peak_rss_mib();
                probe = std::make_unique<read_bandwidth_probe>(model.threads ? model.threads : std::max(1u, std::thread::hardware_concurrency()));
            }
            if (n_prompt) {
                const int32_t seq = m.eng->add_sequence();
                const auto start = clock_type::now();
                m.eng->evaluate(seq, prompt);
                const double t = seconds_since(start);
                m.eng->remove_sequence(seq);
                if (r) pp.push_back(n_prompt / t);
            }
            if (n_gen) {
                std::vector<batch_item> step(batch);
                for (auto& item : step) item = {m.eng->add_sequence(), 0, true};
                const double read_before = probe ? probe->measure() : 0;
                const auto start = clock_type::now();
                for (uint32_t i = 0; i < n_gen; ++i) {
                    for (auto& item : step) item.token = any_token(rng);
                    m.eng->forward(step);
                }
                const double t = seconds_since(start);
                for (const auto& item : step) m.eng->remove_sequence(item.seq);
                if (r) tg.push_back(double(n_gen) * batch / t);
                if (probe) {
                    const double read = (read_before + probe->measure()) / 2;
                    probe_reads.push_back(read);
                    fractions.push_back(bytes_per_token * n_gen / t / read);
                }
            }
        }
        if (tty) std::fprintf(stderr, "\r%*s\r", 30, "");

        const stats pps = summarize(pp), tgs = summarize(tg);
        // Decode against the machine's read bandwidth: the median of the repetitions' fractions.
        const double decode_bw = bytes_per_token * (batch > 1 ? tgs.mean / batch : tgs.mean);
        const double read_bw = median(probe_reads), fraction = median(fractions);
        if (!probe) rss = peak_rss_mib();
        if (output == "json") {
            nlohmann::json j = {{"model", m.eng->file().path().string()},
                                {"threads", model.threads ? nlohmann::json(model.threads) : nlohmann::json(nullptr)},
                                {"n_prompt", n_prompt},
                                {"n_gen", n_gen},
                                {"batch", batch},
                                {"repetitions", reps},
                                {"pp_tok_s", pps.mean},
                                {"pp_tok_s_stddev", pps.stddev},
                                {"tg_tok_s", tgs.mean},
                                {"tg_tok_s_stddev", tgs.stddev},
                                {"load_s", load_s},
                                {"peak_rss_mib", rss},
                                // What a decoded token reads: for a device's bandwidth measured elsewhere.
                                {"weight_bytes_per_token", bytes_per_token}};
            if (probe) {
                j["read_bandwidth_gb_s"] = read_bw / 1e9;
                j["decode_weight_gb_s"] = decode_bw / 1e9;
                j["decode_bandwidth_fraction"] = fraction;
                auto& each = j["repetitions_bandwidth"] = nlohmann::json::array();
                for (size_t i = 0; i < fractions.size(); ++i)
                    each.push_back({{"read_gb_s", probe_reads[i] / 1e9}, {"decode_weight_gb_s", fractions[i] * probe_reads[i] / 1e9},
                                    {"fraction", fractions[i]}});
            }
            std::cout << j.dump(2) << "\n";
        } else {
            std::printf("| model | test | t/s |\n|---|---|---|\n");
            const std::string name = m.eng->file().path().filename().string();
            if (n_prompt) std::printf("| %s | pp%u | %.2f ± %.2f |\n", name.c_str(), n_prompt, pps.mean, pps.stddev);
            const std::string tg_name = "tg" + std::to_string(n_gen) + (batch > 1 ? " x" + std::to_string(batch) : "");
            if (n_gen) std::printf("| %s | %s | %.2f ± %.2f |\n", name.c_str(), tg_name.c_str(), tgs.mean, tgs.stddev);
            std::printf("\nload %.3f s, peak RSS %.1f MiB\n", load_s, rss);
            if (probe) {
                std::printf("decode reads %.2f GB/s of weights; the machine reads %.2f GB/s: %.0f%%\n", decode_bw / 1e9,
                            read_bw / 1e9, 100.0 * fraction);
                std::printf("each repetition (the machine's reads before and after it):");
                for (size_t i = 0; i < fractions.size(); ++i)
                    std::printf(" %.0f%% of %.1f", 100.0 * fractions[i], probe_reads[i] / 1e9);
                std::printf(" GB/s\n");
            }
        }
        return 0;
    });
}

}  // namespace plinth::cli
