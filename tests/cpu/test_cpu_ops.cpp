// The element-wise and data-movement ops of the CPU backend against plain references:
// GET_ROWS, RMS_NORM, ADD, MUL, SWIGLU, COPY, ROPE and KV_STORE.
#include "cpu_test_util.hpp"

#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>

using namespace cpu_test;
namespace weight_formats = plinth::weight_formats;

namespace {

const int kThreads[] = {1, 2};

}  // namespace

TEST_CASE("GET_ROWS gathers rows of F32, F16 and quantized tables as F32", "[cpu][get_rows]") {
    const int threads = GENERATE(1, 2);
    set_threads(threads);
    struct table_case {
        uint32_t type;
        uint64_t n;
    };
    const table_case cases[] = {{PLINTH_TYPE_F32, 3},   {PLINTH_TYPE_F32, 69},  {PLINTH_TYPE_F16, 17},
                                {PLINTH_TYPE_BF16, 5},  {PLINTH_TYPE_Q4_0, 64}, {PLINTH_TYPE_Q8_0, 96},
                                {PLINTH_TYPE_Q5_1, 32}, {PLINTH_TYPE_Q4_K, 256}, {PLINTH_TYPE_Q6_K, 512}};
    for (const auto& c : cases) {
        const uint64_t rows = 11;
        INFO(plinth_weight_type_info(c.type).name << " rows of " << c.n);
        const auto values = random_floats(c.n * rows, 17 + uint32_t(c.n));
        const size_t row_bytes = weight_formats::row_bytes(c.type, int64_t(c.n));
        std::vector<unsigned char> table(row_bytes * rows);
        for (uint64_t r = 0; r < rows; ++r)
            weight_formats::quantize_row(c.type, values.data() + r * c.n, table.data() + r * row_bytes, int64_t(c.n));
        for (const std::vector<int32_t>& index : {std::vector<int32_t>{4}, std::vector<int32_t>{0, 10, 3},
                                                  std::vector<int32_t>{7, 7, 1, 2, 9, 0, 5}}) {
            graph_builder g;
            const uint32_t src = g.add(c.type, shp(c.n, rows), table.data());
            const uint32_t idx = g.i32(index);
            const uint32_t dst = g.f32(shp(c.n, index.size()));
            g.node(PLINTH_OP_GET_ROWS, dst, {src, idx});
            g.run();
            const auto got = g.f32_data(dst);
            std::vector<float> want(c.n);
            for (size_t t = 0; t < index.size(); ++t) {
                weight_formats::dequantize_row(c.type, table.data() + size_t(index[t]) * row_bytes, want.data(), int64_t(c.n));
                REQUIRE(std::memcmp(got.data() + t * c.n, want.data(), c.n * 4) == 0);
            }
        }
    }
}

TEST_CASE("RMS_NORM normalises each row and scales by the weight", "[cpu][rms_norm]") {
    const int threads = GENERATE(1, 2);
    set_threads(threads);
    for (uint64_t n : {3u, 17u, 69u, 4096u})
        for (uint64_t T : {1u, 3u, 7u}) {
            INFO("n " << n << " T " << T);
            const float eps = 1e-5f;
            const auto x = random_floats(n * T, uint32_t(n * 31 + T), -3.0f, 3.0f);
            const auto w = random_floats(n, uint32_t(n), 0.5f, 1.5f);
            graph_builder g;
            const uint32_t xs = g.f32(shp(n, T), x);
            const uint32_t ws = g.f32(shp(n), w);
            const uint32_t d = g.f32(shp(n, T));
            g.node(PLINTH_OP_RMS_NORM, d, {xs, ws}).f[0] = eps;
            g.run();
            std::vector<double> want(n * T);
            for (uint64_t t = 0; t < T; ++t) {
                double ss = 0;
                for (uint64_t i = 0; i < n; ++i) ss += double(x[t * n + i]) * x[t * n + i];
                const double s = 1.0 / std::sqrt(ss / double(n) + eps);
                for (uint64_t i = 0; i < n; ++i) want[t * n + i] = x[t * n + i] * s * w[i];
            }
            check_close(g.f32_data(d), want, 1e-6, 2e-6);
        }
}

