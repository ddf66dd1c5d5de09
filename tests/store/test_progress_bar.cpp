// The download progress display: sizes, durations, the terminal bar and the plain log line.
#include <catch2/catch.hpp>

#include <store/progress_bar.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace plinth::store;

TEST_CASE("store: sizes and durations", "[store][progress]") {
    CHECK(format_size(0) == "0 B");
    CHECK(format_size(1023) == "1023 B");
    CHECK(format_size(1536) == "1.5 KiB");
    CHECK(format_size(3ull << 30) == "3.0 GiB");
    CHECK(format_duration(0) == "0s");
    CHECK(format_duration(42.4) == "42s");
    CHECK(format_duration(185) == "3m05s");
    CHECK(format_duration(3720) == "1h02m");
    CHECK(format_duration(-1) == "--");
    CHECK(format_duration(1.0 / 0.0) == "--");
}

TEST_CASE("store: the terminal bar shows the fraction, the sizes, the rate and the time left", "[store][progress]") {
    CHECK(format_bar("m.gguf", 0, 1000, 0, 10) == "m.gguf  [>         ]   0%  0 B/1000 B  -- B/s  -- left");
    CHECK(format_bar("m.gguf", 500, 1000, 100, 10) == "m.gguf  [=====>    ]  50%  500 B/1000 B  100 B/s  5s left");
    CHECK(format_bar("m.gguf", 1000, 1000, 100, 10) == "m.gguf  [==========] 100%  1000 B/1000 B  100 B/s  0s left");
    CHECK(format_bar("m.gguf", 5, 0, 1, 4) == "m.gguf  [    ]  ??   5 B/?  1 B/s  -- left");
    CHECK(format_bar("m", 2000, 1000, 1, 4) == "m  [====] 100%  2.0 KiB/1000 B  1 B/s  0s left");  // more than announced: no overflow
}

TEST_CASE("store: the plain line says the same in words", "[store][progress]") {
    CHECK(format_line("m.gguf", 256, 1024, 64) == "m.gguf: 25% (256 B of 1.0 KiB), 64 B/s, 12s left");
    CHECK(format_line("m.gguf", 256, 0, 0) == "m.gguf: ?% (256 B of ?), -- B/s, -- left");
}

TEST_CASE("store: off a terminal the reporter prints whole lines: at the start and at the end", "[store][progress]") {
    char* text = nullptr;
    std::size_t size = 0;
    std::FILE* out = open_memstream(&text, &size);
    REQUIRE(out);
    progress_reporter p(out, false, std::chrono::hours(1));
    p.start("m.gguf", 100, 1000);
    p.update(500);  // within the interval: not shown
    p.update(1000);
    p.finish();
    std::fclose(out);
    const std::string printed(text, size);
    std::free(text);
    CHECK(printed.find('\r') == std::string::npos);
    CHECK(printed.find("m.gguf: 10% (100 B of 1000 B)") == 0);
    CHECK(printed.find("m.gguf: 100% (1000 B of 1000 B)") != std::string::npos);
    CHECK(std::count(printed.begin(), printed.end(), '\n') == 2);
}

TEST_CASE("store: on a terminal the reporter redraws one line and ends it", "[store][progress]") {
    char* text = nullptr;
    std::size_t size = 0;
    std::FILE* out = open_memstream(&text, &size);
    REQUIRE(out);
    progress_reporter p(out, true);
    p.start("m.gguf", 0, 1000);
    p.update(1000);
    p.finish();
    std::fclose(out);
    const std::string printed(text, size);
    std::free(text);
    CHECK(printed.front() == '\r');
    CHECK(printed.find("[==============================] 100%") != std::string::npos);
    CHECK(printed.back() == '\n');
    CHECK(std::count(printed.begin(), printed.end(), '\n') == 1);
}
