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
#include <plinth/sdk/node_validator.hpp>
#include <plinth/sdk/op_rules.hpp>
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

// Bytes [begin, end) of a graph tensor in its buffer ({0, 0} for one the node checks would refuse).
inline std::pair<uint64_t, uint64_t> tensor_byte_span(const plinth_tensor& t) {
    const plinth_weight_type_traits traits = plinth_weight_type_info(t.type);
    if (!traits.name || traits.block_size == 0) return {0, 0};
    uint64_t rows = 1;
    for (int d = 1; d < 4; ++d)
        if (t.shape[d] == 0 || __builtin_mul_overflow(rows, t.shape[d], &rows)) return {0, 0};
    return {t.offset, t.offset + t.shape[0] / traits.block_size * traits.block_bytes * rows};
}

// For a node_limits hook: a backend that makes the tables on the host reads ROPE's frequency
// factors before the graph runs, so it refuses a ROPE whose factors an earlier node of the same
// graph writes (the node then runs on a backend that reads them in order).
inline plinth_status refuse_factors_written_in_graph(const plinth_graph& graph, uint32_t index, const char* backend,
                                                     const node_failure& fail) {
    const plinth_node& node = graph.nodes[index];
    if (!rope_has_factors(node)) return PLINTH_OK;
    const plinth_tensor& f = graph.tensors[node.src[2]];
    const auto [fb, fe] = tensor_byte_span(f);
    for (uint32_t i = 0; i < index; ++i) {
        const uint32_t w = graph.nodes[i].dst;
        if (w >= graph.n_tensors || graph.tensors[w].buffer != f.buffer) continue;
        const auto [wb, we] = tensor_byte_span(graph.tensors[w]);
        if (wb < fe && fb < we)
            return fail.unsupported("the frequency factors src2 (tensor %u) are written by node %u of the same graph; "
                                    "the %s backend reads them before the graph runs",
                                    node.src[2], i, backend);
    }
    return PLINTH_OK;
}

}  // namespace plinth::sdk
