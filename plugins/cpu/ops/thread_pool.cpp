#include "thread_pool.hpp"

#include <atomic>
#include <exception>
#include <stdexcept>

namespace plinth::cpu {

struct thread_pool::job {
    int64_t n = 0;
    int64_t grain = 1;
    chunk_fn fn = nullptr;
    void* ctx = nullptr;
    std::atomic<int64_t> next{0};  // first index not yet handed out
    std::atomic<bool> failed{false};
    std::mutex error_mutex;
    std::string error;  // the first exception's message
};

thread_pool::thread_pool(unsigned threads) {
    if (threads < 1) threads = 1;
    workers_.reserve(threads - 1);
    for (unsigned t = 1; t < threads; ++t) workers_.emplace_back([this, t] { worker_main(t); });
}

thread_pool::~thread_pool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
}

void thread_pool::work(job& j, unsigned thread) {
    for (;;) {
        const int64_t begin = j.next.fetch_add(j.grain, std::memory_order_relaxed);
        if (begin >= j.n) return;
        const int64_t end = begin + j.grain < j.n ? begin + j.grain : j.n;
        try {
            j.fn(j.ctx, begin, end, thread);
        } catch (const std::exception& e) {
            std::lock_guard<std::mutex> lock(j.error_mutex);
            if (!j.failed.exchange(true)) j.error = e.what();
            j.next.store(j.n, std::memory_order_relaxed);
            return;
        } catch (...) {
            std::lock_guard<std::mutex> lock(j.error_mutex);
            if (!j.failed.exchange(true)) j.error = "unknown exception in a compute thread";
            j.next.store(j.n, std::memory_order_relaxed);
            return;
        }
    }
}

void thread_pool::worker_main(unsigned thread) {
    uint64_t seen = 0;
    for (;;) {
        job* j = nullptr;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
            if (stop_) return;
            seen = generation_;
            if (thread >= participants_) continue;  // not needed for this job
            j = current_;
        }
        work(*j, thread);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (--running_ == 0) done_.notify_one();
        }
    }
}

void thread_pool::run(int64_t n, int64_t grain, chunk_fn fn, void* ctx) {
    const int64_t chunks = (n + grain - 1) / grain;
    job j;
    j.n = n;
    j.grain = grain;
    j.fn = fn;
    j.ctx = ctx;
    const unsigned threads = chunks < int64_t(size()) ? unsigned(chunks) : size();
    if (threads <= 1) {
        work(j, 0);
    } else {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            current_ = &j;
            participants_ = threads;
            running_ = threads - 1;
            ++generation_;
        }
        wake_.notify_all();
        work(j, 0);
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [&] { return running_ == 0; });
        current_ = nullptr;
    }
    if (j.failed.load()) throw std::runtime_error(j.error);
}

}  // namespace plinth::cpu
