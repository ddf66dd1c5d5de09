#include "read_bandwidth.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

namespace plinth::cli {
namespace {

constexpr size_t kHugePage = size_t(2) << 20;

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

read_bandwidth_probe::read_bandwidth_probe(unsigned threads, size_t bytes)
    : threads_(std::max(1u, threads)), words_((bytes + kHugePage - 1) / kHugePage * kHugePage / sizeof(uint64_t)) {
    const size_t size = words_ * sizeof(uint64_t);
    buffer_ = static_cast<uint64_t*>(std::aligned_alloc(kHugePage, size));
    if (buffer_ == nullptr) throw std::bad_alloc();
    // The weights the decode reads sit in huge pages (cpu-backend.md, "Memory"): so does the probe,
    // or it would time the TLB's misses as well (a third less on one Zen 4 core). Advice only.
    madvise(buffer_, size, MADV_HUGEPAGE);
    on_each_thread([&](size_t b, size_t e) { std::memset(buffer_ + b, 1, (e - b) * sizeof(uint64_t)); });
}

read_bandwidth_probe::~read_bandwidth_probe() { std::free(buffer_); }

template <class Work>
void read_bandwidth_probe::on_each_thread(Work&& work) {
    const size_t share = (words_ / threads_ + 7) / 8 * 8;
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads_; ++t) {
        const size_t begin = std::min(words_, t * share), end = std::min(words_, begin + share);
        pool.emplace_back([&work, begin, end] { work(begin, end); });
    }
    for (auto& th : pool) th.join();
}

double read_bandwidth_probe::measure(int passes) {
    double best = 1e30;
    std::atomic<uint64_t> sink{0};  // keeps the sums (and so the loads) alive
    for (int pass = 0; pass < std::max(1, passes); ++pass) {
        const auto start = std::chrono::steady_clock::now();
        on_each_thread([&](size_t b, size_t e) { sink.fetch_add(read_words(buffer_ + b, e - b), std::memory_order_relaxed); });
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return double(words_ * sizeof(uint64_t)) / best;
}

}  // namespace plinth::cli
