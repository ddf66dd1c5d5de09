// Nearest-key hints for unknown keys: "unknown key 'contxt' in 'model'; did you mean 'context'?".
#include <plinth/config.hpp>

#include <algorithm>
#include <cctype>

namespace plinth {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Optimal string alignment: Levenshtein plus swaps of two adjacent characters.
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    std::vector<std::size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
    for (std::size_t j = 0; j <= m; ++j) prev[j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                cur[j] = std::min(cur[j], prev2[j - 2] + 1);
        }
        std::swap(prev2, prev);
        std::swap(prev, cur);
    }
    return prev[m];
}

namespace {

std::string lowered(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::optional<std::string> nearest_key(std::string_view typed,
                                       const std::vector<std::string_view>& candidates) {
    const std::string typed_lower = lowered(typed);
    std::optional<std::string> best;
    std::size_t best_distance = 0;
    for (std::string_view candidate : candidates) {
        const std::size_t d = edit_distance(typed_lower, lowered(candidate));
        const std::size_t limit = std::max<std::size_t>(2, candidate.size() / 3);
        if (d > limit || (d >= candidate.size() && d != 0)) continue;
        if (!best || d < best_distance) {
            best = std::string(candidate);
            best_distance = d;
        }
    }
    return best;
}

}  // namespace plinth
