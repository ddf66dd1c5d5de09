// A client that goes away frees its slot within a step: mid-prefill and mid-stream.
#include "serve_test_support.hpp"

#include <chrono>
#include <thread>

using namespace plinth::test;

namespace {

std::string request_text(const json& body) {
    const std::string b = body.dump();
    return "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(b.size()) + "\r\n\r\n" + b;
}

// Seconds until num_requests_running reads 0 (or -1 after `limit` seconds).
double seconds_until_idle(unsigned short port, double limit) {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (metric(port, "plinth:num_requests_running") == 0 && metric(port, "plinth:num_requests_waiting") == 0) return elapsed;
        if (elapsed > limit) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace

TEST_CASE("a client that disconnects frees its slot within a second", "[server][cancel]") {
    server_process server({"-m", slow_model(), "--parallel", "2", "-c", "2048"});
    const auto port = server.port();
    std::vector<int32_t> long_prompt(1500);
    for (size_t i = 0; i < long_prompt.size(); ++i) long_prompt[i] = static_cast<int32_t>(3 + (i * 7) % 500);

    SECTION("during prefill of a 1,500-token prompt") {
        raw_connection c(port);
        REQUIRE(c.send(request_text({{"prompt", long_prompt}, {"max_tokens", 16}})));
        // Wait until it is being read, then go.
        for (int i = 0; i < 100 && metric(port, "plinth:num_requests_running") < 1; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        REQUIRE(metric(port, "plinth:num_requests_running") == 1);
        c.close();
        const double idle = seconds_until_idle(port, 5);
        CHECK(idle >= 0);
        CHECK(idle < 1.0);
        CHECK(metric(port, "plinth:generation_tokens_total") == 0);  // it never got to a token
    }
    SECTION("during a stream") {
        raw_connection c(port);
        REQUIRE(c.send(request_text({{"prompt", "Once upon a time"}, {"max_tokens", 1500}, {"ignore_eos", true}, {"stream", true}})));
        const std::string got = c.receive(10, "data: ");
        REQUIRE(got.find("data: ") != std::string::npos);
        c.close();
        const double idle = seconds_until_idle(port, 5);
        CHECK(idle >= 0);
        CHECK(idle < 1.0);
        CHECK(metric(port, "plinth:generation_tokens_total") < 1500);
    }
    // The log says what happened.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(server.log().find("client disconnected; cancelling") != std::string::npos);
    CHECK(server.alive());
}
