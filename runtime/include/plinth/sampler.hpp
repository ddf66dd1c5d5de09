#pragma once
// Token sampling: the settings, the sampler that turns one step's logits into a token, and the
// log-probability helper perplexity uses. The reference of every setting is docs/sampling.md.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <vector>

namespace plinth {

struct sampling_settings {
    float temperature = 0.8f;        // <= 0: greedy (argmax, ties to the lowest id)
    int32_t top_k = 40;              // <= 0: off
    float top_p = 0.95f;             // in (0, 1]; 1: off
    float min_p = 0.05f;             // in [0, 1], relative to the top token's probability; 0: off
    float repeat_penalty = 1.0f;     // > 0; 1: off
    int32_t penalty_last_n = 64;     // >= 0: how many recent tokens the penalties look at; 0: off
    float frequency_penalty = 0.0f;  // subtracted once per occurrence in the window; 0: off
    float presence_penalty = 0.0f;   // subtracted once if present in the window; 0: off
    std::optional<uint64_t> seed;    // absent: a random seed, drawn when the sampler is made

    // Throws std::invalid_argument naming the first setting that makes no sense
    // (NaN or infinity anywhere, top_p outside (0, 1], min_p outside [0, 1],
    // repeat_penalty <= 0, penalty_last_n < 0).
    void validate() const;
};

class sampler {
public:
    // Validates the settings (std::invalid_argument) and seeds the generator.
    explicit sampler(sampling_settings settings);

    // One token id in [0, logits.size()). NaN logits count as -inf. Throws std::invalid_argument
    // for empty logits or when no token has a finite or +inf logit. Does not record the token:
    // call accept() for it.
    int32_t sample(std::span<const float> logits);

    // Records a token (prompt or generated) for the penalties' window. Ids the logits of a later
    // call do not cover are kept but ignored. Throws std::invalid_argument for a negative id.
    void accept(int32_t token);

    // Forgets the recorded tokens and restarts the generator from the same seed, so the same
    // logits sequence gives the same tokens again.
    void reset();

    const sampling_settings& settings() const { return settings_; }
    // The seed in use: the one set, or the one drawn when the settings left it absent.
    uint64_t seed() const { return seed_; }

    // One candidate token of a step (public so the stages in other translation units share it).
    struct candidate {
        int32_t id;
        float logit;
        double weight;  // unnormalised probability, set by the softmax stage
    };

private:
    sampling_settings settings_;
    uint64_t seed_;
    std::mt19937_64 rng_;
    std::vector<int32_t> history_;  // ring buffer of the last penalty_last_n accepted tokens
    std::size_t history_next_ = 0;  // where the next token goes once the ring is full
    std::vector<candidate> candidates_;  // reused from call to call
    std::vector<int32_t> counts_;        // per token id, all zero between calls
};

// log softmax(logits)[token], computed in double with the max subtracted first.
// Throws std::invalid_argument for empty logits or a token outside [0, logits.size()).
double log_softmax_at(std::span<const float> logits, int32_t token);

}  // namespace plinth