TEST_CASE("ADD, MUL (full and broadcast row) and SWIGLU", "[cpu][elementwise]") {
    const int threads = GENERATE(1, 2);
    set_threads(threads);
    for (uint64_t n : {3u, 17u, 69u})
        for (uint64_t T : {1u, 3u, 7u, 300u}) {
            INFO("n " << n << " T " << T);
            const auto a = random_floats(n * T, uint32_t(n + T), -6.0f, 6.0f);
            const auto b = random_floats(n * T, uint32_t(n * T), -2.0f, 2.0f);
            const auto row = random_floats(n, uint32_t(n * 7));
            graph_builder g;
            const uint32_t ta = g.f32(shp(n, T), a), tb = g.f32(shp(n, T), b), tr = g.f32(shp(n), row);
            const uint32_t add = g.f32(shp(n, T)), mul = g.f32(shp(n, T)), mulb = g.f32(shp(n, T)),
                           swi = g.f32(shp(n, T));
            g.node(PLINTH_OP_ADD, add, {ta, tb});
            g.node(PLINTH_OP_MUL, mul, {ta, tb});
            g.node(PLINTH_OP_MUL, mulb, {ta, tr});
            g.node(PLINTH_OP_SWIGLU, swi, {ta, tb});
            g.run();
            std::vector<double> w_add(n * T), w_mul(n * T), w_mulb(n * T), w_swi(n * T);
            for (uint64_t i = 0; i < n * T; ++i) {
                w_add[i] = double(a[i]) + b[i];
                w_mul[i] = double(a[i]) * b[i];
                w_mulb[i] = double(a[i]) * row[i % n];
                w_swi[i] = double(a[i]) / (1.0 + std::exp(-double(a[i]))) * b[i];
            }
            check_close(g.f32_data(add), w_add, 0, 1e-7, "ADD");
            check_close(g.f32_data(mul), w_mul, 0, 1e-7, "MUL");
            check_close(g.f32_data(mulb), w_mulb, 0, 1e-7, "MUL broadcast");
            check_close(g.f32_data(swi), w_swi, 1e-7, 1e-6, "SWIGLU");
        }
}

TEST_CASE("SWIGLU's exp is the correctly rounded one, bit for bit at every vector width", "[cpu][elementwise]") {
    // The plugin's exp_float (ops/vec.hpp) is evaluated in double by its own polynomial, so that the
    // Vulkan shaders can give the same bits; it must equal the C library's double exp rounded to
    // float (correctly rounded but for ~1 argument in 2^28), in the vectorised kernel and its tail.
    const int threads = GENERATE(1, 2);
    set_threads(threads);
    const uint64_t n = 997, T = 64;  // an odd row: every vector width leaves a tail
    auto x = random_floats(n * T, 77, -40.0f, 40.0f);
    const float specials[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 88.0f, -88.0f, 103.9f, -103.9f, 104.5f, -104.5f,
                              200.0f, -200.0f, 0.5f, -0.5f, 0.34657359f, -0.34657359f};
    for (size_t i = 0; i < std::size(specials); ++i) x[i * 31] = specials[i];
    const auto u = random_floats(n * T, 78, -2.0f, 2.0f);
    graph_builder g;
    const uint32_t tx = g.f32(shp(n, T), x), tu = g.f32(shp(n, T), u), d = g.f32(shp(n, T));
    g.node(PLINTH_OP_SWIGLU, d, {tx, tu});
    g.run();
    const auto got = g.f32_data(d);
    size_t differ = 0;
    for (uint64_t i = 0; i < n * T; ++i) {
        const float e = float(std::exp(-double(x[i])));
        const float want = x[i] / (1.0f + e) * u[i];
        if (std::memcmp(&got[i], &want, sizeof(float)) != 0 && differ++ < 5)
            FAIL_CHECK("element " << i << ": x " << x[i] << " gives " << got[i] << ", want " << want);
    }
    CHECK(differ == 0);

    // A NaN gate stays NaN (and does not disturb its neighbours in the vector).
    std::vector<float> nan_x(37, 0.5f), ones(37, 1.0f);
    nan_x[5] = std::numeric_limits<float>::quiet_NaN();
    graph_builder h;
    const uint32_t hx = h.f32(shp(37), nan_x), hu = h.f32(shp(37), ones), hd = h.f32(shp(37));
    h.node(PLINTH_OP_SWIGLU, hd, {hx, hu});
    h.run();
    const auto out = h.f32_data(hd);
    CHECK(std::isnan(out[5]));
    CHECK(out[4] == 0.5f / (1.0f + float(std::exp(-0.5))));
    CHECK(out[6] == out[4]);
}

