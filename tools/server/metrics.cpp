#include "metrics.hpp"

#include <cmath>
#include <cstdio>

namespace plinth::server {
namespace {

std::string number(double v) {
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

// Label values escape backslash, quote and newline.
std::string label_value(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

void header(std::string& out, const std::string& name, const char* type, const char* help) {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

histogram::histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}

void histogram::observe(double v) {
    size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i]) ++i;
    ++counts_[i];
    sum_ += v;
    ++count_;
}

void histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
        cumulative += counts_[i];
        out += name + "_bucket{" + labels + ",le=\"" + (i < bounds_.size() ? number(bounds_[i]) : "+Inf") + "\"} " +
               std::to_string(cumulative) + "\n";
    }
    out += name + "_sum{" + labels + "} " + number(sum_) + "\n";
    out += name + "_count{" + labels + "} " + std::to_string(count_) + "\n";
}

// Bucket bounds as vLLM's (seconds).
metrics::metrics(std::string model_name)
    : labels_("model_name=\"" + label_value(model_name) + "\""),
      ttft_({0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0}),
      itl_({0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0}),
      e2e_({0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0}),
      queue_({0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0}) {}

void metrics::record(const completion_result& r) {
    std::lock_guard lock(mutex_);
    if (r.completion_tokens > 0) ttft_.observe(r.timings.first_token);
    for (double gap : r.timings.inter_token) itl_.observe(gap);
    e2e_.observe(r.timings.total);
    queue_.observe(r.timings.queue);
    ++finished_[static_cast<int>(r.reason)];
}

std::string render_metrics(const std::vector<metrics_source>& models) {
    std::string out;
    const auto family = [&](const char* name, const char* type, const char* help, const auto& sample) {
        header(out, std::string("plinth:") + name, type, help);
        for (const auto& m : models) sample(m);
    };
    const auto gauge = [&](const char* name, const char* help, auto value) {
        family(name, "gauge", help, [&](const metrics_source& m) {
            out += std::string("plinth:") + name + "{" + m.requests->labels_ + "} " + number(static_cast<double>(value(m))) + "\n";
        });
    };
    const auto counter = [&](const char* name, const char* help, auto value) {
        family(name, "counter", help, [&](const metrics_source& m) {
            out += std::string("plinth:") + name + "{" + m.requests->labels_ + "} " + std::to_string(value(m)) + "\n";
        });
    };
    gauge("model_loaded", "1 while the model is loaded.", [](const metrics_source& m) { return m.loaded ? 1 : 0; });
    gauge("num_requests_running", "Requests in the running batch.", [](const metrics_source& m) { return m.running.running; });
    gauge("num_requests_waiting", "Requests waiting to be admitted.", [](const metrics_source& m) { return m.running.waiting; });
    gauge("kv_cache_usage_perc", "Fraction of KV-cache blocks in use (1 = full).", [](const metrics_source& m) { return m.running.kv_usage; });
    // The scheduler's counters restart with each load of a model.
    counter("prompt_tokens_total", "Prompt tokens of admitted requests.", [](const metrics_source& m) { return m.running.prompt_tokens; });
    counter("generation_tokens_total", "Generated tokens.", [](const metrics_source& m) { return m.running.generation_tokens; });
    counter("prefix_cache_queries_total", "Prompt tokens looked up in the prefix cache.",
            [](const metrics_source& m) { return m.running.prefix_queries; });
    counter("prefix_cache_hits_total", "Prompt tokens found in the prefix cache.", [](const metrics_source& m) { return m.running.prefix_hits; });
    counter("num_preemptions_total", "Sequences preempted for lack of KV cache.", [](const metrics_source& m) { return m.running.preemptions; });

    std::vector<std::unique_lock<std::mutex>> locks;
    for (const auto& m : models) locks.emplace_back(m.requests->mutex_);
    family("request_success_total", "counter", "Finished requests, by finish reason.", [&](const metrics_source& m) {
        for (int i = 0; i < 5; ++i)
            out += "plinth:request_success_total{" + m.requests->labels_ + ",finished_reason=\"" + finish_reason_name(finish_reason(i)) +
                   "\"} " + std::to_string(m.requests->finished_[i]) + "\n";
    });
    const auto hist = [&](const char* name, const char* help, histogram metrics::*h) {
        family(name, "histogram", help,
               [&](const metrics_source& m) { (m.requests->*h).render(out, std::string("plinth:") + name, m.requests->labels_); });
    };
    hist("time_to_first_token_seconds", "Time from arrival to the first generated token.", &metrics::ttft_);
    hist("inter_token_latency_seconds", "Time between successive generated tokens.", &metrics::itl_);
    hist("e2e_request_latency_seconds", "Time from arrival to the end of the request.", &metrics::e2e_);
    hist("request_queue_time_seconds", "Time a request waited before its first admission.", &metrics::queue_);
    return out;
}

}  // namespace plinth::server
