#include "row_pipeline.hpp"

#include "cli_common.hpp"

#include <plinth/weight_formats.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace plinth::cli {

// ---- thread_pool ----

thread_pool::thread_pool(unsigned threads) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned t = 1; t < threads; ++t) workers_.emplace_back([this, t] { work(t); });
}

thread_pool::~thread_pool() {
    {
        const std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
}

void thread_pool::drain(unsigned thread) {
    std::unique_lock lock(mutex_);
    while (next_ < n_) {
        const std::size_t index = next_++;
        const auto* task = task_;
        const bool skip = error_ != nullptr;  // after a failure the remaining tasks are skipped
        lock.unlock();
        try {
            if (!skip) (*task)(index, thread);
        } catch (...) {
            const std::lock_guard relock(mutex_);
            if (!error_) error_ = std::current_exception();
        }
        lock.lock();
        if (++finished_ == n_) done_.notify_all();
    }
}

void thread_pool::work(unsigned thread) {
    uint64_t seen = 0;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
            if (stop_) return;
            seen = generation_;
        }
        drain(thread);
    }
}

void thread_pool::run(std::size_t n, const std::function<void(std::size_t, unsigned)>& task) {
    if (n == 0) return;
    {
        const std::lock_guard lock(mutex_);
        task_ = &task;
        n_ = n;
        next_ = 0;
        finished_ = 0;
        error_ = nullptr;
        ++generation_;
    }
    wake_.notify_all();
    drain(0);
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return finished_ == n_; });
    task_ = nullptr;
    n_ = 0;
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

// ---- progress_line ----

progress_line::progress_line(uint64_t total_bytes, std::size_t total_tensors)
    : tty_(::isatty(STDERR_FILENO) != 0), total_(total_bytes), tensors_(total_tensors) {}

void progress_line::begin_tensor(const std::string& name, const std::string& type) {
    ++tensor_;
    label_ = name + " " + type;
    draw(false);
}

void progress_line::add(uint64_t bytes) {
    bytes_ += bytes;
    draw(false);
}

void progress_line::draw(bool force) {
    if (!tty_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double percent = total_ > 0 ? 100.0 * double(bytes_) / double(total_) : 100.0;
    std::fprintf(stderr, "\r\033[K[%zu/%zu] %5.1f%%  %.0f / %.0f MiB  %s", tensor_, tensors_, percent,
                 double(bytes_) / 1048576.0, double(total_) / 1048576.0, label_.c_str());
    std::fflush(stderr);
}

void progress_line::done() {
    if (!tty_) return;
    bytes_ = total_;
    draw(true);
    std::fprintf(stderr, "\n");
}

// ---- stream_rows ----

void stream_rows(model_writer& writer, thread_pool& pool, uint32_t type, int64_t rows, int64_t n,
                 const std::function<void(int64_t, float*)>& fill, progress_line& progress) {
    constexpr std::size_t chunk_target = std::size_t{16} << 20;  // bytes of output per chunk
    const std::size_t row_bytes = weight_formats::row_bytes(type, n);
    const int64_t rows_per_chunk = std::max<int64_t>(1, static_cast<int64_t>(chunk_target / std::max<std::size_t>(row_bytes, 1)));
    std::vector<std::byte> chunk(static_cast<std::size_t>(std::min(rows, rows_per_chunk)) * row_bytes);
    std::vector<std::vector<float>> scratch(pool.size(), std::vector<float>(static_cast<std::size_t>(n)));

    for (int64_t first = 0; first < rows; first += rows_per_chunk) {
        check_interrupted();
        const int64_t count = std::min(rows_per_chunk, rows - first);
        // Enough tasks to balance uneven rows (K-quant fits take longer on some), each a run of rows.
        const auto tasks = static_cast<std::size_t>(std::min<int64_t>(count, int64_t(pool.size()) * 8));
        pool.run(tasks, [&](std::size_t task, unsigned thread) {
            const int64_t begin = first + count * int64_t(task) / int64_t(tasks);
            const int64_t end = first + count * int64_t(task + 1) / int64_t(tasks);
            float* row = scratch[thread].data();
            for (int64_t r = begin; r < end; ++r) {
                fill(r, row);
                auto* out = chunk.data() + static_cast<std::size_t>(r - first) * row_bytes;
                weight_formats::quantize_row(type, row, out, n);
            }
        });
        const uint64_t bytes = static_cast<uint64_t>(count) * row_bytes;
        writer.write(chunk.data(), bytes);
        progress.add(bytes);
    }
}

}  // namespace plinth::cli
