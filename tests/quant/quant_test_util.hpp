#pragma once
// Shared by the tests of the weight formats and of the CPU kernels: a seeded generator that gives
// the same numbers with every standard library (std::normal_distribution does not), and the list
// of supported types.
#include <cmath>
#include <cstdint>
#include <vector>

#include <plinth/weight_types.h>

namespace plinth::weight_formats::test {

struct Rng {
    uint64_t state;
    explicit Rng(uint64_t seed) : state(seed) {}
    uint64_t next() {  // splitmix64
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
    int range(int lo, int hi) { return lo + int(next() % uint64_t(hi - lo + 1)); }  // [lo, hi]
    float normal() {  // Box-Muller
        const double u = 1.0 - uniform(), v = uniform();
        return float(std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v));
    }
    std::vector<float> normal_row(int64_t n, float scale = 1.0f) {
        std::vector<float> x(static_cast<size_t>(n));
        for (float& v : x) v = scale * normal();
        return x;
    }
};

inline const std::vector<uint32_t>& supported_types() {
    static const std::vector<uint32_t> types = {
        PLINTH_TYPE_F32,  PLINTH_TYPE_F16,  PLINTH_TYPE_BF16, PLINTH_TYPE_Q4_0, PLINTH_TYPE_Q4_1,
        PLINTH_TYPE_Q5_0, PLINTH_TYPE_Q5_1, PLINTH_TYPE_Q8_0, PLINTH_TYPE_Q8_1, PLINTH_TYPE_Q2_K,
        PLINTH_TYPE_Q3_K, PLINTH_TYPE_Q4_K, PLINTH_TYPE_Q5_K, PLINTH_TYPE_Q6_K, PLINTH_TYPE_Q8_K};
    return types;
}

// Relative RMS error on N(0, 1) rows, with about 10% margin over what this quantizer measures
// (8 rows of 4096, seed 1234; the same at scales 0.01 and 100): measured value in the comment.
inline double rms_bound(uint32_t type) {
    switch (type) {
    case PLINTH_TYPE_F32: return 0.0;
    case PLINTH_TYPE_F16: return 0.00025;   // 0.00021 (2^-11 / sqrt(3) = 0.00028 for uniform rounding)
    case PLINTH_TYPE_BF16: return 0.0019;   // 0.00166
    case PLINTH_TYPE_Q4_0: return 0.093;    // 0.0847
    case PLINTH_TYPE_Q4_1: return 0.087;    // 0.0790
    case PLINTH_TYPE_Q5_0: return 0.047;    // 0.0431
    case PLINTH_TYPE_Q5_1: return 0.042;    // 0.0379
    case PLINTH_TYPE_Q8_0: return 0.0059;   // 0.00533
    case PLINTH_TYPE_Q8_1: return 0.0059;   // 0.00532
    case PLINTH_TYPE_Q2_K: return 0.29;     // 0.268
    case PLINTH_TYPE_Q3_K: return 0.157;    // 0.143
    case PLINTH_TYPE_Q4_K: return 0.078;    // 0.0707
    case PLINTH_TYPE_Q5_K: return 0.039;    // 0.0359
    case PLINTH_TYPE_Q6_K: return 0.0184;   // 0.0167
    case PLINTH_TYPE_Q8_K: return 0.0076;   // 0.00693
    default: return 0.0;
    }
}

inline const char* type_name(uint32_t type) { return plinth_weight_type_info(type).name; }
inline int block_size(uint32_t type) { return int(plinth_weight_type_info(type).block_size); }

}  // namespace plinth::weight_formats::test
