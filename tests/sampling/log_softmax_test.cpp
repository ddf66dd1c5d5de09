// log_softmax_at.
#include "sampling_helpers.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>

using plinth::log_softmax_at;

namespace {

// The textbook formula in long double, without the max shift.
double direct(const std::vector<float>& logits, std::size_t token) {
    long double sum = 0;
    for (const float l : logits) sum += std::exp(static_cast<long double>(l));
    return static_cast<double>(std::log(std::exp(static_cast<long double>(logits[token])) / sum));
}

}  // namespace

TEST_CASE("log_softmax_at matches a direct computation", "[sampling]") {
    const auto logits = sampling_test::random_logits(5000, 21);
    for (std::size_t token : {0u, 1u, 777u, 4999u})
        CHECK(log_softmax_at(logits, static_cast<int32_t>(token)) == Approx(direct(logits, token)).epsilon(1e-12));
}

TEST_CASE("log_softmax_at sums to one over the vocabulary", "[sampling]") {
    const auto logits = sampling_test::random_logits(1000, 22);
    double total = 0.0;
    for (int32_t t = 0; t < 1000; ++t) total += std::exp(log_softmax_at(logits, t));
    CHECK(total == Approx(1.0).epsilon(1e-12));
}

TEST_CASE("log_softmax_at is stable for large logits", "[sampling]") {
    const std::vector<float> big{1000.0f, 999.0f, -1000.0f};
    const double expected0 = -std::log1p(std::exp(-1.0) + std::exp(-2000.0));
    CHECK(log_softmax_at(big, 0) == Approx(expected0).epsilon(1e-14));
    CHECK(log_softmax_at(big, 1) == Approx(expected0 - 1.0).epsilon(1e-14));
    CHECK(std::isfinite(log_softmax_at(big, 2)));
    CHECK(log_softmax_at(big, 2) == Approx(expected0 - 2000.0).epsilon(1e-14));
}

TEST_CASE("log_softmax_at of a uniform distribution", "[sampling]") {
    const std::vector<float> flat(4096, 3.25f);
    CHECK(log_softmax_at(flat, 17) == Approx(-std::log(4096.0)).epsilon(1e-14));
    CHECK(log_softmax_at(std::vector<float>{-7.0f}, 0) == 0.0);
}

TEST_CASE("log_softmax_at of an impossible token is -inf", "[sampling]") {
    const float inf = std::numeric_limits<float>::infinity();
    CHECK(log_softmax_at(std::vector<float>{0.0f, -inf}, 1) == -inf);
}

TEST_CASE("log_softmax_at rejects bad arguments", "[sampling]") {
    const std::vector<float> logits{1.0f, 2.0f};
    CHECK_THROWS_AS(log_softmax_at(logits, 2), std::invalid_argument);
    CHECK_THROWS_AS(log_softmax_at(logits, -1), std::invalid_argument);
    CHECK_THROWS_AS(log_softmax_at(std::span<const float>(), 0), std::invalid_argument);
}
