#include "thread_pool.hpp"

#include <algorithm>
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
    // parallel_for_contiguous: thread t's share of the chunks, as front | back << 32 (chunk
    // numbers; the share is empty when front >= back). Its owner takes from the front, the others
    // from the back. regions == 0: the shared counter `next` instead.
    static constexpr unsigned kMaxRegions = 16;
    unsigned regions = 0;
    struct alignas(64) region {
        std::atomic<uint64_t> range{0};
    };
    region share[kMaxRegions];
    std::atomic<bool> failed{false};
    std::mutex error_mutex;
    std::string error;  // the first exception's message
};

// After a failure: nothing more is handed out.
void thread_pool::stop_chunks(job& j) {
    j.next.store(j.n, std::memory_order_relaxed);
    for (unsigned t = 0; t < j.regions; ++t) j.share[t].range.store(0, std::memory_order_relaxed);
}

// The next chunk for `thread`: from the front of its own share, else from the back of another's.
bool thread_pool::next_chunk(job& j, unsigned thread, int64_t& chunk) {
    if (j.regions == 0) {
        const int64_t begin = j.next.fetch_add(j.grain, std::memory_order_relaxed);
        chunk = begin / j.grain;
        return begin < j.n;
    }
    const auto front = [](uint64_t r) { return uint32_t(r); };
    const auto back = [](uint64_t r) { return uint32_t(r >> 32); };
    if (thread < j.regions) {
        std::atomic<uint64_t>& own = j.share[thread].range;
        for (uint64_t r = own.load(std::memory_order_relaxed); front(r) < back(r);)
            if (own.compare_exchange_weak(r, r + 1, std::memory_order_relaxed)) {
                chunk = front(r);
                return true;
            }
    }
    for (unsigned k = 1; k <= j.regions; ++k) {
        std::atomic<uint64_t>& other = j.share[(thread + k) % j.regions].range;
        for (uint64_t r = other.load(std::memory_order_relaxed); front(r) < back(r);)
            if (other.compare_exchange_weak(r, r - (uint64_t(1) << 32), std::memory_order_relaxed)) {
                chunk = back(r) - 1;
                return true;
            }
    }
    return false;
}

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
    for (int64_t chunk; next_chunk(j, thread, chunk);) {
        const int64_t begin = chunk * j.grain;
        const int64_t end = begin + j.grain < j.n ? begin + j.grain : j.n;
        try {
            j.fn(j.ctx, begin, end, thread);
        } catch (const std::exception& e) {
            std::lock_guard<std::mutex> lock(j.error_mutex);
            if (!j.failed.exchange(true)) j.error = e.what();
            stop_chunks(j);
            return;
        } catch (...) {
            std::lock_guard<std::mutex> lock(j.error_mutex);
            if (!j.failed.exchange(true)) j.error = "unknown exception in a compute thread";
            stop_chunks(j);
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

void thread_pool::run(int64_t n, int64_t grain, chunk_fn fn, void* ctx, bool contiguous) {
    const int64_t chunks = (n + grain - 1) / grain;
    job j;
    j.n = n;
    j.grain = grain;
    j.fn = fn;
    j.ctx = ctx;
    unsigned threads = chunks < int64_t(size()) ? unsigned(chunks) : size();
    if (threads > kActiveMask) threads = unsigned(kActiveMask);
    if (contiguous && threads > 1 && chunks < (int64_t(1) << 31)) {
        // Shares of chunks / regions, the first chunks % regions of them one longer.
        j.regions = std::min<unsigned>(threads, job::kMaxRegions);
        const int64_t base = chunks / j.regions, extra = chunks % j.regions;
        int64_t at = 0;
        for (unsigned t = 0; t < j.regions; ++t) {
            const int64_t end = at + base + (int64_t(t) < extra ? 1 : 0);
            j.share[t].range.store(uint64_t(at) | uint64_t(end) << 32, std::memory_order_relaxed);
            at = end;
        }
    }
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
