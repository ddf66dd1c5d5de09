// top-k, top-p and min-p.
#include "sampling_helpers.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>

using namespace sampling_test;
using plinth::sampler;
using plinth::sampling_settings;

TEST_CASE("top_k = 1 is greedy whatever the temperature", "[sampling]") {
    sampling_settings g = plain();
    g.temperature = 0.0f;
    sampler greedy(g);
    for (const float temperature : {0.05f, 0.8f, 1.0f, 5.0f, 100.0f}) {
        sampling_settings s = plain(static_cast<uint64_t>(temperature * 100));
        s.temperature = temperature;
        s.top_k = 1;
        s.top_p = 0.95f;
        s.min_p = 0.05f;
        sampler top1(s);
        for (uint64_t step = 0; step < 50; ++step) {
            const auto logits = random_logits(3000, step);
            CHECK(top1.sample(logits) == greedy.sample(logits));
        }
    }
}

TEST_CASE("top_k = 1 breaks ties like greedy", "[sampling]") {
    sampling_settings s = plain();
    s.top_k = 1;
    sampler top1(s);
    for (int i = 0; i < 50; ++i) CHECK(top1.sample(std::vector<float>{0.0f, 2.0f, 2.0f, 2.0f}) == 1);
}

TEST_CASE("top_k keeps the k best and draws among them by probability", "[sampling]") {
    sampling_settings s = plain(11);
    s.top_k = 2;
    sampler top2(s);
    const auto f = frequencies(top2, logits_of({0.1, 0.4, 0.05, 0.2, 0.25}), 20000);
    CHECK(f[0] == 0.0);
    CHECK(f[2] == 0.0);
    CHECK(f[3] == 0.0);
    CHECK(f[1] == Approx(0.4 / 0.65).margin(0.015));
    CHECK(f[4] == Approx(0.25 / 0.65).margin(0.015));
}

TEST_CASE("top_k larger than the vocabulary keeps everything", "[sampling]") {
    sampling_settings s = plain(12);
    s.top_k = 1000;
    sampler big_k(s);
    const auto f = frequencies(big_k, logits_of({0.5, 0.3, 0.2}), 20000);
    CHECK(f[2] == Approx(0.2).margin(0.015));
}

TEST_CASE("a tiny top_p keeps only the top token", "[sampling]") {
    sampling_settings s = plain(13);
    s.top_p = 1e-6f;
    s.temperature = 10.0f;  // nearly flat, yet only the top token survives
    sampler tiny(s);
    for (uint64_t step = 0; step < 50; ++step) {
        auto logits = random_logits(1000, step);
        logits[500] = 20.0f;
        CHECK(tiny.sample(logits) == 500);
    }
}

TEST_CASE("top_p keeps the smallest prefix reaching p", "[sampling]") {
    sampling_settings s = plain(14);
    s.top_p = 0.75f;
    sampler nucleus(s);
    // Sorted: 0.5 (token 2), 0.3 (token 0), 0.2 (token 1): 0.5 < 0.75 <= 0.8, so tokens 2 and 0.
    const auto f = frequencies(nucleus, logits_of({0.3, 0.2, 0.5}), 20000);
    CHECK(f[1] == 0.0);
    CHECK(f[2] == Approx(0.5 / 0.8).margin(0.015));
    CHECK(f[0] == Approx(0.3 / 0.8).margin(0.015));
}

TEST_CASE("top_p measures after top_k", "[sampling]") {
    sampling_settings s = plain(15);
    s.top_k = 2;       // keeps 0.4 and 0.3: renormalised 4/7 and 3/7
    s.top_p = 0.55f;   // 4/7 = 0.571 >= 0.55: only the top one is left
    sampler chain(s);
    const auto f = frequencies(chain, logits_of({0.3, 0.4, 0.2, 0.1}), 2000);
    CHECK(f[1] == 1.0);
}

TEST_CASE("min_p filters relative to the top probability", "[sampling]") {
    sampling_settings s = plain(16);
    s.min_p = 0.45f;  // threshold 0.45 * 0.4 = 0.18: keeps 0.4, 0.3 and 0.2, drops 0.1
    sampler filtered(s);
    const auto f = frequencies(filtered, logits_of({0.1, 0.3, 0.4, 0.2}), 20000);
    CHECK(f[0] == 0.0);
    CHECK(f[2] == Approx(0.4 / 0.9).margin(0.015));
    CHECK(f[1] == Approx(0.3 / 0.9).margin(0.015));
    CHECK(f[3] == Approx(0.2 / 0.9).margin(0.015));

    s.min_p = 0.55f;  // threshold 0.22: drops 0.2 as well
    sampler stricter(s);
    const auto g = frequencies(stricter, logits_of({0.1, 0.3, 0.4, 0.2}), 20000);
    CHECK(g[0] == 0.0);
    CHECK(g[3] == 0.0);
    CHECK(g[2] == Approx(0.4 / 0.7).margin(0.015));
}

TEST_CASE("min_p = 1 keeps only the tokens tied for the top", "[sampling]") {
    sampling_settings s = plain(17);
    s.min_p = 1.0f;
    sampler top_only(s);
    const auto f = frequencies(top_only, std::vector<float>{1.0f, 3.0f, 2.9f, 3.0f}, 4000);
    CHECK(f[0] == 0.0);
    CHECK(f[2] == 0.0);
    CHECK(f[1] == Approx(0.5).margin(0.04));
}

TEST_CASE("min_p sees the temperature", "[sampling]") {
    // At temperature 1 token 1 has 0.2/0.8 = 0.25 of the top's probability, above min_p 0.2;
    // at temperature 0.5 it has 0.0625, below.
    const auto logits = logits_of({0.8, 0.2});
    sampling_settings s = plain(18);
    s.min_p = 0.2f;
    sampler warm(s);
    CHECK(frequencies(warm, logits, 4000)[1] > 0.1);
    s.temperature = 0.5f;
    sampler cool(s);
    CHECK(frequencies(cool, logits, 4000)[1] == 0.0);
}

TEST_CASE("default settings on a large vocabulary stay within the top k", "[sampling]") {
    sampling_settings s;
    s.seed = 19;
    s.temperature = 100.0f;  // flat enough that top-p and min-p keep nearly all of the top 40
    sampler chain(s);
    auto logits = random_logits(150000, 20);
    std::vector<float> sorted = logits;
    std::nth_element(sorted.begin(), sorted.begin() + 39, sorted.end(), std::greater<float>());
    const float fortieth = sorted[39];
    for (int i = 0; i < 200; ++i) CHECK(logits[static_cast<std::size_t>(chain.sample(logits))] >= fortieth);
}
