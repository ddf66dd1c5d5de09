// Repeat, frequency and presence penalties and their window. Greedy sampling exposes the
// penalised logits: each case sits just either side of a boundary the formula predicts.
#include "sampling_helpers.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace sampling_test;
using plinth::sampler;
using plinth::sampling_settings;

namespace {

sampling_settings greedy_with(float repeat, float frequency, float presence, int32_t last_n = 64) {
    sampling_settings s = plain();
    s.temperature = 0.0f;
    s.repeat_penalty = repeat;
    s.frequency_penalty = frequency;
    s.presence_penalty = presence;
    s.penalty_last_n = last_n;
    return s;
}

int32_t pick_after(const sampling_settings& settings, std::initializer_list<int32_t> history,
                   const std::vector<float>& logits) {
    sampler s(settings);
    for (const int32_t token : history) s.accept(token);
    return s.sample(logits);
}

}  // namespace

TEST_CASE("the repeat penalty moves the argmax off a recent token", "[sampling]") {
    const std::vector<float> logits{2.0f, 1.8f, 0.5f};
    CHECK(pick_after(greedy_with(1.0f, 0, 0), {0}, logits) == 0);  // off
    CHECK(pick_after(greedy_with(1.5f, 0, 0), {}, logits) == 0);    // nothing recent
    CHECK(pick_after(greedy_with(1.5f, 0, 0), {2}, logits) == 0);   // another token recent
    CHECK(pick_after(greedy_with(1.5f, 0, 0), {0}, logits) == 1);   // 2 / 1.5 = 1.33 < 1.8
    CHECK(pick_after(greedy_with(1.1f, 0, 0), {0}, logits) == 0);   // 2 / 1.1 = 1.82 > 1.8
}

TEST_CASE("the repeat penalty multiplies negative logits", "[sampling]") {
    const std::vector<float> logits{-1.0f, -1.5f};
    CHECK(pick_after(greedy_with(1.4f, 0, 0), {0}, logits) == 0);  // -1.4 > -1.5
    CHECK(pick_after(greedy_with(1.6f, 0, 0), {0}, logits) == 1);  // -1.6 < -1.5
}

TEST_CASE("the repeat penalty applies once however often the token occurred", "[sampling]") {
    const std::vector<float> logits{2.0f, 1.5f};
    CHECK(pick_after(greedy_with(1.2f, 0, 0), {0, 0, 0, 0}, logits) == 0);  // 1.67 > 1.5
}

TEST_CASE("a repeat penalty below 1 favours recent tokens", "[sampling]") {
    const std::vector<float> logits{1.0f, 1.5f};
    CHECK(pick_after(greedy_with(0.5f, 0, 0), {0}, logits) == 0);  // 1 / 0.5 = 2 > 1.5
}

TEST_CASE("the frequency penalty subtracts count times f", "[sampling]") {
    const std::vector<float> logits{5.0f, 4.0f};
    CHECK(pick_after(greedy_with(1.0f, 0.3f, 0), {0, 0, 0}, logits) == 0);   // 5 - 0.9 = 4.1
    CHECK(pick_after(greedy_with(1.0f, 0.35f, 0), {0, 0, 0}, logits) == 1);  // 5 - 1.05 = 3.95
    CHECK(pick_after(greedy_with(1.0f, 0.35f, 0), {0, 1, 0}, logits) == 0);  // 4.3 vs 3.65
    CHECK(pick_after(greedy_with(1.0f, 0.9f, 0), {0}, logits) == 0);         // 5 - 0.9 = 4.1
}

TEST_CASE("the presence penalty subtracts p once", "[sampling]") {
    const std::vector<float> logits{5.0f, 4.0f};
    CHECK(pick_after(greedy_with(1.0f, 0, 0.9f), {0, 0, 0, 0, 0}, logits) == 0);  // 4.1
    CHECK(pick_after(greedy_with(1.0f, 0, 1.1f), {0}, logits) == 1);              // 3.9
}

TEST_CASE("negative frequency and presence penalties encourage repetition", "[sampling]") {
    const std::vector<float> logits{4.0f, 5.0f};
    CHECK(pick_after(greedy_with(1.0f, -0.6f, 0), {0, 0}, logits) == 0);  // 4 + 1.2 = 5.2
    CHECK(pick_after(greedy_with(1.0f, 0, -0.9f), {0, 0}, logits) == 1);  // 4 + 0.9 = 4.9
}

TEST_CASE("the penalties compose: repeat, then frequency, then presence", "[sampling]") {
    // 6 / 2 = 3, minus 2 * 0.25 = 2.5, minus 0.3 = 2.2.
    const auto settings = greedy_with(2.0f, 0.25f, 0.3f);
    CHECK(pick_after(settings, {0, 0}, std::vector<float>{6.0f, 2.15f}) == 0);
    CHECK(pick_after(settings, {0, 0}, std::vector<float>{6.0f, 2.25f}) == 1);
}

TEST_CASE("the penalties only see the last penalty_last_n tokens", "[sampling]") {
    const std::vector<float> logits{2.0f, 1.8f, 0.0f, 0.0f};
    // Token 0 then three others: with a window of 3 it has left the window.
    CHECK(pick_after(greedy_with(1.5f, 0, 0, 4), {0, 2, 3, 2}, logits) == 1);
    CHECK(pick_after(greedy_with(1.5f, 0, 0, 3), {0, 2, 3, 2}, logits) == 0);
    // The ring keeps wrapping around correctly.
    CHECK(pick_after(greedy_with(1.5f, 0, 0, 3), {0, 2, 3, 2, 3, 0, 2}, logits) == 1);
    CHECK(pick_after(greedy_with(1.5f, 0, 0, 3), {0, 2, 3, 2, 3, 0, 2, 3, 2}, logits) == 0);
    // Counts, too, come from the window only: 5 - 2 * 0.4 = 4.2 with a window of 2.
    CHECK(pick_after(greedy_with(1.0f, 0.4f, 0, 2), {0, 0, 0, 0}, std::vector<float>{5.0f, 4.1f}) == 0);
    CHECK(pick_after(greedy_with(1.0f, 0.4f, 0, 3), {0, 0, 0, 0}, std::vector<float>{5.0f, 4.1f}) == 1);
}

TEST_CASE("penalty_last_n = 0 turns the penalties off", "[sampling]") {
    CHECK(pick_after(greedy_with(10.0f, 5.0f, 5.0f, 0), {0, 0}, std::vector<float>{2.0f, 1.0f}) == 0);
}

TEST_CASE("reset forgets the recorded tokens", "[sampling]") {
    sampler s(greedy_with(1.5f, 0, 0));
    const std::vector<float> logits{2.0f, 1.8f};
    s.accept(0);
    CHECK(s.sample(logits) == 1);
    s.reset();
    CHECK(s.sample(logits) == 0);
}

TEST_CASE("penalties repeat identically call after call", "[sampling]") {
    // The per-token counts are cleared after each call: a second call sees the same logits.
    sampler s(greedy_with(1.0f, 0.35f, 0));
    for (int i = 0; i < 3; ++i) s.accept(0);
    const std::vector<float> logits{5.0f, 4.0f};
    CHECK(s.sample(logits) == 1);
    CHECK(s.sample(logits) == 1);
}

TEST_CASE("accept rejects negative ids", "[sampling]") {
    sampler s(plain());
    CHECK_THROWS_AS(s.accept(-1), std::invalid_argument);
}
