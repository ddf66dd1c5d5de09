// The sampler: settings validation and the chain that runs the stages in order.
#include "stages.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace plinth {

namespace {

void require_finite(float value, const char* name) {
    if (!std::isfinite(value))
        throw std::invalid_argument(std::string("sampling setting ") + name + " must be a finite number");
}

void reject(const char* name, const std::string& why) {
    throw std::invalid_argument(std::string("sampling setting ") + name + " " + why);
}

uint64_t random_seed() {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ static_cast<uint64_t>(device());
}

// A uniform double in [0, 1) from the top 53 bits of one raw output: the same on every
// standard library, unlike std::uniform_real_distribution.
double uniform01(std::mt19937_64& rng) {
    return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace

void sampling_settings::validate() const {
    require_finite(temperature, "temperature");
    require_finite(top_p, "top_p");
    require_finite(min_p, "min_p");
    require_finite(repeat_penalty, "repeat_penalty");
    require_finite(frequency_penalty, "frequency_penalty");
    require_finite(presence_penalty, "presence_penalty");
    if (!(top_p > 0.0f && top_p <= 1.0f))
        reject("top_p", "must be in (0, 1], got " + std::to_string(top_p));
    if (!(min_p >= 0.0f && min_p <= 1.0f))
        reject("min_p", "must be in [0, 1], got " + std::to_string(min_p));
    if (!(repeat_penalty > 0.0f))
        reject("repeat_penalty", "must be > 0, got " + std::to_string(repeat_penalty));
    if (penalty_last_n < 0)
        reject("penalty_last_n", "must be >= 0, got " + std::to_string(penalty_last_n));
}

sampler::sampler(sampling_settings settings)
    : settings_(settings), seed_(0) {
    settings_.validate();
    seed_ = settings_.seed ? *settings_.seed : random_seed();
    rng_.seed(seed_);
}

void sampler::accept(int32_t token) {
    if (token < 0) throw std::invalid_argument("sampler::accept: negative token id " + std::to_string(token));
    const auto capacity = static_cast<std::size_t>(settings_.penalty_last_n);
    if (capacity == 0) return;
    if (history_.size() < capacity) {
        history_.push_back(token);
        return;
    }
    history_[history_next_] = token;
    history_next_ = (history_next_ + 1) % capacity;
}

void sampler::reset() {
    history_.clear();
    history_next_ = 0;
    rng_.seed(seed_);
}

int32_t sampler::sample(std::span<const float> logits) {
    using namespace sampling_detail;
    if (logits.empty()) throw std::invalid_argument("sampler::sample: empty logits");
    if (logits.size() > static_cast<std::size_t>(INT32_MAX))
        throw std::invalid_argument("sampler::sample: more logits than int32 token ids");

    const std::size_t vocab = logits.size();
    if (settings_.temperature <= 0.0f && settings_.repeat_penalty == 1.0f && settings_.frequency_penalty == 0.0f &&
        settings_.presence_penalty == 0.0f) {
        // Greedy with nothing to change the logits: the first highest one (NaN never is), read in
        // place. The candidate list below costs a server a 16-byte write per vocabulary entry,
        // per sequence, per step.
        std::size_t best = 0;
        float best_logit = std::isnan(logits[0]) ? -std::numeric_limits<float>::infinity() : logits[0];
        for (std::size_t i = 1; i < vocab; ++i)
            if (logits[i] > best_logit) {
                best_logit = logits[i];
                best = i;
            }
        if (best_logit == -std::numeric_limits<float>::infinity())
            throw std::invalid_argument("sampler: every logit is -inf or NaN");
        return static_cast<int32_t>(best);
    }
    candidates_.resize(vocab);
    for (std::size_t i = 0; i < vocab; ++i) {
        const float l = logits[i];
        candidates_[i] = {static_cast<int32_t>(i),
                          std::isnan(l) ? -std::numeric_limits<float>::infinity() : l, 0.0};
    }
    if (counts_.size() < vocab) counts_.resize(vocab, 0);

    std::span<candidate> all(candidates_);
    apply_penalties(all, history_, std::span<int32_t>(counts_).first(vocab), settings_);

    if (settings_.temperature <= 0.0f) {
        const int32_t best = argmax(all);
        if (all[static_cast<std::size_t>(best)].logit == -std::numeric_limits<float>::infinity())
            throw std::invalid_argument("sampler: every logit is -inf or NaN");
        return best;
    }

    std::size_t count = keep_top_k(all, settings_.top_k);
    bool sorted = count < vocab;
    const double total = softmax_weights(all.first(count), settings_.temperature);
    // min-p before top-p: both keep a prefix of the ranked list measured against the same
    // softmax (min-p against the top probability, top-p against `total`), so the order gives
    // the same result, and min-p first leaves top-p far fewer candidates to sort.
    count = keep_min_p(all.first(count), settings_.min_p);
    count = keep_top_p(all.first(count), settings_.top_p, total, sorted);

    // Renormalise over what is left and draw.
    const std::span<const candidate> kept = all.first(count);
    double kept_total = 0.0;
    for (const candidate& c : kept) kept_total += c.weight;
    const double target = uniform01(rng_) * kept_total;
    double cumulative = 0.0;
    for (const candidate& c : kept) {
        cumulative += c.weight;
        if (target < cumulative) return c.id;
    }
    // Rounding left target at the very top: the last candidate with any weight.
    for (std::size_t i = count; i-- > 0;)
        if (kept[i].weight > 0.0) return kept[i].id;
    return kept.front().id;
}

}  // namespace plinth