TEST_CASE("element-wise ops may write over their first source", "[cpu][elementwise]") {
    set_threads(2);
    const uint64_t n = 17, T = 3;
    const auto a = random_floats(n * T, 1), b = random_floats(n * T, 2), w = random_floats(n, 3, 0.5f, 1.5f);
    graph_builder g;
    const uint32_t ta = g.f32(shp(n, T), a), tb = g.f32(shp(n, T), b), tw = g.f32(shp(n), w);
    g.node(PLINTH_OP_ADD, ta, {ta, tb});              // a += b
    g.node(PLINTH_OP_RMS_NORM, ta, {ta, tw}).f[0] = 1e-6f;  // a = norm(a) * w
    g.run();
    std::vector<double> want(n * T);
    for (uint64_t t = 0; t < T; ++t) {
        double ss = 0;
        for (uint64_t i = 0; i < n; ++i) ss += std::pow(double(a[t * n + i]) + b[t * n + i], 2);
        const double s = 1.0 / std::sqrt(ss / n + 1e-6);
        for (uint64_t i = 0; i < n; ++i) want[t * n + i] = (double(a[t * n + i]) + b[t * n + i]) * s * w[i];
    }
    check_close(g.f32_data(ta), want, 1e-6, 1e-5);
}

TEST_CASE("COPY converts between F32 and F16 with round-to-nearest-even", "[cpu][copy]") {
    const int threads = GENERATE(1, 2);
    set_threads(threads);
    for (uint64_t count : {3u, 17u, 69u, 70000u}) {
        INFO("elements " << count);
        auto x = random_floats(count, uint32_t(count), -70000.0f, 70000.0f);
        x[0] = 1e-6f;  // a subnormal in F16
        graph_builder g;
        const uint32_t src = g.f32(shp(count), x);
        const uint32_t h = g.add(PLINTH_TYPE_F16, shp(count));
        const uint32_t back = g.f32(shp(count));
        const uint32_t h2 = g.add(PLINTH_TYPE_F16, shp(count));
        const uint32_t same = g.f32(shp(count));
        g.node(PLINTH_OP_COPY, h, {src});
        g.node(PLINTH_OP_COPY, back, {h});
        g.node(PLINTH_OP_COPY, h2, {h});
        g.node(PLINTH_OP_COPY, same, {src});
        g.run();
        const auto want_h = to_f16(x);
        CHECK(g.u16_data(h) == want_h);
        CHECK(g.u16_data(h2) == want_h);
        CHECK(g.f32_data(back) == from_f16(want_h));
        CHECK(g.f32_data(same) == x);
    }
}

TEST_CASE("COPY reshapes: same number of elements, another shape", "[cpu][copy]") {
    set_threads(1);
    const auto x = random_floats(6 * 4, 9);
    graph_builder g;
    const uint32_t src = g.f32(shp(6, 4), x);
    const uint32_t dst = g.add(PLINTH_TYPE_F16, shp(3, 2, 4));
    g.node(PLINTH_OP_COPY, dst, {src});
    g.run();
    CHECK(g.u16_data(dst) == to_f16(x));
}

namespace {

// The reference rotation: theta_i = pos * scale * base^(-2i/n_rot), in double.
std::vector<double> ref_rope(const std::vector<float>& x, const std::vector<int32_t>& pos, uint64_t head_dim,
                             uint64_t heads, int n_rot, int mode, double base, double scale) {
    std::vector<double> out(x.begin(), x.end());
    // The angles as the op defines them (the reference's recurrence, in float): theta_0 = position,
    // theta_{i+1} = theta_i * base^(-2 / n_rot), angle = scale * theta_i. The rest in double.
    const float step = std::pow(float(base), -2.0f / float(n_rot));
    for (size_t t = 0; t < pos.size(); ++t)
        for (uint64_t h = 0; h < heads; ++h) {
            const size_t row = (t * heads + h) * head_dim;
            float theta_i = float(pos[t]);
            for (int i = 0; i < n_rot / 2; ++i, theta_i *= step) {
                const double theta = double(float(scale) * theta_i);
                const size_t a = row + (mode == 2 ? size_t(i) : size_t(2 * i));
                const size_t b = row + (mode == 2 ? size_t(i + n_rot / 2) : size_t(2 * i + 1));
                const double x0 = x[a], x1 = x[b];
                out[a] = x0 * std::cos(theta) - x1 * std::sin(theta);
                out[b] = x0 * std::sin(theta) + x1 * std::cos(theta);
            }
        }
    return out;
}

}  // namespace

