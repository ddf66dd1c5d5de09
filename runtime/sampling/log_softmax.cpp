// log_softmax_at: one token's log-probability, for perplexity.
#include <plinth/sampler.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace plinth {

double log_softmax_at(std::span<const float> logits, int32_t token) {
    if (logits.empty()) throw std::invalid_argument("log_softmax_at: empty logits");
    if (token < 0 || static_cast<std::size_t>(token) >= logits.size())
        throw std::invalid_argument("log_softmax_at: token " + std::to_string(token) +
                                    " outside a vocabulary of " + std::to_string(logits.size()));

    double max = -std::numeric_limits<double>::infinity();
    for (const float l : logits) max = std::max(max, static_cast<double>(l));
    const double picked = static_cast<double>(logits[static_cast<std::size_t>(token)]);
    if (max == -std::numeric_limits<double>::infinity() || picked == -std::numeric_limits<double>::infinity())
        return -std::numeric_limits<double>::infinity();

    double sum = 0.0;
    for (const float l : logits) sum += std::exp(static_cast<double>(l) - max);
    return (picked - max) - std::log(sum);
}

}  // namespace plinth
