#pragma once
// GEGLU's gelu, the tanh form in float, as the CPU backend evaluates it for its 64K-entry table of
// F16 results (plinth/compute.h, precision contract). A backend that builds the same table on the
// host calls this, so both tables hold the same bits (the C library's tanhf, no fma contraction:
// the project compiles with -ffp-contract=off).
//
// Header-only and C++17, like the rest of the SDK.
#include <cmath>
#include <cstdint>
#include <cstring>

namespace plinth::sdk {

inline float gelu_tanh(float x) {
    const float k = 0.7978845608028654f;  // sqrt(2 / pi)
    return 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
}

// The table itself, for a backend that looks gelu up as the CPU backend does (Vulkan, CUDA): a GPU's
// tanh, or an independent double evaluation, may differ from the C library's tanhf by an ulp, and
// near an F16 rounding boundary that becomes a whole F16 step in the output; filling the table on
// the host with gelu_tanh gives every backend the same bits.
constexpr uint32_t gelu_f16_table_entries = 65536;

namespace detail {
inline float gelu_table_half_to_float(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu;
    uint32_t bits;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000u | (man << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else {  // subnormal: exact as a float
        float v = float(man) * (1.0f / 16777216.0f);
        std::memcpy(&bits, &v, 4);
        bits |= sign;
    }
    float out;
    std::memcpy(&out, &bits, 4);
    return out;
}

// Round to nearest even, overflow to inf, NaN stays NaN (the CPU backend's f32_to_f16).
inline uint16_t gelu_table_float_to_half(float v) {
    uint32_t x;
    std::memcpy(&x, &v, 4);
    const uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7FFFFFFFu;
    if (ax >= 0x7F800000u) return uint16_t(sign | 0x7C00u | (ax > 0x7F800000u ? 0x200u | ((ax >> 13) & 0x3FFu) : 0u));
    if (ax >= 0x477FF000u) return uint16_t(sign | 0x7C00u);
    if (ax < 0x38800000u) {  // a subnormal half (or zero)
        if (ax < 0x33000000u) return uint16_t(sign);
        const uint32_t shift = 126u - (ax >> 23), m = (ax & 0x7FFFFFu) | 0x800000u;
        uint32_t h = m >> shift;
        const uint32_t rem = m & ((1u << shift) - 1u), halfway = 1u << (shift - 1u);
        if (rem > halfway || (rem == halfway && (h & 1u))) ++h;
        return uint16_t(sign | h);
    }
    uint32_t h = (ax - 0x38000000u) >> 13;
    const uint32_t rem = ax & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
    return uint16_t(sign | h);
}
}  // namespace detail

// out[h] = F16(gelu_tanh(float(h))) for every F16 bit pattern h (round to nearest even).
inline void fill_gelu_f16_table(uint16_t* out) {
    for (uint32_t i = 0; i < gelu_f16_table_entries; ++i)
        out[i] = detail::gelu_table_float_to_half(gelu_tanh(detail::gelu_table_half_to_float(uint16_t(i))));
}

}  // namespace plinth::sdk
