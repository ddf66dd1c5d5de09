#include "thread_pool.hpp"

#include <chrono>
#include <exception>
#include <stdexcept>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace plinth::cpu {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

using spin_clock = std::chrono::steady_clock;
// How long a thread watches for work (a worker after its last job) or for the joined workers' last
// chunks (the caller) before it sleeps. A forward pass hands the pool a job every few to a few
// hundred microseconds; waking a sleeping thread costs more than that on a virtual machine. A/B on
// the 134M model, 2 threads: 100 us against 5 us, prefill +4%, decoding +3.5%; 500 us no better.
// Idle longer than this, the threads sleep.
constexpr auto kSpin = std::chrono::microseconds(100);

// Waits until done() holds or kSpin has passed; true when done() holds.
template <class Done>
bool spin_until(Done&& done) {
    if (done()) return true;
    const auto start = spin_clock::now();
    for (;;) {
        for (int i = 0; i < 32; ++i) {
            if (done()) return true;
            cpu_relax();
        }
        if (spin_clock::now() - start > kSpin) return done();
    }
}

}  // namespace

struct thread_pool::job {
    int64_t n = 0;
    int64_t grain = 1;
    chunk_fn fn = nullptr;
    void* ctx = nullptr;
    alignas(64) std::atomic<int64_t> next{0};  // first index not yet handed out
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
        stop_.store(true);
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
    uint64_t seen = 0;  // the generation state_ starts at: a job published before this thread ran is still new
    for (;;) {
        uint64_t word = 0;
        auto published = [&] {
            word = state_.load(std::memory_order_acquire);
            return (word >> kGenerationShift) != seen || stop_.load(std::memory_order_relaxed);
        };
        if (!spin_until(published)) {
            std::unique_lock<std::mutex> lock(mutex_);
            sleepers_.fetch_add(1);  // seq_cst: pairs with the caller's publish-then-check in run()
            while (!published()) wake_.wait(lock);
            sleepers_.fetch_sub(1);
        }
        if (stop_.load()) return;
        // Join unless the job is closed (every chunk handed out) or does not want this thread.
        bool joined = false;
        for (;;) {
            seen = word >> kGenerationShift;
            const unsigned participants = unsigned((word >> kParticipantShift) & kParticipantMask);
            if ((word & kClosed) || thread >= participants) break;
            if (state_.compare_exchange_weak(word, word + 1)) {
                joined = true;
                break;
            }
        }
        if (!joined) continue;
        work(*current_, thread);
        const uint64_t left = state_.fetch_sub(1) - 1;  // seq_cst: pairs with caller_sleeping_ below
        if ((left & kActiveMask) == 0 && caller_sleeping_.load()) {
            std::lock_guard<std::mutex> lock(mutex_);
            done_.notify_one();
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
    unsigned threads = chunks < int64_t(size()) ? unsigned(chunks) : size();
    if (threads > kActiveMask) threads = unsigned(kActiveMask);
    if (threads <= 1) {
        work(j, 0);
    } else {
        current_ = &j;
        const uint64_t generation = (state_.load(std::memory_order_relaxed) >> kGenerationShift) + 1;
        state_.store(generation << kGenerationShift | uint64_t(threads) << kParticipantShift);  // seq_cst
        if (sleepers_.load() > 0) {
            { std::lock_guard<std::mutex> lock(mutex_); }
            wake_.notify_all();
        }
        work(j, 0);
        // Every chunk is handed out: close the job to latecomers, wait for the workers inside it.
        state_.fetch_or(kClosed);
        auto finished = [&] { return (state_.load(std::memory_order_acquire) & kActiveMask) == 0; };
        if (!spin_until(finished)) {
            std::unique_lock<std::mutex> lock(mutex_);
            caller_sleeping_.store(true);
            while (!finished()) done_.wait(lock);
            caller_sleeping_.store(false);
        }
        current_ = nullptr;
    }
    if (j.failed.load()) throw std::runtime_error(j.error);
}

}  // namespace plinth::cpu
