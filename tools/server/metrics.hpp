#pragma once
// The server's metrics in Prometheus' text format, named as vLLM names them with a `plinth:`
// prefix, so dashboards made for vLLM work by swapping the prefix. Thread-safe.
#include <plinth/scheduler.hpp>

#include <mutex>
#include <string>
#include <vector>

namespace plinth::server {

class histogram {
public:
    explicit histogram(std::vector<double> bounds);
    void observe(double v);
    // Appends the `_bucket`, `_sum` and `_count` lines.
    void render(std::string& out, const std::string& name, const std::string& labels) const;

private:
    std::vector<double> bounds_;
    std::vector<uint64_t> counts_;  // per bucket (not cumulative); the last one is +Inf
    double sum_ = 0;
    uint64_t count_ = 0;
};

class metrics;

// One model's share of the page: its request metrics and its scheduler's counters (zero while
// it is not loaded).
struct metrics_source {
    const metrics* requests;
    scheduler_stats running;
    bool loaded = false;
};
// The whole page: each metric family once, with one sample per model.
std::string render_metrics(const std::vector<metrics_source>& models);

// The request metrics of one model, kept across its loads.
class metrics {
public:
    explicit metrics(std::string model_name);
    // A request the scheduler finished (every accepted request, exactly once).
    void record(const completion_result& r);

private:
    friend std::string render_metrics(const std::vector<metrics_source>& models);
    mutable std::mutex mutex_;
    std::string labels_;
    histogram ttft_, itl_, e2e_, queue_;
    uint64_t finished_[5] = {};  // by finish_reason
};

}  // namespace plinth::server
