#include "vulkan_rope_table.hpp"

#include <cmath>

namespace plinth::vk {

void fill_rope_table(const rope_table& t, float* out) {
    for (uint32_t p = 0; p < t.positions; ++p) {
        float theta = float(p);
        for (uint32_t i = 0; i < t.half; ++i) {
            *out++ = std::cos(t.scale * theta);
            *out++ = std::sin(t.scale * theta);
            theta *= t.step;
        }
    }
}

float rope_step(float base, uint32_t n_rot) { return std::pow(base, -2.0f / float(2 * (n_rot / 2))); }

void rope_table_set::add(uint32_t node, uint32_t n_rot, float base, float scale, uint32_t positions) {
    const rope_table t{rope_step(base, n_rot), scale, n_rot / 2, positions};
    uint32_t k = 0;
    while (k < tables.size() && !(tables[k] == t)) ++k;
    if (k == tables.size()) tables.push_back(t);
    table_of.at(node) = k;
}

uint64_t rope_table_set::lay_out(uint64_t first) {
    word.clear();
    for (const rope_table& t : tables) {
        word.push_back(uint32_t(first));
        first += t.words();
    }
    return first;
}

}  // namespace plinth::vk
