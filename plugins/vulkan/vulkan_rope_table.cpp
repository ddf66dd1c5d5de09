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

}  // namespace plinth::vk
