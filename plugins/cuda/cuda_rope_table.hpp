#pragma once
// The cos / sin tables ROPE reads (kernels/rope.cu), made on the host.
//
// The CPU backend (and the reference) rotate by the C library's cosf / sinf of each float angle; a
// GPU's, and even an independent correctly rounded evaluation, differ from those in the last bit
// for about 1% of angles, which quantized weights carry to the logits. So, as the Vulkan backend
// does, the host computes cos and sin with the CPU backend's code (plinth/sdk/rope_angles.hpp),
// once per rope setting, for positions 0 .. positions - 1, and uploads them; the kernel evaluates
// positions past the table itself (in double, rounded to float: within an ulp).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace plinth::cuda {

struct rope_table {
    float step = 0, scale = 0;   // theta_{i+1} = theta_i * step; the angle is scale * theta_i
    uint32_t half = 0;           // rotated pairs per head
    uint32_t positions = 0;      // rows of the table
    std::vector<float> factors;  // ROPE's src2 (pair i's angle divided by factors[i]); empty: none

    bool operator==(const rope_table&) const = default;
    uint64_t words() const { return uint64_t(positions) * half * 2; }
};

// Positions a table covers when no ATTENTION node of the graph says how long its sequences can
// be, and the most it covers when one does (32 MiB for head size 128).
constexpr uint32_t rope_table_default_positions = 4096;
constexpr uint32_t rope_table_max_positions = 65536;

// out[2 (p half + i)] = cos(scale theta_i(p) / factor_i), out[2 (p half + i) + 1] = sin(...),
// theta_0(p) = p: what the CPU backend computes.
void fill_rope_table(const rope_table& t, float* out);

// The distinct tables of one graph's ROPE nodes, laid out one after another.
struct rope_table_set {
    std::vector<rope_table> tables;
    std::vector<uint32_t> table_of;  // by node: its table (ROPE nodes only)
    std::vector<uint64_t> word;      // by table: its first word

    void clear(size_t nodes) {
        tables.clear();
        word.clear();
        table_of.assign(nodes, 0);
    }
    // Node `node`'s table: n_rot rotated dims, base and scale of its angles, its frequency factors
    // (empty: none).
    void add(uint32_t node, uint32_t n_rot, float base, float scale, uint32_t positions, std::vector<float> factors);
    // Assigns the words from 0; returns the words of all tables.
    uint64_t lay_out();
};

}  // namespace plinth::cuda
