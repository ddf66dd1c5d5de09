#pragma once
// ROPE's cos / sin, computed as the reference (and the CPU backend) compute them, for a backend that
// wants the same bits: in float, theta_0 = the position, theta_{i+1} = theta_i * step with the float
// step = powf(base, -2 / n_rot), and the C library's cosf / sinf of scale * theta_i. A quantized
// model turns a last-bit difference here into activation code steps, and a GPU's (or any
// independent, even correctly rounded) sin / cos differs from the C library's in about 1% of
// angles; so the Vulkan backend fills host-side tables with this, as the CPU backend does.
//
// Header-only and C++17, like the rest of the SDK.
#include <cmath>
#include <cstdint>

namespace plinth::sdk {

// The step from one pair's angle to the next for a rope over n_rot dims.
inline float rope_step(float base, uint32_t n_rot) { return std::pow(base, -2.0f / float(2 * (n_rot / 2))); }

// out[2 i] = cos, out[2 i + 1] = sin of pair i < half's angle at `position`; with frequency
// factors (ROPE's src2, Llama 3), pair i's angle scale * theta_i is divided by factors[i].
inline void rope_cos_sin(float position, float step, float scale, uint32_t half, float* out,
                         const float* factors = nullptr) {
    float theta = position;
    for (uint32_t i = 0; i < half; ++i) {
        const float angle = factors ? scale * theta / factors[i] : scale * theta;
        out[2 * i] = std::cos(angle);
        out[2 * i + 1] = std::sin(angle);
        theta *= step;
    }
}

}  // namespace plinth::sdk
