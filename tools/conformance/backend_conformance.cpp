// The backend conformance suite's cases, op by op (see backend_conformance.hpp and
// docs/backends.md); conformance_harness.{hpp,cpp} runs and compares them.
#include "conformance_harness.hpp"

#include <plinth/weight_formats/half.hpp>
#include <plinth/weight_formats.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

namespace plinth::conformance {
namespace {

using namespace harness;

// The tolerances of docs/backends.md.
// Every backend follows the precision contract of plinth/compute.h (the CPU backend's arithmetic:
// the same activation quantization, F16 roundings and summation rules), so backend and reference
// differ by float rounding only: a few ulps of the result, or of the largest value of the row.
constexpr double f32_rel = 5e-7, f32_abs = 1e-7;      // element-wise F32 arithmetic (4 ulps)
constexpr double rope_rel = 5e-7, rope_abs = 5e-7;    // the same float angles; sin/cos to ~1 ulp
constexpr double attn_rel = 1e-6, attn_abs = 1e-6;    // exp to ~1 ulp, sums in the same order
// Over an F16 cache the weighted sum of V rows is kept in F16, rounded at every position: a
// float-rounding difference in a weight can move one rounding of the accumulator by one F16 step
// (2^-11 of it), which the final division by the softmax sum scales down to 2^-11 of max|V| at
// most (V here in [-1, 1]).
constexpr double attn_f16_abs = 5e-4;

const uint32_t weight_types[] = {PLINTH_TYPE_F32, PLINTH_TYPE_F16,  PLINTH_TYPE_Q4_0, PLINTH_TYPE_Q8_0,
                                 PLINTH_TYPE_Q4_K, PLINTH_TYPE_Q6_K, PLINTH_TYPE_Q5_K, PLINTH_TYPE_BF16};

// Row lengths to test for a weight type: odd ones where the type allows them.
std::vector<int64_t> row_lengths(uint32_t type) {
    const uint32_t block = plinth_weight_type_info(type).block_size;
    if (block == 1) return {3, 17, 69};
    if (block == 32) return {32, 96, 160};
    return {256, 512};
}

const int64_t batch_sizes[] = {1, 3, 7};

// ---- GET_ROWS

void cases_get_rows(std::vector<test_case>& out) {
    uint32_t seed = 100;
    for (uint32_t type : weight_types)
        for (int64_t n : row_lengths(type))
            for (int64_t T : batch_sizes) {
                const int64_t rows = 17;
                test_case c;
                c.group = "GET_ROWS";
                c.name = std::string("GET_ROWS ") + type_name(type) + " n=" + std::to_string(n) + " T=" + std::to_string(T);
                const auto table = encode(type, random_floats(size_t(n * rows), ++seed), n);
                auto ids = random_ints(size_t(T), ++seed, 0, int32_t(rows - 1));
                if (T > 1) ids[1] = ids[0];  // a repeated id
                if (T > 2) ids[2] = int32_t(rows - 1);
                graph_spec& g = c.graph;
                const uint32_t w = g.add(type, shp(uint64_t(n), uint64_t(rows)), table.data());
                const uint32_t i = g.i32(ids);
                const uint32_t d = g.f32(shp(uint64_t(n), uint64_t(T)));
                g.node(PLINTH_OP_GET_ROWS, d, {w, i});
                c.checks.push_back(close(d, f32_rel, 0));
                out.push_back(std::move(c));
            }
}

// ---- RMS_NORM

void cases_rms_norm(std::vector<test_case>& out) {
    uint32_t seed = 200;
    for (int64_t n : {3, 17, 69, 256})
        for (int64_t T : batch_sizes)
            for (bool in_place : {false, true}) {
                if (in_place && n != 69) continue;
                test_case c;
                c.group = "RMS_NORM";
                c.name = "RMS_NORM n=" + std::to_string(n) + " T=" + std::to_string(T) + (in_place ? " in place" : "");
                graph_spec& g = c.graph;
                const uint32_t x = g.f32(shp(uint64_t(n), uint64_t(T)), random_floats(size_t(n * T), ++seed, -2, 2));
                const uint32_t w = g.f32(shp(uint64_t(n)), random_floats(size_t(n), ++seed, 0.5f, 1.5f));
                const uint32_t d = in_place ? x : g.f32(shp(uint64_t(n), uint64_t(T)));
                g.node(PLINTH_OP_RMS_NORM, d, {x, w}).f[0] = 1e-5f;
                c.checks.push_back(close(d, f32_rel, f32_abs));
                out.push_back(std::move(c));
            }
}

// ---- MATMUL

// The double-precision reference and the reference backend's activation-quantization bound.
void matmul_expectations(uint32_t type, const std::vector<uint8_t>& weights, int64_t K, int64_t N,
                         const std::vector<float>& x, int64_t T, check& c) {
    const std::vector<float> w = decode(type, weights, K);
    const uint32_t act = weight_formats::activation_type(type);
    const int64_t act_block = act == PLINTH_TYPE_F32 ? 0 : int64_t(plinth_weight_type_info(act).block_size);
    c.exact.assign(size_t(N * T), 0);
    c.bound.assign(size_t(N * T), 0);
    c.magnitude.assign(size_t(N * T), 0);
    for (int64_t t = 0; t < T; ++t) {
        // What the reference may do to an activation before the dot product: one quantization step
        // (amax of its block / 127) for the quantized formats; for F16 / BF16 weights a rounding of
        // the activation to the weight's own format (as llama.cpp does), 2^-11 / 2^-8 of it.
        std::vector<double> step(size_t(K), 0);
        if (act_block) {
            for (int64_t b0 = 0; b0 < K; b0 += act_block) {
                double amax = 0;
                for (int64_t k = b0; k < b0 + act_block; ++k) amax = std::max(amax, std::fabs(double(x[size_t(t * K + k)])));
                for (int64_t k = b0; k < b0 + act_block; ++k) step[size_t(k)] = amax / 127.0;
            }
        } else if (type == PLINTH_TYPE_F16 || type == PLINTH_TYPE_BF16) {
            const double rel = type == PLINTH_TYPE_F16 ? std::ldexp(1.0, -11) : std::ldexp(1.0, -8);
            for (int64_t k = 0; k < K; ++k) step[size_t(k)] = rel * std::fabs(double(x[size_t(t * K + k)])) + 1e-7;
        }
        for (int64_t j = 0; j < N; ++j) {
            double s = 0, bound = 0, mag = 0;
            for (int64_t k = 0; k < K; ++k) {
                const double wv = w[size_t(j * K + k)], xv = x[size_t(t * K + k)];
                s += wv * xv;
                bound += std::fabs(wv) * step[size_t(k)];
                mag += std::fabs(wv * xv);
            }
            c.exact[size_t(t * N + j)] = s;
            c.bound[size_t(t * N + j)] = bound;
            c.magnitude[size_t(t * N + j)] = mag;
        }
    }
}

void cases_matmul(std::vector<test_case>& out) {
    uint32_t seed = 300;
    for (uint32_t type : weight_types)
        for (int64_t K : row_lengths(type))
            for (int64_t N : {3, 17, 69})
                for (int64_t T : {1, 3, 7, 17}) {
                    // Keep the count down: every N for T = 7, N = 17 for the other batch sizes.
                    if (T != 7 && N != 17) continue;
                    test_case c;
                    c.group = "MATMUL";
                    c.name = std::string("MATMUL ") + type_name(type) + " K=" + std::to_string(K) + " N=" +
                             std::to_string(N) + " T=" + std::to_string(T);
                    const auto weights = encode(type, random_floats(size_t(K * N), ++seed), K);
                    const auto x = random_floats(size_t(K * T), ++seed);
                    graph_spec& g = c.graph;
                    const uint32_t w = g.add(type, shp(uint64_t(K), uint64_t(N)), weights.data());
                    const uint32_t a = g.f32(shp(uint64_t(K), uint64_t(T)), x);
                    const uint32_t d = g.f32(shp(uint64_t(N), uint64_t(T)));
                    g.node(PLINTH_OP_MATMUL, d, {w, a});
                    check k;
                    k.tensor = d;
                    k.mode = compare::matmul;
                    matmul_expectations(type, weights, K, N, x, T, k);
                    c.checks.push_back(std::move(k));
                    out.push_back(std::move(c));
                }
}

// ---- ADD, MUL, SWIGLU

void cases_elementwise(std::vector<test_case>& out, uint32_t op) {
    uint32_t seed = 400 + op * 10;
    for (int64_t n : {3, 17, 69})
        for (int64_t T : batch_sizes)
            for (int variant = 0; variant < 3; ++variant) {
                // 0: plain; 1: in place (dst = src0); 2: MUL and ADD (a bias, ABI 1.1), src1 one row broadcast
                if (variant == 1 && n != 17) continue;
                if (variant == 2 && op != PLINTH_OP_MUL && op != PLINTH_OP_ADD) continue;
                test_case c;
                c.group = plinth_op_name(op);
                c.name = std::string(plinth_op_name(op)) + " n=" + std::to_string(n) + " T=" + std::to_string(T) +
                         (variant == 1 ? " in place" : variant == 2 ? " broadcast row" : "");
                graph_spec& g = c.graph;
                const uint32_t a = g.f32(shp(uint64_t(n), uint64_t(T)), random_floats(size_t(n * T), ++seed, -3, 3));
                const int64_t b_rows = variant == 2 ? 1 : T;
                const uint32_t b = g.f32(shp(uint64_t(n), uint64_t(b_rows)), random_floats(size_t(n * b_rows), ++seed, -3, 3));
                const uint32_t d = variant == 1 ? a : g.f32(shp(uint64_t(n), uint64_t(T)));
                g.node(op, d, {a, b});
                c.checks.push_back(op == PLINTH_OP_GEGLU ? close(d, 1e-6, 1e-7) : close(d, f32_rel, f32_abs));
                out.push_back(std::move(c));
            }
}

// ---- SCALE, SOFTCAP (ABI 1.1)

void cases_unary(std::vector<test_case>& out, uint32_t op) {
    uint32_t seed = 450 + op * 10;
    for (int64_t n : {17, 64})
        for (int64_t T : batch_sizes) {
            test_case c;
            c.group = plinth_op_name(op);
            c.name = std::string(plinth_op_name(op)) + " n=" + std::to_string(n) + " T=" + std::to_string(T);
            graph_spec& g = c.graph;
            const uint32_t a = g.f32(shp(uint64_t(n), uint64_t(T)), random_floats(size_t(n * T), ++seed, -60, 60));
            const uint32_t d = g.f32(shp(uint64_t(n), uint64_t(T)));
            g.node(op, d, {a}).f[0] = op == PLINTH_OP_SCALE ? 0.125f : 30.0f;
            c.checks.push_back(op == PLINTH_OP_SCALE ? exact(d) : close(d, 1e-6, 1e-7));
            out.push_back(std::move(c));
        }
}

// ---- MOE_ROUTE, MATMUL_EXPERTS (ABI 1.1)

void cases_moe(std::vector<test_case>& out) {
    uint32_t seed = 950;
    for (int64_t T : batch_sizes) {
        const int64_t E = 4, k = 2, K = 64, N = 48;
        test_case c;
        c.group = "MOE";
        c.name = "MOE_ROUTE top 2 of 4, MATMUL_EXPERTS products and weighted sum, T=" + std::to_string(T);
        graph_spec& g = c.graph;
        const uint32_t logits = g.f32(shp(E, uint64_t(T)), random_floats(size_t(E * T), ++seed, -3, 3));
        const uint32_t route = g.f32(shp(E, uint64_t(T)));
        plinth_node& r = g.node(PLINTH_OP_MOE_ROUTE, route, {logits});
        r.i[0] = int32_t(k);
        r.i[1] = 1;
        const uint32_t w = g.f32(shp(K, N, E), random_floats(size_t(K * N * E), ++seed));
        const uint32_t x = g.f32(shp(K, uint64_t(T)), random_floats(size_t(K * T), ++seed));
        const uint32_t each = g.f32(shp(N, k, uint64_t(T)));
        plinth_node& m0 = g.node(PLINTH_OP_MATMUL_EXPERTS, each, {w, x, route});
        m0.i[0] = 0;
        m0.i[1] = int32_t(k);
        const uint32_t w2 = g.f32(shp(N, K, E), random_floats(size_t(N * K * E), ++seed));
        const uint32_t sum = g.f32(shp(K, uint64_t(T)));
        plinth_node& m1 = g.node(PLINTH_OP_MATMUL_EXPERTS, sum, {w2, each, route});
        m1.i[0] = 1;
        m1.i[1] = int32_t(k);
        c.checks.push_back(close(route, 1e-6, 1e-7));
        c.checks.push_back(close(each, 1e-6, 1e-6));
        c.checks.push_back(close(sum, 1e-5, 1e-6));
        out.push_back(std::move(c));
    }
    // Quantized experts (the types MoE model files use; each product is MATMUL's, activation
    // quantization included), per-slot inputs into the second product as in a model's FFN. Those
    // inputs are given, not the first product's results: quantizing a backend's own products
    // again would turn their allowed last-bit differences into whole code steps (an H200 put one
    // F16 weighted sum 2x past the tolerance that way).
    for (uint32_t type : {PLINTH_TYPE_F16, PLINTH_TYPE_Q4_0, PLINTH_TYPE_Q8_0, PLINTH_TYPE_Q4_K, PLINTH_TYPE_Q6_K})
        for (int64_t T : {1, 7}) {
            const int64_t E = 4, k = 2, K = 256, N = 256;
            test_case c;
            c.group = "MOE";
            c.name = std::string("MATMUL_EXPERTS ") + type_name(type) + " top 2 of 4, T=" + std::to_string(T);
            graph_spec& g = c.graph;
            const uint32_t logits = g.f32(shp(E, uint64_t(T)), random_floats(size_t(E * T), ++seed, -3, 3));
            const uint32_t route = g.f32(shp(E, uint64_t(T)));
            plinth_node& r = g.node(PLINTH_OP_MOE_ROUTE, route, {logits});
            r.i[0] = int32_t(k);
            r.i[1] = 0;
            const auto w_data = encode(type, random_floats(size_t(K * N * E), ++seed), K);
            const uint32_t w = g.add(type, shp(K, N, E), w_data.data());
            const uint32_t x = g.f32(shp(K, uint64_t(T)), random_floats(size_t(K * T), ++seed));
            const uint32_t each = g.f32(shp(N, k, uint64_t(T)));
            plinth_node& m0 = g.node(PLINTH_OP_MATMUL_EXPERTS, each, {w, x, route});
            m0.i[0] = 0;
            m0.i[1] = int32_t(k);
            const auto w2_data = encode(type, random_floats(size_t(N * K * E), ++seed), N);
            const uint32_t w2 = g.add(type, shp(N, K, E), w2_data.data());
            const uint32_t x2 = g.f32(shp(N, k, uint64_t(T)), random_floats(size_t(N * k * T), ++seed));
            const uint32_t sum = g.f32(shp(K, uint64_t(T)));
            plinth_node& m1 = g.node(PLINTH_OP_MATMUL_EXPERTS, sum, {w2, x2, route});
            m1.i[0] = 1;
            m1.i[1] = int32_t(k);
            c.checks.push_back(close(route, 1e-6, 1e-7));
            c.checks.push_back(close(each, 1e-6, 1e-6));
            c.checks.push_back(close(sum, 1e-5, 1e-6));
            out.push_back(std::move(c));
        }
}

// ---- ROPE

void cases_rope(std::vector<test_case>& out) {
    uint32_t seed = 500;
    const std::vector<int32_t> positions = {0, 13, 4095, 100000, 7, 1, 65537};
    for (int mode : {0, 2})
        for (int64_t head_dim : {64, 6})
            for (bool partial : {false, true})
                for (int64_t T : batch_sizes) {
                    const int32_t n_rot = int32_t(partial ? head_dim / 2 - (head_dim / 2) % 2 : head_dim);
                    if (n_rot <= 0) continue;
                    const bool in_place = partial && T == 3;
                    const float scale = partial ? 0.25f : 1.0f;
                    const int64_t heads = 3;
                    test_case c;
                    c.group = "ROPE";
                    c.name = "ROPE mode " + std::to_string(mode) + " head_dim=" + std::to_string(head_dim) +
                             " n_rot=" + std::to_string(n_rot) + " T=" + std::to_string(T) +
                             (scale != 1.0f ? " scale 0.25" : "") + (in_place ? " in place" : "");
                    graph_spec& g = c.graph;
                    const shape4 s = shp(uint64_t(head_dim), uint64_t(heads), uint64_t(T));
                    const auto x_values = random_floats(size_t(head_dim * heads * T), ++seed);
                    const uint32_t x = g.f32(s, x_values);
                    std::vector<int32_t> pos(positions.begin(), positions.begin() + T);
                    if (T == 1) pos = {100000};
                    const uint32_t p = g.i32(pos);
                    const uint32_t d = in_place ? x : g.f32(s);
                    plinth_node& n = g.node(PLINTH_OP_ROPE, d, {x, p});
                    n.i[0] = n_rot;
                    n.i[1] = mode;
                    n.f[0] = 10000.0f;
                    n.f[1] = scale;
                    check k = close(d, rope_rel, rope_abs);
                    c.checks.push_back(std::move(k));
                    out.push_back(std::move(c));
                }
    // Llama 3's frequency factors (ABI 1.1: src2).
    for (int mode : {0, 2}) {
        test_case c;
        c.group = "ROPE";
        c.name = "ROPE mode " + std::to_string(mode) + " head_dim=8 with frequency factors, T=7";
        graph_spec& g = c.graph;
        const shape4 s = shp(8, 3, 7);
        const uint32_t x = g.f32(s, random_floats(8 * 3 * 7, ++seed));
        const uint32_t p = g.i32(positions);
        const uint32_t f = g.f32(shp(4), {1.0f, 2.3391168f, 8.0f, 8.0f});
        const uint32_t d = g.f32(s);
        plinth_node& n = g.node(PLINTH_OP_ROPE, d, {x, p, f});
        n.i[0] = 8;
        n.i[1] = mode;
        n.f[0] = 10000.0f;
        n.f[1] = 1.0f;
        c.checks.push_back(close(d, rope_rel, rope_abs));
        out.push_back(std::move(c));
    }
}

// ---- KV_STORE

void cases_kv_store(std::vector<test_case>& out) {
    uint32_t seed = 600;
    for (uint32_t cache_type : {PLINTH_TYPE_F32, PLINTH_TYPE_F16})
        for (int64_t row : {17, 64})
            for (int64_t T : {1, 3, 7, 4}) {
                // T = 4 names one slot twice: the later token's row is kept.
                const int64_t slots = 23;
                test_case c;
                c.group = "KV_STORE";
                c.name = std::string("KV_STORE ") + type_name(cache_type) + " row=" + std::to_string(row) + " T=" +
                         std::to_string(T) + (T == 4 ? " repeated slot" : "");
                graph_spec& g = c.graph;
                const auto initial = random_floats(size_t(row * slots), ++seed);
                uint32_t cache;
                if (cache_type == PLINTH_TYPE_F32) {
                    cache = g.f32(shp(uint64_t(row), uint64_t(slots)), initial);
                } else {
                    const auto h = to_f16(initial);
                    cache = g.add(PLINTH_TYPE_F16, shp(uint64_t(row), uint64_t(slots)), h.data());
                }
                const uint32_t x = g.f32(shp(uint64_t(row), uint64_t(T)), random_floats(size_t(row * T), ++seed, -4, 4));
                std::vector<int32_t> slot_ids = {5, 6, 22, 0, 13, 14, 9};
                slot_ids.resize(size_t(T));
                if (T == 4) slot_ids = {5, 11, 5, 12};
                const uint32_t sl = g.i32(slot_ids);
                g.node(PLINTH_OP_KV_STORE, cache, {x, cache, sl});
                c.checks.push_back(exact(cache));
                out.push_back(std::move(c));
            }
}

// ---- ATTENTION

struct attention_setup {
    int64_t heads, kv_heads, head_dim, block, max_blocks, slots;
    std::vector<int32_t> pos, seq, table;
};

// Sequence 0 owns cache blocks 7, 2, 9, 0; sequence 1 blocks 3, 10, 5, 1, 11 (block 4 is
// nobody's; 6 and 8 neither); unused table entries are -1 and must not be read.
attention_setup paged_setup(int64_t heads, int64_t kv_heads, int64_t head_dim, int64_t T) {
    attention_setup a{heads, kv_heads, head_dim, 3, 6, 12 * 3, {}, {}, {}};
    a.table = {7, 2, 9, 0, -1, -1,   // sequence 0
               3, 10, 5, 1, 11, -1};  // sequence 1
    const std::vector<int32_t> pos_all = {5, 0, 6, 1, 7, 2, 8};
    const std::vector<int32_t> seq_all = {0, 1, 0, 1, 0, 1, 0};
    if (T == 1) {
        a.pos = {13};
        a.seq = {1};
    } else {
        a.pos.assign(pos_all.begin(), pos_all.begin() + T);
        a.seq.assign(seq_all.begin(), seq_all.begin() + T);
    }
    return a;
}

// One sequence with a long context (more positions than a GPU workgroup takes at once).
attention_setup long_setup(int64_t heads, int64_t kv_heads, int64_t head_dim) {
    attention_setup a{heads, kv_heads, head_dim, 16, 12, 16 * 14, {}, {}, {}};
    a.table = {13, 0, 5, 2, 11, 7, 1, 9, 3, 12, -1, -1};
    a.pos = {150, 151, 152};
    a.seq = {0, 0, 0};
    return a;
}

test_case attention_case(const std::string& name, const attention_setup& a, uint32_t cache_type, bool flat_q,
                         uint32_t seed, int32_t window = 0, float softcap = 0.0f) {
    test_case c;
    c.group = "ATTENTION";
    c.name = name;
    graph_spec& g = c.graph;
    const uint64_t T = a.pos.size();
    const uint64_t hd = uint64_t(a.head_dim), kv_row = hd * uint64_t(a.kv_heads);
    const auto q = random_floats(size_t(hd * uint64_t(a.heads) * T), seed, -1, 1);
    const auto k = random_floats(size_t(kv_row * uint64_t(a.slots)), seed + 1, -1, 1);
    const auto v = random_floats(size_t(kv_row * uint64_t(a.slots)), seed + 2, -1, 1);
    const uint32_t tq = flat_q ? g.f32(shp(hd * uint64_t(a.heads), T), q) : g.f32(shp(hd, uint64_t(a.heads), T), q);
    uint32_t tk, tv;
    if (cache_type == PLINTH_TYPE_F32) {
        tk = g.f32(shp(kv_row, uint64_t(a.slots)), k);
        tv = g.f32(shp(kv_row, uint64_t(a.slots)), v);
    } else {
        const auto kh = to_f16(k), vh = to_f16(v);
        tk = g.add(PLINTH_TYPE_F16, shp(kv_row, uint64_t(a.slots)), kh.data());
        tv = g.add(PLINTH_TYPE_F16, shp(kv_row, uint64_t(a.slots)), vh.data());
    }
    const uint32_t tp = g.i32(a.pos);
    const uint32_t ts = g.i32(a.seq);
    const uint32_t tt = g.i32(shp(uint64_t(a.max_blocks), a.table.size() / uint64_t(a.max_blocks)), a.table);
    const uint32_t d = g.f32(shp(hd * uint64_t(a.heads), T));
    plinth_node& n = g.node(PLINTH_OP_ATTENTION, d, {tq, tk, tv, tp, ts, tt});
    n.i[0] = int32_t(a.heads);
    n.i[1] = int32_t(a.kv_heads);
    n.i[2] = int32_t(a.head_dim);
    n.i[3] = int32_t(a.block);
    n.f[0] = float(1.0 / std::sqrt(double(a.head_dim)));
    n.i[4] = window;
    n.f[1] = softcap;
    c.checks.push_back(close(d, attn_rel, attn_abs, cache_type == PLINTH_TYPE_F16 ? attn_f16_abs : 0.0));
    return c;
}

void cases_attention(std::vector<test_case>& out) {
    uint32_t seed = 700;
    const std::pair<int64_t, int64_t> gqa[] = {{8, 4}, {8, 2}, {4, 4}};
    for (uint32_t cache_type : {PLINTH_TYPE_F32, PLINTH_TYPE_F16})
        for (auto [heads, kv_heads] : gqa)
            for (int64_t T : batch_sizes) {
                const int64_t head_dim = 16;
                const bool flat_q = T == 3;
                const std::string name = std::string("ATTENTION ") + type_name(cache_type) + " cache, heads " +
                                         std::to_string(heads) + "/" + std::to_string(kv_heads) + ", head_dim " +
                                         std::to_string(head_dim) + ", T=" + std::to_string(T) +
                                         ", two sequences, paged" + (flat_q ? ", q [head_dim*heads, T]" : "");
                out.push_back(attention_case(name, paged_setup(heads, kv_heads, head_dim, T), cache_type, flat_q, seed += 10));
            }
    for (uint32_t cache_type : {PLINTH_TYPE_F32, PLINTH_TYPE_F16})
        for (int64_t head_dim : {64, 128}) {
            const std::string name = std::string("ATTENTION ") + type_name(cache_type) + " cache, heads 8/2, head_dim " +
                                     std::to_string(head_dim) + ", T=3, context 153, block 16";
            out.push_back(attention_case(name, long_setup(8, 2, head_dim), cache_type, false, seed += 10));
        }
    // Gemma's sliding window and soft-cap (ABI 1.1: i[4], f[1]).
    for (uint32_t cache_type : {PLINTH_TYPE_F32, PLINTH_TYPE_F16})
        for (auto [window, softcap] : {std::pair<int32_t, float>{4, 0.0f}, {0, 1.5f}, {16, 1.5f}}) {
            const std::string name = std::string("ATTENTION ") + type_name(cache_type) + " cache, heads 8/2, head_dim 64, T=3, " +
                                     "context 153, window " + std::to_string(window) + ", soft-cap " + std::to_string(softcap);
            out.push_back(attention_case(name, long_setup(8, 2, 64), cache_type, false, seed += 10, window, softcap));
        }
}

// ---- COPY

void cases_copy(std::vector<test_case>& out) {
    uint32_t seed = 800;
    for (uint32_t from : {PLINTH_TYPE_F32, PLINTH_TYPE_F16})
        for (uint32_t to : {PLINTH_TYPE_F32, PLINTH_TYPE_F16})
            for (int64_t n : {1, 17, 69})
                for (uint64_t shift : {0, 2}) {
                    // shift 2: both tensors start 2 bytes later in their buffers (F16 only).
                    if (shift && from == PLINTH_TYPE_F32 && to == PLINTH_TYPE_F32) continue;
                    test_case c;
                    c.group = "COPY";
                    c.name = std::string("COPY ") + type_name(from) + " -> " + type_name(to) + " n=" + std::to_string(n) +
                             " x 3" + (shift ? " at a half-word offset" : "");
                    graph_spec& g = c.graph;
                    const shape4 s = shp(uint64_t(n), 3);
                    const auto v = random_floats(size_t(n * 3), ++seed, -70000, 70000);  // F16 overflow included
                    std::vector<uint8_t> src_bytes;
                    if (from == PLINTH_TYPE_F32) {
                        src_bytes.resize(v.size() * 4);
                        std::memcpy(src_bytes.data(), v.data(), src_bytes.size());
                    } else {
                        const auto h = to_f16(v);
                        src_bytes.resize(h.size() * 2);
                        std::memcpy(src_bytes.data(), h.data(), src_bytes.size());
                    }
                    const uint32_t sb = g.new_buffer(tensor_bytes(from, s) + 72);
                    const uint32_t db = g.new_buffer(tensor_bytes(to, s) + 72);
                    const uint64_t s_off = 32 + (from == PLINTH_TYPE_F16 ? shift : 0);
                    const uint64_t d_off = 32 + (to == PLINTH_TYPE_F16 ? shift : 0);
                    const uint32_t a = g.place(sb, s_off, from, s, src_bytes.data());
                    const uint32_t d = g.place(db, d_off, to, shp(uint64_t(n) * 3));
                    g.node(PLINTH_OP_COPY, d, {a});
                    c.checks.push_back(exact(d));
                    out.push_back(std::move(c));
                }
}

// ---- GRAPH: chained nodes in one scratch buffer, index errors, validation

// A Llama-like layer over two interleaved sequences: every op in one graph, intermediates packed
// into one scratch buffer with regions reused (so a backend must order writes after earlier
// reads of the same bytes), KV_STORE feeding ATTENTION through the cache.
test_case layer_case(uint32_t weight_type, uint32_t cache_type, uint32_t seed) {
    test_case c;
    c.group = "GRAPH";
    c.name = std::string("GRAPH a Llama layer, ") + type_name(weight_type) + " weights, " + type_name(cache_type) +
             " cache, T=7, two sequences";
    graph_spec& g = c.graph;
    const uint64_t E = 64, H = 4, HKV = 2, D = 16, F = 96, V = 11, T = 7;
    auto weight = [&](uint64_t k, uint64_t n, float scale) {
        auto w = random_floats(size_t(k * n), ++seed, -scale, scale);
        const auto bytes = encode(weight_type, w, int64_t(k));
        return g.add(weight_type, shp(k, n), bytes.data());
    };
    const uint32_t embd = weight(E, V, 1.0f);
    const uint32_t wq = weight(E, D * H, 0.2f), wk = weight(E, D * HKV, 0.2f), wv = weight(E, D * HKV, 0.2f);
    const uint32_t wo = weight(D * H, E, 0.2f), wg = weight(E, F, 0.2f), wu = weight(E, F, 0.2f), wd = weight(F, E, 0.2f);
    const uint32_t norm1 = g.f32(shp(E), random_floats(E, ++seed, 0.5f, 1.5f));
    const uint32_t norm2 = g.f32(shp(E), random_floats(E, ++seed, 0.5f, 1.5f));

    attention_setup a = paged_setup(int64_t(H), int64_t(HKV), int64_t(D), int64_t(T));
    const uint32_t tokens = g.i32(random_ints(T, ++seed, 0, int32_t(V - 1)));
    const uint32_t pos = g.i32(a.pos);
    const uint32_t seq = g.i32(a.seq);
    const uint32_t table = g.i32(shp(uint64_t(a.max_blocks), 2), a.table);
    std::vector<int32_t> slots(T);
    for (uint64_t t = 0; t < T; ++t)
        slots[t] = a.table[size_t(a.seq[t] * a.max_blocks + a.pos[t] / a.block)] * int32_t(a.block) + a.pos[t] % int32_t(a.block);
    const uint32_t slot_t = g.i32(slots);
    const uint64_t kv_row = D * HKV;
    const auto k_init = random_floats(size_t(kv_row * uint64_t(a.slots)), ++seed);
    const auto v_init = random_floats(size_t(kv_row * uint64_t(a.slots)), ++seed);
    uint32_t kc, vc;
    if (cache_type == PLINTH_TYPE_F32) {
        kc = g.f32(shp(kv_row, uint64_t(a.slots)), k_init);
        vc = g.f32(shp(kv_row, uint64_t(a.slots)), v_init);
    } else {
        const auto kh = to_f16(k_init), vh = to_f16(v_init);
        kc = g.add(PLINTH_TYPE_F16, shp(kv_row, uint64_t(a.slots)), kh.data());
        vc = g.add(PLINTH_TYPE_F16, shp(kv_row, uint64_t(a.slots)), vh.data());
    }

    // The scratch buffer: regions R0..R5, reused as the layer goes.
    const uint64_t region = 4 * F * T + 64;
    const uint32_t scratch = g.new_buffer(6 * region + 64);
    auto at = [&](int r, shape4 s, uint32_t type = PLINTH_TYPE_F32) { return g.place(scratch, 16 + uint64_t(r) * region, type, s); };
    const uint32_t x = at(0, shp(E, T));
    g.node(PLINTH_OP_GET_ROWS, x, {embd, tokens});
    const uint32_t h = at(1, shp(E, T));
    g.node(PLINTH_OP_RMS_NORM, h, {x, norm1}).f[0] = 1e-5f;
    const uint32_t q = at(2, shp(D * H, T)), k = at(3, shp(D * HKV, T)), v = at(4, shp(D * HKV, T));
    g.node(PLINTH_OP_MATMUL, q, {wq, h});
    g.node(PLINTH_OP_MATMUL, k, {wk, h});
    g.node(PLINTH_OP_MATMUL, v, {wv, h});
    const uint32_t q3 = g.view(q, PLINTH_TYPE_F32, shp(D, H, T)), k3 = g.view(k, PLINTH_TYPE_F32, shp(D, HKV, T));
    const uint32_t qr = at(1, shp(D, H, T));  // over h, which the three matmuls read
    const uint32_t kr = at(5, shp(D, HKV, T));
    plinth_node& rq = g.node(PLINTH_OP_ROPE, qr, {q3, pos});
    rq.i[0] = int32_t(D);
    rq.i[1] = 0;
    rq.f[0] = 10000.0f;
    rq.f[1] = 1.0f;
    plinth_node& rk = g.node(PLINTH_OP_ROPE, kr, {k3, pos});
    rk.i[0] = int32_t(D);
    rk.i[1] = 0;
    rk.f[0] = 10000.0f;
    rk.f[1] = 1.0f;
    g.node(PLINTH_OP_KV_STORE, kc, {g.view(kr, PLINTH_TYPE_F32, shp(D * HKV, T)), kc, slot_t});
    g.node(PLINTH_OP_KV_STORE, vc, {v, vc, slot_t});
    const uint32_t attn = at(2, shp(D * H, T));  // over q, which ROPE read
    plinth_node& an = g.node(PLINTH_OP_ATTENTION, attn, {qr, kc, vc, pos, seq, table});
    an.i[0] = int32_t(H);
    an.i[1] = int32_t(HKV);
    an.i[2] = int32_t(D);
    an.i[3] = int32_t(a.block);
    an.f[0] = 0.25f;
    const uint32_t o = at(3, shp(E, T));
    g.node(PLINTH_OP_MATMUL, o, {wo, attn});
    g.node(PLINTH_OP_ADD, x, {x, o});  // in place
    const uint32_t h2 = at(4, shp(E, T));
    g.node(PLINTH_OP_RMS_NORM, h2, {x, norm2}).f[0] = 1e-5f;
    const uint32_t gate = at(1, shp(F, T)), up = at(2, shp(F, T));
    g.node(PLINTH_OP_MATMUL, gate, {wg, h2});
    g.node(PLINTH_OP_MATMUL, up, {wu, h2});
    g.node(PLINTH_OP_SWIGLU, gate, {gate, up});  // in place
    const uint32_t down = at(5, shp(E, T));
    g.node(PLINTH_OP_MATMUL, down, {wd, gate});
    const uint32_t out_x = at(3, shp(E, T));  // over o, which the ADD read
    g.node(PLINTH_OP_ADD, out_x, {x, down});
    const uint32_t scaled = at(4, shp(E, T));  // over h2, which the gate/up matmuls read
    g.node(PLINTH_OP_MUL, scaled, {out_x, norm1});
    const uint32_t half = at(0, shp(E * T), PLINTH_TYPE_F16);  // over x, which the last ADD read
    g.node(PLINTH_OP_COPY, half, {scaled});

    // Backend and reference follow the same precision contract (plinth/compute.h): the layer
    // agrees to float rounding, grown a little through the nodes, for every weight type and cache
    // (an ordering mistake between nodes shows as differences of the size of the values).
    const double rel = 1e-5, abs_frac = 1e-5;
    c.checks.push_back(close(scaled, rel, abs_frac));
    c.checks.push_back(close(out_x, rel, abs_frac));
    return c;
}

// Reads and writes of the same bytes in one graph, with no other dependency between the nodes.
test_case hazard_case() {
    test_case c;
    c.group = "GRAPH";
    c.name = "GRAPH write-after-read and write-after-write in one buffer";
    graph_spec& g = c.graph;
    const uint64_t n = 69, T = 3, bytes = n * T * 4;
    const uint32_t buf = g.new_buffer(4 * bytes + 64);
    const auto av = random_floats(n * T, 901), cv = random_floats(n * T, 902);
    const uint32_t a = g.place(buf, 0, PLINTH_TYPE_F32, shp(n, T), av.data());
    const uint32_t b = g.place(buf, bytes, PLINTH_TYPE_F32, shp(n, T));
    const uint32_t cc = g.place(buf, 2 * bytes, PLINTH_TYPE_F32, shp(n, T), cv.data());
    const uint32_t d = g.place(buf, 3 * bytes, PLINTH_TYPE_F32, shp(n, T));
    g.node(PLINTH_OP_ADD, b, {a, a});       // reads a
    g.node(PLINTH_OP_MUL, a, {cc, cc});     // writes a: after the read above
    g.node(PLINTH_OP_ADD, d, {a, b});       // reads both
    g.node(PLINTH_OP_SWIGLU, b, {d, cc});   // writes b again: after the reads above
    g.node(PLINTH_OP_ADD, d, {b, a});       // and d
    for (uint32_t t : {a, b, d}) c.checks.push_back(close(t, f32_rel, f32_abs));
    return c;
}

test_case error_case(const std::string& name, plinth_status status, const std::function<void(graph_spec&)>& build) {
    test_case c;
    c.group = "GRAPH";
    c.name = "GRAPH " + name;
    c.expect = status;
    build(c.graph);
    return c;
}

void cases_graph(std::vector<test_case>& out) {
    out.push_back(hazard_case());
    out.push_back(layer_case(PLINTH_TYPE_F32, PLINTH_TYPE_F32, 900));
    out.push_back(layer_case(PLINTH_TYPE_F32, PLINTH_TYPE_F16, 1000));
    out.push_back(layer_case(PLINTH_TYPE_F16, PLINTH_TYPE_F32, 1100));
    out.push_back(layer_case(PLINTH_TYPE_Q8_0, PLINTH_TYPE_F16, 1200));

    out.push_back(error_case("GET_ROWS with a row id past the table is refused", PLINTH_ERR_INVALID_ARGUMENT, [](graph_spec& g) {
        const auto w = random_floats(17 * 5, 1300);
        const uint32_t t = g.f32(shp(17, 5), w);
        const uint32_t i = g.i32({1, 5, 0});
        g.node(PLINTH_OP_GET_ROWS, g.f32(shp(17, 3)), {t, i});
    }));
    out.push_back(error_case("KV_STORE with a negative slot is refused", PLINTH_ERR_INVALID_ARGUMENT, [](graph_spec& g) {
        const uint32_t cache = g.f32(shp(8, 4), std::vector<float>(32, 0.0f));
        const uint32_t x = g.f32(shp(8, 2), random_floats(16, 1301));
        g.node(PLINTH_OP_KV_STORE, cache, {x, cache, g.i32({1, -1})});
    }));
    out.push_back(error_case("ATTENTION with a block past the cache is refused", PLINTH_ERR_INVALID_ARGUMENT, [](graph_spec& g) {
        const uint32_t q = g.f32(shp(8, 2, 1), random_floats(16, 1302));
        const uint32_t k = g.f32(shp(8, 6), random_floats(48, 1303));
        const uint32_t v = g.f32(shp(8, 6), random_floats(48, 1304));
        const uint32_t table = g.i32(shp(2, 1), {0, 2});  // block 2 of size 3 needs slots 6..8
        plinth_node& n = g.node(PLINTH_OP_ATTENTION, g.f32(shp(16, 1)), {q, k, v, g.i32({4}), g.i32({0}), table});
        n.i[0] = 2;
        n.i[1] = 1;
        n.i[2] = 8;
        n.i[3] = 3;
        n.f[0] = 0.35f;
    }));
    out.push_back(error_case("MATMUL with F16 activations is refused", PLINTH_ERR_INVALID_ARGUMENT, [](graph_spec& g) {
        const uint32_t w = g.f32(shp(8, 3), random_floats(24, 1305));
        const auto xh = to_f16(random_floats(16, 1306));
        const uint32_t x = g.add(PLINTH_TYPE_F16, shp(8, 2), xh.data());
        g.node(PLINTH_OP_MATMUL, g.f32(shp(3, 2)), {w, x});
    }));
    out.push_back(error_case("ADD writing over part of a source is refused", PLINTH_ERR_INVALID_ARGUMENT, [](graph_spec& g) {
        const uint32_t buf = g.new_buffer(4096);
        const auto v = random_floats(64, 1307);
        const uint32_t a = g.place(buf, 0, PLINTH_TYPE_F32, shp(16, 4), v.data());
        const uint32_t b = g.place(buf, 256, PLINTH_TYPE_F32, shp(16, 4), v.data());
        const uint32_t d = g.place(buf, 64, PLINTH_TYPE_F32, shp(16, 4));
        g.node(PLINTH_OP_ADD, d, {a, b});
    }));
    out.push_back(error_case("a node naming a tensor past the graph is refused", PLINTH_ERR_INVALID_ARGUMENT, [](graph_spec& g) {
        const uint32_t a = g.f32(shp(4), random_floats(4, 1308));
        g.node(PLINTH_OP_ADD, a, {a, 99});
    }));
}

using builder = std::function<void(std::vector<test_case>&)>;

const std::vector<std::pair<std::string, builder>>& builders() {
    static const std::vector<std::pair<std::string, builder>> list = {
        {"GET_ROWS", cases_get_rows},
        {"RMS_NORM", cases_rms_norm},
        {"MATMUL", cases_matmul},
        {"ADD", [](std::vector<test_case>& o) { cases_elementwise(o, PLINTH_OP_ADD); }},
        {"MUL", [](std::vector<test_case>& o) { cases_elementwise(o, PLINTH_OP_MUL); }},
        {"ROPE", cases_rope},
        {"SWIGLU", [](std::vector<test_case>& o) { cases_elementwise(o, PLINTH_OP_SWIGLU); }},
        {"KV_STORE", cases_kv_store},
        {"ATTENTION", cases_attention},
        {"COPY", cases_copy},
        {"GEGLU", [](std::vector<test_case>& o) { cases_elementwise(o, PLINTH_OP_GEGLU); }},
        {"SCALE", [](std::vector<test_case>& o) { cases_unary(o, PLINTH_OP_SCALE); }},
        {"SOFTCAP", [](std::vector<test_case>& o) { cases_unary(o, PLINTH_OP_SOFTCAP); }},
        {"MOE", cases_moe},
        {"GRAPH", cases_graph},
    };
    return list;
}

}  // namespace

const std::vector<std::string>& groups() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const auto& b : builders()) v.push_back(b.first);
        return v;
    }();
    return names;
}

report run(const loaded_plugin& backend, uint32_t device, const loaded_plugin& reference, const std::string& group) {
    report r;
    // A table without the functions every case calls cannot be certified: one failure says which.
    const plinth_backend_api& api = *backend.backend;
    const char* missing = !api.buffer_alloc ? "buffer_alloc" : !api.buffer_free ? "buffer_free" : !api.buffer_upload ? "buffer_upload"
                          : !api.buffer_download ? "buffer_download" : !api.graph_compute ? "graph_compute" : nullptr;
    if (missing) {
        r.cases.push_back(case_result{"GRAPH", "the backend table", outcome::failed, std::string("it has no ") + missing + " function"});
        return r;
    }
    for (const auto& [name, build] : builders()) {
        if (!group.empty() && group != name) continue;
        std::vector<test_case> cases;
        build(cases);
        for (const test_case& c : cases) {
            try {
                r.cases.push_back(run_case(c, backend, device, reference));
            } catch (const std::exception& e) {
                r.cases.push_back(case_result{name, c.name, outcome::failed, std::string("exception: ") + e.what()});
            }
            r.cases.back().group = name;
        }
    }
    return r;
}

}  // namespace plinth::conformance

