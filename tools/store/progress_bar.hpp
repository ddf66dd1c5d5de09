#pragma once
// Download progress on stderr: a bar redrawn in place with the rate and the time left on a
// terminal, plain lines every few seconds otherwise (logs, CI). The formatting is pure, for tests.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace plinth::store {

// "1.5 MiB", "512 B".
std::string format_size(uint64_t bytes);
// "1h02m", "3m05s", "42s"; "--" when unknown (no rate yet).
std::string format_duration(double seconds);
// "name  [=========>          ]  45%  1.2 MiB/2.7 MiB  350.0 KiB/s  4s left", `width` characters
// of bar. `total` 0 means unknown.
std::string format_bar(const std::string& label, uint64_t done, uint64_t total, double bytes_per_second, int width);
// "name: 45% (1.2 MiB of 2.7 MiB), 350.0 KiB/s, 4s left".
std::string format_line(const std::string& label, uint64_t done, uint64_t total, double bytes_per_second);

class progress_reporter {
public:
    // `terminal`: redraw one line in place; otherwise print a line at most every `interval`.
    progress_reporter(std::FILE* out, bool terminal, std::chrono::milliseconds interval = std::chrono::seconds(5));
    // A new file: `already` bytes were there before (a resumed download), not counted in the rate.
    void start(const std::string& label, uint64_t already, uint64_t total);
    void update(uint64_t done);
    void finish();  // the final state, and the bar's line ended

private:
    using clock = std::chrono::steady_clock;
    std::FILE* out_;
    bool terminal_;
    std::chrono::milliseconds interval_;
    std::string label_;
    uint64_t total_ = 0, already_ = 0, done_ = 0;
    clock::time_point started_, last_shown_;
    double rate() const;
    void show();
};

}  // namespace plinth::store
