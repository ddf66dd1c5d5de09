#pragma once
// The cos / sin tables ROPE reads (shaders/rope.comp), made on the host.
//
// The CPU backend (and the reference) rotate by the C library's cosf / sinf of each float angle.
// A GPU's sin and cos are far less precise, and even an independent correctly rounded evaluation
// differs from the C library's in the last bit for about 1% of angles (measured here: 1.3% of 10^7
// angles in [0, 600)); with quantized weights those bits reach the logits past the goldens'
// tolerance. So the host computes the angles' cos and sin as op_rope.cpp does, once per rope
// setting, for positions 0 .. positions - 1; the shader falls back to its own evaluation beyond.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace plinth::vk {

struct rope_table {
    float step = 0, scale = 0;  // theta_{i+1} = theta_i * step; the angle is scale * theta_i
    uint32_t half = 0;          // rotated pairs per head
    uint32_t positions = 0;     // rows of the table
    std::vector<float> factors; // ROPE's src2 (pair i's angle divided by factors[i]); empty: none

    bool operator==(const rope_table&) const = default;
    // The table, then the factors (the shader's evaluation past the table divides by them too).
    uint64_t words() const { return uint64_t(positions) * half * 2 + factors.size(); }
};

// Positions a table covers when no ATTENTION node of the graph says how long its sequences can
// be, and the most it covers when one does (32 MiB for head size 128).
constexpr uint32_t rope_table_default_positions = 4096;
constexpr uint32_t rope_table_max_positions = 65536;

// out[2 (p half + i)] = cos(scale theta_i(p) / factor_i), out[2 (p half + i) + 1] = sin(...),
// theta_0(p) = p: sdk::rope_cos_sin (plinth/sdk/rope_angles.hpp), what the CPU backend computes;
// then the factors themselves.
void fill_rope_table(const rope_table& t, float* out);

// The distinct tables of one graph's ROPE nodes, laid out one after another from a first word.
struct rope_table_set {
    std::vector<rope_table> tables;
    std::vector<uint32_t> table_of;  // by node: its table (ROPE nodes only)
    std::vector<uint32_t> word;      // by table: its first word

    void clear(size_t nodes) {
        tables.clear();
        word.clear();
        table_of.assign(nodes, 0);
    }
    // Node `node`'s table: n_rot rotated dims, base and scale of its angles, and its frequency
    // factors (empty: none).
    void add(uint32_t node, uint32_t n_rot, float base, float scale, uint32_t positions, std::vector<float> factors);
    // Assigns the words from `first`; returns the word after the last table.
    uint64_t lay_out(uint64_t first);
};

}  // namespace plinth::vk
