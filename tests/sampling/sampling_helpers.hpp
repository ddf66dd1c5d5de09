#pragma once
// Small helpers shared by the sampling tests.
#include <plinth/sampler.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace sampling_test {

// Settings with every truncation and penalty off, temperature 1 and a fixed seed: the sampler
// draws from softmax(logits) exactly.
inline plinth::sampling_settings plain(uint64_t seed = 1) {
    plinth::sampling_settings s;
    s.temperature = 1.0f;
    s.top_k = 0;
    s.top_p = 1.0f;
    s.min_p = 0.0f;
    s.seed = seed;
    return s;
}

// Logits whose softmax is `probs` (which should sum to 1).
inline std::vector<float> logits_of(std::initializer_list<double> probs) {
    std::vector<float> out;
    for (const double p : probs) out.push_back(static_cast<float>(std::log(p)));
    return out;
}

// How often each token comes out of `draws` calls with the same logits, as fractions.
inline std::vector<double> frequencies(plinth::sampler& s, const std::vector<float>& logits, int draws) {
    std::vector<double> seen(logits.size(), 0.0);
    for (int i = 0; i < draws; ++i) seen[static_cast<std::size_t>(s.sample(logits))] += 1.0;
    for (double& f : seen) f /= draws;
    return seen;
}

// Deterministic pseudo-random logits in [-10, 10).
inline std::vector<float> random_logits(std::size_t n, uint64_t seed) {
    std::vector<float> out(n);
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (float& l : out) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        l = static_cast<float>(static_cast<double>(x >> 11) * 0x1.0p-53 * 20.0 - 10.0);
    }
    return out;
}

}  // namespace sampling_test
