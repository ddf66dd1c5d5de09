#include "store/progress_bar.hpp"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>

namespace plinth::store {

std::string format_size(uint64_t bytes) {
    static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(units)) {
        value /= 1024.0;
        ++unit;
    }
    return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

std::string format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "--";
    const auto s = static_cast<uint64_t>(std::llround(seconds));
    if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
    if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
    return fmt::format("{}s", s);
}

namespace {

double time_left(uint64_t done, uint64_t total, double rate) {
    if (total == 0 || rate <= 0) return -1;
    return static_cast<double>(total > done ? total - done : 0) / rate;
}

std::string rate_text(double rate) { return rate > 0 ? format_size(static_cast<uint64_t>(rate)) + "/s" : "-- B/s"; }

}  // namespace

std::string format_bar(const std::string& label, uint64_t done, uint64_t total, double bytes_per_second, int width) {
    width = std::max(width, 1);
    const double fraction = total ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total)) : 0.0;
    const int filled = static_cast<int>(fraction * width);
    std::string bar(static_cast<std::size_t>(filled), '=');
    if (filled < width) bar += total ? ">" : " ";
    bar.resize(static_cast<std::size_t>(width), ' ');
    const std::string percent = total ? fmt::format("{:3}%", static_cast<int>(fraction * 100)) : " ?? ";
    return fmt::format("{}  [{}] {}  {}/{}  {}  {} left", label, bar, percent, format_size(done),
                       total ? format_size(total) : "?", rate_text(bytes_per_second),
                       format_duration(time_left(done, total, bytes_per_second)));
}

std::string format_line(const std::string& label, uint64_t done, uint64_t total, double bytes_per_second) {
    const std::string percent = total ? fmt::format("{}%", static_cast<int>(100.0 * static_cast<double>(std::min(done, total)) / static_cast<double>(total))) : "?%";
    return fmt::format("{}: {} ({} of {}), {}, {} left", label, percent, format_size(done), total ? format_size(total) : "?",
                       rate_text(bytes_per_second), format_duration(time_left(done, total, bytes_per_second)));
}

progress_reporter::progress_reporter(std::FILE* out, bool terminal, std::chrono::milliseconds interval)
    : out_(out), terminal_(terminal), interval_(terminal ? std::chrono::milliseconds(200) : interval) {}

void progress_reporter::start(const std::string& label, uint64_t already, uint64_t total) {
    label_ = label;
    already_ = done_ = already;
    total_ = total;
    started_ = clock::now();
    last_shown_ = started_;
    if (!terminal_) show();  // a log says when each file starts
}

double progress_reporter::rate() const {
    const double seconds = std::chrono::duration<double>(clock::now() - started_).count();
    return seconds > 0.2 ? static_cast<double>(done_ - std::min(done_, already_)) / seconds : 0.0;
}

void progress_reporter::update(uint64_t done) {
    done_ = done;
    if (clock::now() - last_shown_ < interval_) return;
    last_shown_ = clock::now();
    show();
}

void progress_reporter::show() {
    if (terminal_) std::fprintf(out_, "\r%s\x1b[K", format_bar(label_, done_, total_, rate(), 30).c_str());
    else std::fprintf(out_, "%s\n", format_line(label_, done_, total_, rate()).c_str());
    std::fflush(out_);
}

void progress_reporter::finish() {
    show();
    if (terminal_) std::fputc('\n', out_);
    std::fflush(out_);
}

}  // namespace plinth::store
