#include "read_bandwidth.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <thread>
#include <vector>

namespace plinth::cli {
namespace {

// Sums the words of [p, p + n) in 8 lanes (so the compiler keeps 8 independent vector chains),
// prefetching 2 KiB ahead; the sum keeps the loads from being optimised away. Built for each
// instruction-set level, picked at run time.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
uint64_t read_words(const uint64_t* p, size_t n) {
    uint64_t acc[8] = {};
    for (size_t i = 0; i + 8 <= n; i += 8) {
        __builtin_prefetch(p + i + 256);
        for (int k = 0; k < 8; ++k) acc[k] += p[i + size_t(k)];
    }
    uint64_t sum = 0;
    for (uint64_t a : acc) sum += a;
    return sum;
}

}  // namespace

double measure_read_bandwidth(unsigned threads, size_t bytes, int passes) {
    threads = std::max(1u, threads);
    const size_t words = bytes / sizeof(uint64_t);
    struct free_deleter {
        void operator()(uint64_t* p) const { std::free(p); }
    };
    std::unique_ptr<uint64_t, free_deleter> buffer(static_cast<uint64_t*>(std::aligned_alloc(4096, words * sizeof(uint64_t))));
    if (!buffer) throw std::bad_alloc();
    // Written once by the threads that will read it (first touch places the pages near them).
    const size_t share = (words / threads + 7) / 8 * 8;
    const auto each = [&](auto&& work) {
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t) {
            const size_t begin = std::min(words, t * share), end = std::min(words, begin + share);
            pool.emplace_back([&, begin, end] { work(begin, end); });
        }
        for (auto& th : pool) th.join();
    };
    each([&](size_t b, size_t e) { std::memset(buffer.get() + b, 1, (e - b) * sizeof(uint64_t)); });

    double best = 1e30;
    volatile uint64_t sink = 0;
    for (int pass = 0; pass < passes; ++pass) {
        const auto start = std::chrono::steady_clock::now();
        each([&](size_t b, size_t e) { sink = sink + read_words(buffer.get() + b, e - b); });
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return double(words * sizeof(uint64_t)) / best;
}

}  // namespace plinth::cli
