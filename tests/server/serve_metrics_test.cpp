// /metrics in Prometheus' format (checked by Debian's python3-prometheus-client), /health while
// every slot is busy, and load shedding beyond the wait queue.
#include "serve_test_support.hpp"

#include <chrono>
#include <fstream>
#include <future>
#include <thread>

using namespace plinth::test;

namespace {

// Starts a long streaming request on its own connection; it runs until the connection closes.
std::unique_ptr<raw_connection> long_request(unsigned short port) {
    auto c = std::make_unique<raw_connection>(port);
    const std::string body = json{{"prompt", "Once upon a time"}, {"max_tokens", 1000}, {"ignore_eos", true}, {"stream", true}}.dump();
    c->send("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body);
    return c;
}

void wait_for(unsigned short port, double running, double waiting) {
    for (int i = 0; i < 500; ++i) {
        if (metric(port, "plinth:num_requests_running") == running && metric(port, "plinth:num_requests_waiting") == waiting) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("the server never reported " << running << " running and " << waiting << " waiting");
}

}  // namespace

TEST_CASE("/metrics parses with prometheus_client and its histograms count every request", "[server][metrics]") {
    server_process server({"-m", stories(), "--parallel", "2"});
    const auto port = server.port();
    const int requests = 5;
    for (int i = 0; i < requests; ++i) REQUIRE(greedy_completion(port, "Once upon a time", 8).size() > 0);
    const auto r = http_request(port, "GET", "/metrics");
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type").find("text/plain") == 0);
    const auto file = std::filesystem::temp_directory_path() / ("plinth-metrics-" + std::to_string(::getpid()) + ".txt");
    std::ofstream(file) << r.body;
    // Debian's package, with Debian's interpreter (a pyenv python on PATH would not see it).
    const std::string script =
        "import sys\n"
        "from prometheus_client.parser import text_string_to_metric_families\n"
        "fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}\n"
        "def count(name):\n"
        "    return [s.value for s in fams[name].samples if s.name == name + '_count'][0]\n"
        "for h in ['plinth:time_to_first_token_seconds', 'plinth:e2e_request_latency_seconds', 'plinth:request_queue_time_seconds']:\n"
        "    assert fams[h].type == 'histogram', h\n"
        "    print(h, count(h))\n"
        "print('itl', count('plinth:inter_token_latency_seconds'))\n"
        "for g in ['plinth:num_requests_running', 'plinth:num_requests_waiting', 'plinth:kv_cache_usage_perc']:\n"
        "    assert fams[g].type == 'gauge', g\n"
        "for c in ['plinth:prompt_tokens', 'plinth:generation_tokens', 'plinth:prefix_cache_queries', 'plinth:prefix_cache_hits']:\n"
        "    assert fams[c].type == 'counter', c\n"
        "    print(c, fams[c].samples[0].value)\n";
    const auto out = run_command("/usr/bin/python3 -c " + shell_quote(script) + " " + shell_quote(file.string()));
    std::filesystem::remove(file);
    INFO(out.out << out.err);
    REQUIRE(out.exit_code == 0);
    CHECK(out.out.find("plinth:time_to_first_token_seconds 5.0") != std::string::npos);
    CHECK(out.out.find("plinth:e2e_request_latency_seconds 5.0") != std::string::npos);
    CHECK(out.out.find("plinth:request_queue_time_seconds 5.0") != std::string::npos);
    CHECK(out.out.find("itl 35.0") != std::string::npos);  // 7 gaps in each of 5 requests of 8 tokens
    CHECK(out.out.find("plinth:generation_tokens 40.0") != std::string::npos);
}

TEST_CASE("/health answers at once while every slot is busy", "[server][metrics]") {
    server_process server({"-m", slow_model(), "--parallel", "2"});
    const auto port = server.port();
    auto a = long_request(port), b = long_request(port);
    wait_for(port, 2, 0);
    double worst = 0;
    for (int i = 0; i < 20; ++i) {
        const auto r = http_request(port, "GET", "/health");
        CHECK(r.status == 200);
        CHECK(r.body == R"({"status":"ok"})");
        worst = std::max(worst, r.seconds);
    }
    INFO("slowest /health: " << worst << " s");
    CHECK(worst < 0.1);
}

TEST_CASE("with every slot busy and the queue full, the next request gets 503 at once", "[server][metrics]") {
    server_process server({"-m", slow_model(), "--parallel", "8", "--queue", "4", "-c", "1024"});
    const auto port = server.port();
    std::vector<std::unique_ptr<raw_connection>> busy;
    for (int i = 0; i < 12; ++i) busy.push_back(long_request(port));
    wait_for(port, 8, 4);
    const auto r = post_json(port, "/v1/completions", json{{"prompt", "Hello"}, {"max_tokens", 4}}.dump());
    CHECK(r.status == 503);
    CHECK(r.headers.count("retry-after") == 1);
    CHECK(r.seconds < 0.5);
    CHECK(body_of(r)["error"]["message"].get<std::string>().find("busy") != std::string::npos);
    busy.clear();  // the clients go; their slots free
    wait_for(port, 0, 0);
    CHECK(greedy_completion(port, "Once upon a time", 4).size() > 0);
}
