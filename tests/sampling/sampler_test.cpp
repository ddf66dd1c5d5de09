// The chain as a whole: greedy, seeds and reproducibility, temperature.
#include "sampling_helpers.hpp"

#include <catch2/catch.hpp>

#include <limits>
#include <stdexcept>

using namespace sampling_test;
using plinth::sampler;
using plinth::sampling_settings;

TEST_CASE("greedy picks the argmax", "[sampling]") {
    sampling_settings s = plain();
    s.temperature = 0.0f;
    sampler greedy(s);
    CHECK(greedy.sample(std::vector<float>{0.1f, 3.0f, -2.0f, 2.9f}) == 1);
    CHECK(greedy.sample(std::vector<float>{-5.0f, -4.0f, -3.0f}) == 2);
    CHECK(greedy.sample(std::vector<float>{7.0f}) == 0);
}

TEST_CASE("greedy breaks ties towards the lowest id", "[sampling]") {
    sampling_settings s = plain();
    s.temperature = 0.0f;
    sampler greedy(s);
    CHECK(greedy.sample(std::vector<float>{1.0f, 4.0f, 2.0f, 4.0f, 4.0f}) == 1);
    CHECK(greedy.sample(std::vector<float>{4.0f, 4.0f}) == 0);
}

TEST_CASE("a negative temperature is greedy too", "[sampling]") {
    sampling_settings s = plain();
    s.temperature = -1.0f;
    sampler greedy(s);
    const auto logits = random_logits(1000, 3);
    int32_t expected = 0;
    for (std::size_t i = 1; i < logits.size(); ++i)
        if (logits[i] > logits[static_cast<std::size_t>(expected)]) expected = static_cast<int32_t>(i);
    for (int i = 0; i < 20; ++i) CHECK(greedy.sample(logits) == expected);
}

TEST_CASE("greedy ignores NaN logits", "[sampling]") {
    sampling_settings s = plain();
    s.temperature = 0.0f;
    sampler greedy(s);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    CHECK(greedy.sample(std::vector<float>{nan, -1.0f, nan}) == 1);
}

namespace {

std::vector<int32_t> generate(sampler& s, int steps) {
    std::vector<int32_t> out;
    for (int i = 0; i < steps; ++i) {
        const int32_t token = s.sample(random_logits(500, static_cast<uint64_t>(i)));
        s.accept(token);
        out.push_back(token);
    }
    return out;
}

sampling_settings busy(uint64_t seed) {
    sampling_settings s;  // defaults: top-k, top-p, min-p on
    s.temperature = 1.5f;
    s.repeat_penalty = 1.1f;
    s.frequency_penalty = 0.1f;
    s.presence_penalty = 0.2f;
    s.seed = seed;
    return s;
}

}  // namespace

TEST_CASE("the same seed gives the same tokens", "[sampling]") {
    sampler a(busy(42));
    sampler b(busy(42));
    CHECK(generate(a, 200) == generate(b, 200));
}

TEST_CASE("different seeds give different tokens", "[sampling]") {
    sampler a(busy(42));
    sampler b(busy(43));
    CHECK(generate(a, 200) != generate(b, 200));
}

TEST_CASE("reset replays the same tokens", "[sampling]") {
    sampler s(busy(7));
    const auto first = generate(s, 200);
    s.reset();
    CHECK(generate(s, 200) == first);
}

TEST_CASE("an absent seed is drawn once and can be reused", "[sampling]") {
    sampling_settings unseeded = busy(0);
    unseeded.seed.reset();
    sampler a(unseeded);
    sampler b(unseeded);
    CHECK(a.seed() != b.seed());  // 2^-64 chance of a false failure

    sampling_settings again = unseeded;
    again.seed = a.seed();
    sampler c(again);
    CHECK(generate(a, 100) == generate(c, 100));
}

TEST_CASE("seed() reports the seed that was set", "[sampling]") {
    CHECK(sampler(plain(12345)).seed() == 12345u);
}

TEST_CASE("temperature 1 draws from the softmax", "[sampling]") {
    sampler s(plain(5));
    const auto f = frequencies(s, logits_of({0.5, 0.3, 0.2}), 20000);
    CHECK(f[0] == Approx(0.5).margin(0.015));
    CHECK(f[1] == Approx(0.3).margin(0.015));
    CHECK(f[2] == Approx(0.2).margin(0.015));
}

TEST_CASE("temperature 0.5 sharpens the distribution", "[sampling]") {
    sampling_settings settings = plain(6);
    settings.temperature = 0.5f;
    sampler s(settings);
    const auto f = frequencies(s, logits_of({0.5, 0.3, 0.2}), 20000);
    // p^(1/T) = p^2, renormalised: 0.25, 0.09, 0.04 over 0.38.
    CHECK(f[0] == Approx(0.25 / 0.38).margin(0.015));
    CHECK(f[1] == Approx(0.09 / 0.38).margin(0.015));
    CHECK(f[2] == Approx(0.04 / 0.38).margin(0.015));
}

TEST_CASE("temperature 2 flattens the distribution", "[sampling]") {
    sampling_settings settings = plain(7);
    settings.temperature = 2.0f;
    sampler s(settings);
    const auto f = frequencies(s, logits_of({0.5, 0.3, 0.2}), 20000);
    const double a = std::sqrt(0.5), b = std::sqrt(0.3), c = std::sqrt(0.2), sum = a + b + c;
    CHECK(f[0] == Approx(a / sum).margin(0.015));
    CHECK(f[1] == Approx(b / sum).margin(0.015));
    CHECK(f[2] == Approx(c / sum).margin(0.015));
}

TEST_CASE("a token with zero probability is never drawn", "[sampling]") {
    sampler s(plain(8));
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> logits{-inf, 0.0f, -inf, 0.0f, std::numeric_limits<float>::quiet_NaN()};
    const auto f = frequencies(s, logits, 2000);
    CHECK(f[0] == 0.0);
    CHECK(f[2] == 0.0);
    CHECK(f[4] == 0.0);
    CHECK(f[1] + f[3] == 1.0);
}

TEST_CASE("+inf logits take all the probability", "[sampling]") {
    sampler s(plain(9));
    const float inf = std::numeric_limits<float>::infinity();
    const auto f = frequencies(s, std::vector<float>{1.0f, inf, 2.0f, inf}, 2000);
    CHECK(f[0] == 0.0);
    CHECK(f[2] == 0.0);
    CHECK(f[1] + f[3] == 1.0);
}

TEST_CASE("logits the sampler cannot draw from are rejected", "[sampling]") {
    sampler s(plain());
    CHECK_THROWS_AS(s.sample(std::span<const float>()), std::invalid_argument);
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_AS(s.sample(std::vector<float>{-inf, nan}), std::invalid_argument);

    sampling_settings g = plain();
    g.temperature = 0.0f;
    sampler greedy(g);
    CHECK_THROWS_AS(greedy.sample(std::vector<float>{-inf, nan}), std::invalid_argument);
}

TEST_CASE("the vocabulary size may change from call to call", "[sampling]") {
    sampler s(busy(10));
    for (std::size_t n : {10u, 1000u, 5u, 2000u, 1u}) {
        const int32_t token = s.sample(random_logits(n, n));
        CHECK(token >= 0);
        CHECK(static_cast<std::size_t>(token) < n);
        s.accept(token + 1500);  // ids beyond a later vocabulary are ignored
    }
}
