#pragma once
// GEGLU's gelu, the tanh form in float, as the CPU backend evaluates it for its 64K-entry table of
// F16 results (plinth/compute.h, precision contract). A backend that builds the same table on the
// host calls this, so both tables hold the same bits (the C library's tanhf, no fma contraction:
// the project compiles with -ffp-contract=off).
//
// Header-only and C++17, like the rest of the SDK.
#include <cmath>

namespace plinth::sdk {

inline float gelu_tanh(float x) {
    const float k = 0.7978845608028654f;  // sqrt(2 / pi)
    return 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
}

}  // namespace plinth::sdk
