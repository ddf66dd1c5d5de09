#include "abi10_float.h"

#include <math.h>
#include <string.h>

float abi10_exp(float x) { return (float)exp((double)x); }

uint16_t abi10_f32_to_f16(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof(bits));
    const uint16_t sign = (uint16_t)((bits >> 16) & 0x8000u);
    const uint32_t magnitude = bits & 0x7fffffffu;
    if (magnitude >= 0x7f800000u) /* inf stays inf; a NaN stays a (quiet) NaN */
        return (uint16_t)(sign | 0x7c00u | (magnitude > 0x7f800000u ? 0x0200u : 0u));
    if (magnitude >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* 65520 and up round to inf */
    if (magnitude >= 0x38800000u) {
        /* A normal F16: rebias the exponent (127 -> 15), keep 10 of the 23 mantissa bits, round the
         * other 13 to nearest even; a carry out of the mantissa moves the exponent up, as it should. */
        uint32_t h = (magnitude >> 13) - ((127u - 15u) << 10);
        const uint32_t rest = magnitude & 0x1fffu;
        if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
        return (uint16_t)(sign | h);
    }
    /* Below 2^-14: a subnormal F16, m * 2^-24, m = x * 2^24 rounded to nearest even. */
    const uint32_t exponent = magnitude >> 23;
    if (exponent < 102) return sign; /* below 2^-25 (and float subnormals): rounds to 0 */
    const uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126u - exponent; /* 14 .. 24 */
    uint32_t m = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    if (rest > half || (rest == half && (m & 1u))) ++m; /* 1024 is the smallest normal: still right */
    return (uint16_t)(sign | m);
}

float abi10_f16_to_f32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
    if (exponent == 0) { /* zero or subnormal: m * 2^-24, exact in float */
        const float value = (float)mantissa * 0x1p-24f;
        return sign ? -value : value;
    }
    const uint32_t bits = exponent == 31 ? sign | 0x7f800000u | (mantissa << 13)
                                         : sign | ((exponent + 127u - 15u) << 23) | (mantissa << 13);
    float out;
    memcpy(&out, &bits, sizeof(out));
    return out;
}

float abi10_round_f16(float x) { return abi10_f16_to_f32(abi10_f32_to_f16(x)); }
