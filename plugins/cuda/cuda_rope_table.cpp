#include "cuda_rope_table.hpp"

#include <plinth/sdk/rope_angles.hpp>

#include <utility>

namespace plinth::cuda {

void fill_rope_table(const rope_table& t, float* out) {
    const float* factors = t.factors.empty() ? nullptr : t.factors.data();
    for (uint32_t p = 0; p < t.positions; ++p)
        sdk::rope_cos_sin(float(p), t.step, t.scale, t.half, out + size_t(p) * t.half * 2, factors);
}

void rope_table_set::add(uint32_t node, uint32_t n_rot, float base, float scale, uint32_t positions,
                         std::vector<float> factors) {
    const rope_table t{sdk::rope_step(base, n_rot), scale, n_rot / 2, positions, std::move(factors)};
    uint32_t k = 0;
    while (k < tables.size() && !(tables[k] == t)) ++k;
    if (k == tables.size()) tables.push_back(t);
    table_of.at(node) = k;
}

uint64_t rope_table_set::lay_out() {
    word.clear();
    uint64_t first = 0;
    for (const rope_table& t : tables) {
        word.push_back(first);
        first += t.words();
    }
    return first;
}

}  // namespace plinth::cuda
