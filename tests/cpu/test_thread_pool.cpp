// The CPU backend's thread pool on its own: every index run exactly once for any pool size, chunk
// size and pace of jobs (back to back, and after the workers have gone to sleep), in both the
// shared-counter and the contiguous-shares modes, exceptions reported, and a pool destroyed while
// idle or right after a job.
#include "../../plugins/cpu/ops/thread_pool.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

using plinth::cpu::thread_pool;

namespace {

// Runs parallel_for(n, grain) (or parallel_for_contiguous) and checks that each index was
// visited once, by a valid thread.
void check_cover(thread_pool& pool, int64_t n, int64_t grain, bool contiguous = false) {
    std::vector<std::atomic<int>> hits(size_t(n > 0 ? n : 0));
    std::atomic<bool> bad_thread{false};
    auto fn = [&](int64_t b, int64_t e, unsigned thread) {
        if (thread >= pool.size() || e - b > (grain < 1 ? 1 : grain) || b >= e) bad_thread = true;
        for (int64_t i = b; i < e; ++i) hits[size_t(i)].fetch_add(1);
    };
    if (contiguous) pool.parallel_for_contiguous(n, grain, fn);
    else pool.parallel_for(n, grain, fn);
    REQUIRE_FALSE(bad_thread.load());
    for (int64_t i = 0; i < n; ++i) REQUIRE(hits[size_t(i)].load() == 1);
}

}  // namespace

TEST_CASE("thread pool: every index once, back to back and after sleeping") {
    for (unsigned threads : {1u, 2u, 3u, 5u}) {
        thread_pool pool(threads);
        REQUIRE(pool.size() == threads);
        for (int round = 0; round < 2000; ++round) check_cover(pool, round % 37, 1 + round % 5, round % 2 == 1);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // workers now asleep
        check_cover(pool, 1000, 7);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        check_cover(pool, 3, 1);
        check_cover(pool, 0, 1);
        check_cover(pool, 10, 0);  // grain < 1 counts as 1
        check_cover(pool, 1000, 7, true);
        check_cover(pool, 10, 0, true);
    }
}

TEST_CASE("thread pool: contiguous jobs give each thread its own run of chunks, in order") {
    // Thread t's share of 40 chunks over 2 threads is chunks 20t .. 20t + 19. Whatever the threads'
    // pace, a thread takes its own share from the front (ascending, from its start) and then
    // only others' chunks from their back (descending).
    thread_pool pool(2);
    for (int round = 0; round < 50; ++round) {
        std::vector<int64_t> seen[2];
        pool.parallel_for_contiguous(40, 1, [&](int64_t b, int64_t, unsigned thread) {
            seen[thread].push_back(b);
            if (round % 2 == 0 && b % 7 == 0) std::this_thread::sleep_for(std::chrono::microseconds(30));
        });
        REQUIRE(seen[0].size() + seen[1].size() == 40);
        for (unsigned t = 0; t < 2; ++t) {
            size_t k = 0;
            for (; k < seen[t].size() && seen[t][k] / 20 == int64_t(t); ++k)
                REQUIRE(seen[t][k] == 20 * int64_t(t) + int64_t(k));  // its own, from the front
            for (size_t m = k; m < seen[t].size(); ++m) {
                REQUIRE(seen[t][m] / 20 != int64_t(t));  // then only the other's
                if (m > k) REQUIRE(seen[t][m] < seen[t][m - 1]);  // from its back
            }
        }
    }
}

TEST_CASE("thread pool: uneven chunks are shared, results summed exactly") {
    thread_pool pool(3);
    for (int round = 0; round < 200; ++round) {
        std::atomic<int64_t> sum{0};
        pool.parallel_for(64, 1, [&](int64_t b, int64_t e, unsigned) {
            for (int64_t i = b; i < e; ++i) {
                if (i % 16 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
                sum.fetch_add(i);
            }
        });
        REQUIRE(sum.load() == 64 * 63 / 2);
    }
}

TEST_CASE("thread pool: an exception stops the job and is rethrown; the pool stays usable") {
    thread_pool pool(2);
    // Whether running the job rethrew the message of the exception chunk `failing` threw.
    const auto rethrows = [](auto&& job, int64_t failing) {
        const std::string message = "chunk " + std::to_string(failing) + " failed";
        try {
            job([&](int64_t b, int64_t, unsigned) {
                if (b == failing) throw std::runtime_error(message);
            });
        } catch (const std::runtime_error& e) {
            return e.what() == message;
        }
        return false;
    };
    for (int round = 0; round < 50; ++round) {
        REQUIRE(rethrows([&](auto fn) { pool.parallel_for(100, 1, fn); }, 17));
        check_cover(pool, 50, 3);
        REQUIRE(rethrows([&](auto fn) { pool.parallel_for_contiguous(100, 1, fn); }, 60));
        check_cover(pool, 50, 3, true);
    }
}

TEST_CASE("thread pool: destroyed idle, asleep, or right after a job") {
    for (int round = 0; round < 50; ++round) {
        { thread_pool pool(3); }
        {
            thread_pool pool(2);
            check_cover(pool, 20, 1);
        }
        {
            thread_pool pool(2);
            check_cover(pool, 20, 1);
            if (round % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
}
