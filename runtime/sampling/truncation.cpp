// The stages that narrow the candidate list: top-k, softmax with temperature, min-p, top-p.
#include "stages.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace plinth::sampling_detail {

int32_t argmax(std::span<const candidate> candidates) {
    float best_logit = candidates.front().logit;
    int32_t best_id = candidates.front().id;
    for (const candidate& c : candidates) {
        if (c.logit > best_logit || (c.logit == best_logit && c.id < best_id)) {
            best_logit = c.logit;
            best_id = c.id;
        }
    }
    return best_id;
}

std::size_t keep_top_k(std::span<candidate> candidates, int32_t k) {
    if (k <= 0 || static_cast<std::size_t>(k) >= candidates.size()) return candidates.size();
    const auto kept = static_cast<std::size_t>(k);
    const auto first = candidates.begin();
    const auto middle = first + static_cast<std::ptrdiff_t>(kept);
    // One pass with a heap of the k best so far, its worst on top: most candidates cost one
    // comparison against that worst, far cheaper than nth_element over the whole vocabulary.
    std::make_heap(first, middle, ranks_before);
    for (auto it = middle; it != candidates.end(); ++it) {
        if (!ranks_before(*it, *first)) continue;
        std::pop_heap(first, middle, ranks_before);
        std::swap(*(middle - 1), *it);
        std::push_heap(first, middle, ranks_before);
    }
    std::sort_heap(first, middle, ranks_before);
    return kept;
}

double softmax_weights(std::span<candidate> candidates, float temperature) {
    float max = -std::numeric_limits<float>::infinity();
    for (const candidate& c : candidates) max = std::max(max, c.logit);
    if (max == -std::numeric_limits<float>::infinity())
        throw std::invalid_argument("sampler: every logit is -inf or NaN");

    const double inv_temperature = 1.0 / static_cast<double>(temperature);
    double total = 0.0;
    for (candidate& c : candidates) {
        // The equality test keeps +inf logits at weight 1 (inf - inf would be NaN).
        c.weight = c.logit == max
                       ? 1.0
                       : std::exp((static_cast<double>(c.logit) - static_cast<double>(max)) *
                                  inv_temperature);
        total += c.weight;
    }
    return total;
}

std::size_t keep_min_p(std::span<candidate> candidates, float min_p) {
    if (min_p <= 0.0f) return candidates.size();
    // p_i >= min_p * p_max  <=>  weight_i >= min_p, as the top weight is 1.
    const double threshold = static_cast<double>(min_p);
    const auto end = std::remove_if(candidates.begin(), candidates.end(),
                                    [threshold](const candidate& c) { return c.weight < threshold; });
    return static_cast<std::size_t>(end - candidates.begin());
}

std::size_t keep_top_p(std::span<candidate> candidates, float top_p, double total, bool sorted) {
    if (top_p >= 1.0f) return candidates.size();
    const double target = static_cast<double>(top_p) * total;
    const std::size_t n = candidates.size();
    // Unsorted, rank only as many as needed: the best `ranked` in order, growing fourfold until
    // they hold enough probability. The prefix is the one a full sort would give.
    std::size_t ranked = sorted ? n : std::min<std::size_t>(n, 256);
    for (;;) {
        if (!sorted) {
            const auto middle = candidates.begin() + static_cast<std::ptrdiff_t>(ranked);
            if (ranked < n) std::nth_element(candidates.begin(), middle - 1, candidates.end(), ranks_before);
            std::sort(candidates.begin(), middle, ranks_before);
        }
        double cumulative = 0.0;
        for (std::size_t i = 0; i < ranked; ++i) {
            cumulative += candidates[i].weight;
            if (cumulative >= target) return i + 1;
        }
        if (ranked == n) return n;
        ranked = std::min(n, ranked * 4);
    }
}

}  // namespace plinth::sampling_detail