TEST_CASE("ROPE rotates adjacent pairs (mode 0) and halves (mode 2, NeoX)", "[cpu][rope]") {
    const int threads = GENERATE(1, 2);
    set_threads(threads);
    struct rope_case {
        uint64_t head_dim;
        int n_rot;
    };
    for (const rope_case c : {rope_case{8, 8}, rope_case{10, 6}, rope_case{128, 128}, rope_case{69 + 1, 64}})
        for (int mode : {0, 2})
            for (uint64_t T : {1u, 3u, 7u}) {
                const uint64_t heads = 3;
                INFO("head_dim " << c.head_dim << " n_rot " << c.n_rot << " mode " << mode << " T " << T);
                const auto x = random_floats(c.head_dim * heads * T, uint32_t(c.head_dim + T + mode));
                std::vector<int32_t> pos(T);
                for (uint64_t t = 0; t < T; ++t) pos[t] = int32_t(t * 37 + (t % 2 ? 4000 : 0));
                const float base = mode == 2 ? 1000000.0f : 10000.0f;
                const float scale = T == 3 ? 0.25f : 1.0f;
                graph_builder g;
                const uint32_t src = g.f32(shp(c.head_dim, heads, T), x);
                const uint32_t p = g.i32(pos);
                const uint32_t dst = g.f32(shp(c.head_dim, heads, T));
                const uint32_t inplace = g.f32(shp(c.head_dim, heads, T), x);
                for (uint32_t d : {dst, inplace}) {
                    plinth_node& nd = g.node(PLINTH_OP_ROPE, d, {d == dst ? src : inplace, p});
                    nd.i[0] = c.n_rot;
                    nd.i[1] = mode;
                    nd.f[0] = base;
                    nd.f[1] = scale;
                }
                g.run();
                const auto want = ref_rope(x, pos, c.head_dim, heads, c.n_rot, mode, base, scale);
                // Angles up to ~4000 rad: float rounding of cos/sin and the products.
                check_close(g.f32_data(dst), want, 2e-6, 2e-6, "rope");
                check_close(g.f32_data(inplace), want, 2e-6, 2e-6, "rope in place");
            }
}

TEST_CASE("KV_STORE writes rows into their cache slots, F32 and F16", "[cpu][kv_store]") {
    const int threads = GENERATE(1, 2);
    set_threads(threads);
    for (uint32_t cache_type : {uint32_t(PLINTH_TYPE_F32), uint32_t(PLINTH_TYPE_F16)})
        for (uint64_t row : {3u, 40u, 69u * 2})
            for (const std::vector<int32_t>& slots : {std::vector<int32_t>{5}, std::vector<int32_t>{9, 2, 14},
                                                      std::vector<int32_t>{0, 1, 2, 13, 12, 7, 8}}) {
                const uint64_t n_slots = 15, T = slots.size();
                INFO("cache " << plinth_weight_type_info(cache_type).name << " row " << row << " T " << T);
                const auto x = random_floats(row * T, uint32_t(row + T));
                const auto before = random_floats(row * n_slots, 77);
                graph_builder g;
                const uint32_t src = g.f32(shp(row, T), x);
                const uint32_t cache = cache_type == PLINTH_TYPE_F32
                                           ? g.f32(shp(row, n_slots), before)
                                           : g.add(PLINTH_TYPE_F16, shp(row, n_slots), to_f16(before).data());
                const uint32_t where = g.i32(slots);
                g.node(PLINTH_OP_KV_STORE, cache, {src, cache, where});
                g.run();
                std::vector<float> want = before;
                for (uint64_t t = 0; t < T; ++t)
                    std::copy(x.begin() + long(t * row), x.begin() + long((t + 1) * row), want.begin() + long(slots[t] * row));
                if (cache_type == PLINTH_TYPE_F32) CHECK(g.f32_data(cache) == want);
                else CHECK(g.u16_data(cache) == to_f16(want));
            }
}

TEST_CASE("KV_STORE: a slot named twice keeps the later token's row, whatever the threads", "[cpu][kv_store]") {
    for (int threads : kThreads) {
        set_threads(threads);
        const uint64_t row = 4096;
        const auto x = random_floats(row * 3, 5);
        graph_builder g;
        const uint32_t src = g.f32(shp(row, 3), x);
        const uint32_t cache = g.f32(shp(row, 4));
        g.node(PLINTH_OP_KV_STORE, cache, {src, cache, g.i32({1, 1, 2})});
        g.run();
        const auto got = g.f32_data(cache);
        CHECK(std::equal(got.begin() + row, got.begin() + 2 * row, x.begin() + 1 * row));
    }
}
