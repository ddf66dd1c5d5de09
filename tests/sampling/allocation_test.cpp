// The sampler allocates nothing per call once its buffers fit the vocabulary. This file replaces
// the global operator new of the test program to count allocations while `counting` is set.
#include "sampling_helpers.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
    if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

TEST_CASE("sample allocates nothing after the first call", "[sampling]") {
    using namespace sampling_test;
    for (const bool everything_on : {false, true}) {
        plinth::sampling_settings s;  // defaults: top-k, top-p, min-p
        s.seed = 23;
        if (everything_on) {
            s.top_k = 0;  // full sort for top-p
            s.min_p = 0.0f;
            s.repeat_penalty = 1.2f;
            s.frequency_penalty = 0.1f;
            s.presence_penalty = 0.1f;
        }
        plinth::sampler sampler(s);
        std::vector<std::vector<float>> steps;
        for (uint64_t i = 0; i < 10; ++i) steps.push_back(random_logits(150000, i));
        for (int32_t t = 0; t < 64; ++t) sampler.accept(t * 7);  // fills the penalty window

        int32_t token = sampler.sample(steps[0]);
        counting = true;
        for (const auto& logits : steps) {
            token = sampler.sample(logits);
            sampler.accept(token);
        }
        counting = false;
        CHECK(allocations.exchange(0) == 0);
    }
}
