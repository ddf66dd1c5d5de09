#pragma once
// Producing a tensor's rows as f32 on several threads, converting them to the tensor's type, and
// streaming the bytes to a model_writer in order, a bounded chunk at a time: the memory used is a
// few chunks, whatever the model's size. With a terminal on stderr, one progress line.
#include <plinth/model_writer.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace plinth::cli {

// A fixed set of worker threads; run() executes tasks 0..n-1 on them and on the calling thread.
class thread_pool {
public:
    explicit thread_pool(unsigned threads);  // 0: hardware concurrency
    ~thread_pool();
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;

    unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }
    // task(index, thread) for index < n; thread < size(). Rethrows the first exception of a task.
    void run(std::size_t n, const std::function<void(std::size_t index, unsigned thread)>& task);

private:
    void work(unsigned thread);
    void drain(unsigned thread);

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    const std::function<void(std::size_t, unsigned)>* task_ = nullptr;
    std::size_t n_ = 0, next_ = 0, finished_ = 0;
    uint64_t generation_ = 0;
    bool stop_ = false;
    std::exception_ptr error_;
};

// One line on stderr, rewritten at most a few times a second; silent when stderr is not a terminal.
class progress_line {
public:
    progress_line(uint64_t total_bytes, std::size_t total_tensors);
    void begin_tensor(const std::string& name, const std::string& type);
    void add(uint64_t bytes);
    void done();  // ends the line

private:
    void draw(bool force);

    bool tty_;
    uint64_t total_, bytes_ = 0;
    std::size_t tensors_, tensor_ = 0;
    std::string label_;
    std::chrono::steady_clock::time_point last_{};
};

// Writes a rows x n tensor of `type` to `writer` (declared there already, with no lent data):
// fill(row, dst) writes row `row` as n floats into dst; it is called on the pool's threads.
void stream_rows(model_writer& writer, thread_pool& pool, uint32_t type, int64_t rows, int64_t n,
                 const std::function<void(int64_t row, float* dst)>& fill, progress_line& progress);

}  // namespace plinth::cli
