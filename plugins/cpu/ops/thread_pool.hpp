#pragma once
// A fixed pool of N-1 worker threads plus the calling thread. Work is an index range [0, n) cut
// into chunks of `grain` indices; every thread takes the next chunk from a shared counter until
// none is left, so an uneven chunk does not hold the others up (parallel_for_contiguous: each
// thread first takes its own contiguous share of the chunks, then helps with the others').
//
// Hand-off: a decode step runs a few hundred short jobs. After a job a worker watches for the
// next one for a few microseconds (kSpin in thread_pool.cpp) before it sleeps on a condition
// variable, and the caller wakes sleepers only when there are any. The caller does not wait for
// a worker that has not started yet: once every chunk is handed out it closes the job, and waits
// (briefly watching, then sleeping) only for the workers that joined it. On a busy machine a woken
// worker may not run for milliseconds; the caller then does the whole job itself. Nothing spins
// for longer than kSpin: an idle pool sleeps.
//
// One parallel_for at a time: the caller (graph_compute) serialises its calls.
#include <atomic>
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
        launch(n, grain, fn, false);
    }

    // As parallel_for, but each thread first takes the chunks of its own contiguous share of
    // [0, n) in order, then helps the others from the far ends of theirs. For streaming work
    // (decoding's matrix-vector products): a thread's next chunk continues the memory it is
    // reading, so the hardware's and the kernels' prefetching run on across chunks, where the
    // shared counter gave each thread every other chunk, and each chunk began with a wait on memory.
    template <class Fn>
    void parallel_for_contiguous(int64_t n, int64_t grain, Fn&& fn) {
        launch(n, grain, fn, true);
    }

private:
    using chunk_fn = void (*)(void* ctx, int64_t begin, int64_t end, unsigned thread);
    struct job;

    template <class Fn>
    void launch(int64_t n, int64_t grain, Fn& fn, bool contiguous) {
        if (n <= 0) return;
        if (grain < 1) grain = 1;
        auto call = [](void* ctx, int64_t begin, int64_t end, unsigned thread) { (*static_cast<Fn*>(ctx))(begin, end, thread); };
        run(n, grain, call, const_cast<void*>(static_cast<const void*>(&fn)), contiguous);  // (fn may be const)
    }
    void run(int64_t n, int64_t grain, chunk_fn fn, void* ctx, bool contiguous);
    static void work(job& j, unsigned thread);
    static bool next_chunk(job& j, unsigned thread, int64_t& chunk);
    static void stop_chunks(job& j);
    void worker_main(unsigned thread);

    // The published job in one word: generation << 32 | participants << 16 | closed << 15 | active.
    // A worker joins a job (active + 1) only while its generation is current and it is not closed,
    // and leaves (active - 1) when it finds no chunk left. The caller closes the job once every
    // chunk has been handed out and then waits only for the workers that joined, never for one
    // that has not been scheduled yet (on a busy machine that can take milliseconds).
    static constexpr uint64_t kActiveMask = (uint64_t(1) << 15) - 1;
    static constexpr uint64_t kClosed = uint64_t(1) << 15;
    static constexpr unsigned kParticipantShift = 16;
    static constexpr uint64_t kParticipantMask = 0xffff;
    static constexpr unsigned kGenerationShift = 32;

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;   // sleeping workers wait here for a new job
    std::condition_variable done_;   // the caller sleeps here for the joined workers to leave
    job* current_ = nullptr;         // written before `state_` is published, read by joined workers
    alignas(64) std::atomic<uint64_t> state_{0};
    std::atomic<unsigned> sleepers_{0};       // workers in (or entering) wake_.wait
    std::atomic<bool> caller_sleeping_{false};
    std::atomic<bool> stop_{false};
};

}  // namespace plinth::cpu
