// The penalties stage: repeat, frequency and presence penalties over the recent-token window.
#include "stages.hpp"

namespace plinth::sampling_detail {

void apply_penalties(std::span<candidate> by_id, std::span<const int32_t> window,
                     std::span<int32_t> counts, const sampling_settings& settings) {
    const float repeat = settings.repeat_penalty;
    const float frequency = settings.frequency_penalty;
    const float presence = settings.presence_penalty;
    if (repeat == 1.0f && frequency == 0.0f && presence == 0.0f) return;

    const auto vocab = static_cast<int64_t>(by_id.size());
    for (const int32_t token : window)
        if (token < vocab) ++counts[static_cast<std::size_t>(token)];

    // Each distinct token once: the first visit applies its penalty and clears its count.
    for (const int32_t token : window) {
        if (token >= vocab) continue;
        const auto slot = static_cast<std::size_t>(token);
        const int32_t count = counts[slot];
        if (count == 0) continue;
        counts[slot] = 0;
        float& logit = by_id[slot].logit;
        if (repeat != 1.0f) logit = logit > 0.0f ? logit / repeat : logit * repeat;
        logit -= static_cast<float>(count) * frequency;
        logit -= presence;
    }
}

}  // namespace plinth::sampling_detail
