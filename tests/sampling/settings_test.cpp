// Validation of sampling_settings.
#include <plinth/sampler.hpp>

#include <catch2/catch.hpp>

#include <limits>
#include <stdexcept>

using plinth::sampler;
using plinth::sampling_settings;

TEST_CASE("the defaults are valid and as documented", "[sampling]") {
    const sampling_settings s;
    CHECK_NOTHROW(s.validate());
    CHECK(s.temperature == 0.8f);
    CHECK(s.top_k == 40);
    CHECK(s.top_p == 0.95f);
    CHECK(s.min_p == 0.05f);
    CHECK(s.repeat_penalty == 1.0f);
    CHECK(s.penalty_last_n == 64);
    CHECK(s.frequency_penalty == 0.0f);
    CHECK(s.presence_penalty == 0.0f);
    CHECK_FALSE(s.seed.has_value());
}

TEST_CASE("edge values that mean 'off' or 'greedy' are valid", "[sampling]") {
    sampling_settings s;
    s.temperature = 0.0f;
    s.top_k = 0;
    s.top_p = 1.0f;
    s.min_p = 0.0f;
    s.penalty_last_n = 0;
    CHECK_NOTHROW(s.validate());
    s.temperature = -1.0f;  // greedy as well
    s.top_k = -5;           // off as well
    s.min_p = 1.0f;
    s.frequency_penalty = -2.0f;
    s.presence_penalty = -2.0f;
    s.repeat_penalty = 0.5f;
    CHECK_NOTHROW(s.validate());
    CHECK_NOTHROW(sampler(s));
}

TEST_CASE("nonsense settings are rejected", "[sampling]") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    const auto rejects = [](auto change) {
        sampling_settings s;
        change(s);
        CHECK_THROWS_AS(s.validate(), std::invalid_argument);
        CHECK_THROWS_AS(sampler(s), std::invalid_argument);
    };
    rejects([&](sampling_settings& s) { s.temperature = nan; });
    rejects([&](sampling_settings& s) { s.temperature = inf; });
    rejects([&](sampling_settings& s) { s.top_p = nan; });
    rejects([&](sampling_settings& s) { s.top_p = 0.0f; });
    rejects([&](sampling_settings& s) { s.top_p = -0.1f; });
    rejects([&](sampling_settings& s) { s.top_p = 1.5f; });
    rejects([&](sampling_settings& s) { s.min_p = nan; });
    rejects([&](sampling_settings& s) { s.min_p = -0.01f; });
    rejects([&](sampling_settings& s) { s.min_p = 1.01f; });
    rejects([&](sampling_settings& s) { s.repeat_penalty = nan; });
    rejects([&](sampling_settings& s) { s.repeat_penalty = 0.0f; });
    rejects([&](sampling_settings& s) { s.repeat_penalty = -1.0f; });
    rejects([&](sampling_settings& s) { s.repeat_penalty = inf; });
    rejects([&](sampling_settings& s) { s.penalty_last_n = -1; });
    rejects([&](sampling_settings& s) { s.frequency_penalty = nan; });
    rejects([&](sampling_settings& s) { s.frequency_penalty = -inf; });
    rejects([&](sampling_settings& s) { s.presence_penalty = nan; });
    rejects([&](sampling_settings& s) { s.presence_penalty = inf; });
}

TEST_CASE("the error names the setting", "[sampling]") {
    sampling_settings s;
    s.min_p = 2.0f;
    CHECK_THROWS_WITH(s.validate(), Catch::Contains("min_p"));
}
