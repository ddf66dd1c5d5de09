#pragma once
// A fixed pool of N-1 worker threads plus the calling thread. Work is an index range [0, n) cut
// into chunks of `grain` indices; every thread takes the next chunk from a shared counter until
// none is left, so an uneven chunk does not hold the others up. Idle workers sleep on a condition
// variable: nothing spins between calls.
//
// One parallel_for at a time: the caller (graph_compute) serialises its calls.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace plinth::cpu {

class thread_pool {
public:
    explicit thread_pool(unsigned threads);  // threads >= 1, the caller included
    ~thread_pool();
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;

    unsigned size() const { return unsigned(workers_.size()) + 1; }

    // Calls fn(begin, end, thread) for chunks covering [0, n), each at most `grain` long;
    // `thread` (< size()) names the thread running it, for per-thread scratch. Returns when every
    // chunk is done. An exception thrown by fn stops the remaining chunks and is rethrown here as
    // std::runtime_error with its message.
    template <class Fn>
    void parallel_for(int64_t n, int64_t grain, Fn&& fn) {
        if (n <= 0) return;
        if (grain < 1) grain = 1;
        auto call = [](void* ctx, int64_t begin, int64_t end, unsigned thread) {
            (*static_cast<std::remove_reference_t<Fn>*>(ctx))(begin, end, thread);
        };
        run(n, grain, call, &fn);
    }

private:
    using chunk_fn = void (*)(void* ctx, int64_t begin, int64_t end, unsigned thread);
    struct job;

    void run(int64_t n, int64_t grain, chunk_fn fn, void* ctx);
    static void work(job& j, unsigned thread);
    void worker_main(unsigned thread);

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;   // workers wait here for a new job
    std::condition_variable done_;   // the caller waits here for the workers to finish
    job* current_ = nullptr;         // guarded by mutex_
    uint64_t generation_ = 0;        // guarded by mutex_; bumped for every job
    unsigned participants_ = 0;      // guarded by mutex_; workers 1..participants_-1 take part
    unsigned running_ = 0;           // guarded by mutex_; participating workers not yet finished
    bool stop_ = false;              // guarded by mutex_
};

}  // namespace plinth::cpu
