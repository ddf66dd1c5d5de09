#pragma once
// The stages of the sampling chain, one file each, shared by sampler.cpp (the chain itself).
// Internal to libplinth: not installed.
#include <plinth/sampler.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace plinth::sampling_detail {

using candidate = sampler::candidate;

// The order every stage ranks by: higher logit first, then lower id. A total order, so sorting
// by it gives the same result with every standard library.
inline bool ranks_before(const candidate& a, const candidate& b) {
    if (a.logit != b.logit) return a.logit > b.logit;
    return a.id < b.id;
}

// penalties.cpp. `by_id[i]` is token i. `window` holds the recent tokens (any order, repeats
// allowed; ids >= by_id.size() are ignored). `counts` has by_id.size() zeros and is left so.
void apply_penalties(std::span<candidate> by_id, std::span<const int32_t> window,
                     std::span<int32_t> counts, const sampling_settings& settings);

// truncation.cpp -----------------------------------------------------------------------------

// The id of the first candidate under ranks_before (highest logit, lowest id on ties).
int32_t argmax(std::span<const candidate> candidates);

// Moves the k best candidates to the front, sorted by ranks_before; returns how many remain.
// k <= 0 or k >= size keeps everything untouched.
std::size_t keep_top_k(std::span<candidate> candidates, int32_t k);

// weight = exp((logit - max) / temperature), so the best candidate weighs exactly 1.
// Returns the sum of the weights. Throws std::invalid_argument when every logit is -inf.
double softmax_weights(std::span<candidate> candidates, float temperature);

// Keeps, in order, the candidates whose probability is at least min_p times the top one's.
// min_p <= 0 keeps everything. Needs softmax_weights (the top weight is 1).
std::size_t keep_min_p(std::span<candidate> candidates, float min_p);

// Ranks by ranks_before (unless `sorted`: already ranked) as far as needed, then keeps the
// shortest prefix whose probability, measured against `total` (the weight sum before any of the
// truncations after softmax), is at least top_p. top_p >= 1 keeps everything untouched.
std::size_t keep_top_p(std::span<candidate> candidates, float top_p, double total, bool sorted);

}  // namespace plinth::sampling_detail
