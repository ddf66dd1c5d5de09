#pragma once
// ROPE's cos / sin tables made on the host, for a device backend that wants the CPU backend's bits
// (the Vulkan and CUDA plugins). A GPU's sin and cos, and even an independent correctly rounded
// evaluation, differ from the C library's in the last bit for about 1% of angles (measured: 1.3% of
// 10^7 angles in [0, 600)); with quantized weights those bits reach the logits past the goldens'
// tolerance. So the host computes each rope setting's cos and sin with rope_cos_sin
// (rope_angles.hpp), once, for positions 0 .. positions - 1, followed by the frequency factors; the
// device evaluates positions past the table itself.
//
// Header-only and C++17, like the rest of the SDK.
#include <plinth/sdk/rope_angles.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace plinth::sdk {

struct rope_table {
    float step = 0, scale = 0;   // theta_{i+1} = theta_i * step; the angle is scale * theta_i
    uint32_t half = 0;           // rotated pairs per head
    uint32_t positions = 0;      // rows of the table
    std::vector<float> factors;  // ROPE's src2 (pair i's angle divided by factors[i]); empty: none

    bool operator==(const rope_table& o) const {
        return step == o.step && scale == o.scale && half == o.half && positions == o.positions && factors == o.factors;
    }
    bool operator!=(const rope_table& o) const { return !(*this == o); }
    // The table, then the factors (a device's evaluation past the table divides by them too).
    uint64_t words() const { return uint64_t(positions) * half * 2 + factors.size(); }
};

// Positions a table covers when no ATTENTION node of the graph says how long its sequences can be,
// and the most it covers when one does (32 MiB for head size 128).
constexpr uint32_t rope_table_default_positions = 4096;
constexpr uint32_t rope_table_max_positions = 65536;

// out[2 (p half + i)] = cos(scale theta_i(p) / factor_i), out[2 (p half + i) + 1] = sin(...),
// theta_0(p) = p, as the CPU backend computes them; then the factors themselves. t.words() floats.
inline void fill_rope_table(const rope_table& t, float* out) {
    const float* factors = t.factors.empty() ? nullptr : t.factors.data();
    for (uint32_t p = 0; p < t.positions; ++p)
        rope_cos_sin(float(p), t.step, t.scale, t.half, out + size_t(p) * t.half * 2, factors);
    std::copy(t.factors.begin(), t.factors.end(), out + size_t(t.positions) * t.half * 2);
}

// The distinct tables of one graph's ROPE nodes, laid out one after another from a first word.
struct rope_table_set {
    std::vector<rope_table> tables;
    std::vector<uint32_t> table_of;  // by node: its table (ROPE nodes only)
    std::vector<uint64_t> word;      // by table: its first word

    void clear(size_t nodes) {
        tables.clear();
        word.clear();
        table_of.assign(nodes, 0);
    }
    // Node `node`'s table: n_rot rotated dims, base and scale of its angles, and its frequency
    // factors (empty: none).
    void add(uint32_t node, uint32_t n_rot, float base, float scale, uint32_t positions, std::vector<float> factors) {
        rope_table t{rope_step(base, n_rot), scale, n_rot / 2, positions, std::move(factors)};
        uint32_t k = 0;
        while (k < tables.size() && tables[k] != t) ++k;
        if (k == tables.size()) tables.push_back(std::move(t));
        table_of.at(node) = k;
    }
    // Assigns the words from `first`; returns the word after the last table.
    uint64_t lay_out(uint64_t first = 0) {
        word.clear();
        for (const rope_table& t : tables) {
            word.push_back(first);
            first += t.words();
        }
        return first;
    }
};

}  // namespace plinth::sdk
