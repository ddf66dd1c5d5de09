// The ops ABI 1.1 added for architectures beyond Llama (GEGLU, SCALE, SOFTCAP, a broadcast ADD,
// ROPE frequency factors, MOE_ROUTE, MATMUL_EXPERTS), each against a plain double-precision
// reference, at one and two threads.
#include "cpu_test_util.hpp"

#include <algorithm>
#include <numeric>

using namespace cpu_test;

namespace {

double gelu_tanh(double x) { return 0.5 * x * (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))); }
// GEGLU's contract: gelu of the F16-rounded input, rounded to F16 (the limits past +-10).
double gelu_f16(float x) {
    if (x >= 10.0f) return x;
    if (x <= -10.0f) return 0.0;
    const float xh = plinth::weight_formats::fp16_to_fp32(plinth::weight_formats::fp32_to_fp16(x));
    return plinth::weight_formats::fp16_to_fp32(plinth::weight_formats::fp32_to_fp16(float(gelu_tanh(xh))));
}

}  // namespace

TEST_CASE("GEGLU, SCALE, SOFTCAP and a broadcast ADD (bias)", "[cpu][elementwise][arch]") {
    const int threads = GENERATE(1, 2);
    set_threads(threads);
    for (uint64_t n : {3u, 64u})
        for (uint64_t T : {1u, 7u, 300u}) {
            INFO("n " << n << " T " << T);
            const auto a = random_floats(n * T, uint32_t(n + T), -12.0f, 12.0f);
            const auto b = random_floats(n * T, uint32_t(n * T), -2.0f, 2.0f);
            const auto bias = random_floats(n, uint32_t(n * 3));
            graph_builder g;
            const uint32_t ta = g.f32(shp(n, T), a), tb = g.f32(shp(n, T), b), tbias = g.f32(shp(n), bias);
            const uint32_t geglu = g.f32(shp(n, T)), scaled = g.f32(shp(n, T)), capped = g.f32(shp(n, T)), biased = g.f32(shp(n, T));
            g.node(PLINTH_OP_GEGLU, geglu, {ta, tb});
            g.node(PLINTH_OP_SCALE, scaled, {ta}).f[0] = 0.125f;
            g.node(PLINTH_OP_SOFTCAP, capped, {ta}).f[0] = 5.0f;
            g.node(PLINTH_OP_ADD, biased, {ta, tbias});
            g.run();
            std::vector<double> w_geglu(n * T), w_scaled(n * T), w_capped(n * T), w_biased(n * T);
            for (uint64_t i = 0; i < n * T; ++i) {
                w_geglu[i] = gelu_f16(a[i]) * b[i];
                w_scaled[i] = double(a[i]) * 0.125;
                w_capped[i] = 5.0 * std::tanh(double(a[i]) / 5.0);
                w_biased[i] = double(a[i]) + bias[i % n];
            }
            check_close(g.f32_data(geglu), w_geglu, 1e-6, 2e-3, "GEGLU");  // an F16 step where float gelu sits on a rounding boundary
            check_close(g.f32_data(scaled), w_scaled, 0, 0, "SCALE");
            check_close(g.f32_data(capped), w_capped, 1e-6, 1e-6, "SOFTCAP");
            check_close(g.f32_data(biased), w_biased, 0, 1e-7, "ADD bias");
        }
}

TEST_CASE("ROPE with frequency factors divides each pair's angle", "[cpu][rope][arch]") {
    const uint64_t D = 8, H = 3, T = 5;
    const auto x = random_floats(D * H * T, 5);
    const std::vector<float> factors = {1.0f, 2.3391168f, 8.0f, 8.0f};
    const std::vector<int32_t> pos = {0, 1, 17, 200, 497};
    for (int mode : {0, 2}) {
        graph_builder g;
        const uint32_t tx = g.f32(shp(D, H, T), x), tp = g.i32(pos), tf = g.f32(shp(4), factors), dst = g.f32(shp(D, H, T));
        plinth_node& n = g.node(PLINTH_OP_ROPE, dst, {tx, tp, tf});
        n.i[0] = int32_t(D);
        n.i[1] = mode;
        n.f[0] = 10000.0f;
        n.f[1] = 1.0f;
        g.run();
        std::vector<double> want(x.size());
        for (uint64_t t = 0; t < T; ++t)
            for (uint64_t h = 0; h < H; ++h)
                for (uint64_t i = 0; i < D / 2; ++i) {
                    const double theta = pos[t] * std::pow(10000.0, -2.0 * double(i) / double(D)) / factors[i];
                    const uint64_t base = (t * H + h) * D;
                    const uint64_t i0 = mode == 0 ? base + 2 * i : base + i, i1 = mode == 0 ? i0 + 1 : i0 + D / 2;
                    want[i0] = x[i0] * std::cos(theta) - x[i1] * std::sin(theta);
                    want[i1] = x[i0] * std::sin(theta) + x[i1] * std::cos(theta);
                }
        check_close(g.f32_data(dst), want, 2e-4, 2e-4, mode == 0 ? "adjacent pairs" : "NeoX");
    }
}

TEST_CASE("MOE_ROUTE keeps the top k of the softmax, renormalised; MATMUL_EXPERTS runs only those experts", "[cpu][moe][arch]") {
    const int threads = GENERATE(1, 2);
    set_threads(threads);
    const uint64_t E = 4, K = 64, N = 40, T = 9, k = 2;
    const auto logits = random_floats(E * T, 31, -3.0f, 3.0f);
    const auto x = random_floats(K * T, 32);
    const auto w = random_floats(K * N * E, 33);
    graph_builder g;
    const uint32_t tl = g.f32(shp(E, T), logits), route = g.f32(shp(E, T));
    plinth_node& r = g.node(PLINTH_OP_MOE_ROUTE, route, {tl});
    r.i[0] = int32_t(k);
    r.i[1] = 1;
    const uint32_t tw = g.f32(shp(K, N, E), w), tx = g.f32(shp(K, T), x);
    const uint32_t each = g.f32(shp(N, k, T)), sum = g.f32(shp(N, T));
    plinth_node& m0 = g.node(PLINTH_OP_MATMUL_EXPERTS, each, {tw, tx, route});
    m0.i[0] = 0;
    m0.i[1] = int32_t(k);
    // The weighted sum, from per-slot inputs (the products of the first node).
    const uint32_t tw2 = g.f32(shp(N, N, E), random_floats(N * N * E, 34));
    plinth_node& m1 = g.node(PLINTH_OP_MATMUL_EXPERTS, sum, {tw2, each, route});
    m1.i[0] = 1;
    m1.i[1] = int32_t(k);
    g.run();

    const auto got_route = g.f32_data(route);
    const auto w2 = g.f32_data(tw2);
    std::vector<double> want_route(E * T, 0.0), want_each(N * k * T, 0.0), want_sum(N * T, 0.0);
    for (uint64_t t = 0; t < T; ++t) {
        std::vector<double> p(E);
        double total = 0;
        for (uint64_t e = 0; e < E; ++e) total += p[e] = std::exp(double(logits[t * E + e]));
        std::vector<uint64_t> order(E);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](uint64_t a, uint64_t b) { return p[a] > p[b]; });
        const double kept = p[order[0]] + p[order[1]];
        std::vector<uint64_t> chosen = {order[0], order[1]};
        std::sort(chosen.begin(), chosen.end());
        for (uint64_t e : chosen) want_route[t * E + e] = p[e] / kept;
        (void)total;
        for (uint64_t s = 0; s < k; ++s) {
            const uint64_t e = chosen[s];
            for (uint64_t j = 0; j < N; ++j) {
                double d = 0;
                for (uint64_t i = 0; i < K; ++i) d += double(w[(e * N + j) * K + i]) * x[t * K + i];
                want_each[(t * k + s) * N + j] = d;
            }
        }
        for (uint64_t s = 0; s < k; ++s) {
            const uint64_t e = chosen[s];
            for (uint64_t j = 0; j < N; ++j) {
                double d = 0;
                for (uint64_t i = 0; i < N; ++i) d += double(w2[(e * N + j) * N + i]) * want_each[(t * k + s) * N + i];
                want_sum[t * N + j] += want_route[t * E + e] * d;
            }
        }
    }
    check_close(got_route, want_route, 1e-7, 1e-6, "MOE_ROUTE");
    check_close(g.f32_data(each), want_each, 1e-5, 1e-5, "MATMUL_EXPERTS products");
    check_close(g.f32_data(sum), want_sum, 1e-4, 1e-4, "MATMUL_EXPERTS weighted sum");
}

TEST_CASE("MATMUL_EXPERTS refuses a token routed to more experts than i[1] allows", "[cpu][moe][arch]") {
    graph_builder g;
    const std::vector<float> gate = {0.5f, 0.25f, 0.25f, 0.0f};  // three experts chosen, k = 2
    const uint32_t tw = g.f32(shp(32, 8, 4), random_floats(32 * 8 * 4, 1)), tx = g.f32(shp(32, 1), random_floats(32, 2));
    const uint32_t tg = g.f32(shp(4, 1), gate), dst = g.f32(shp(8, 1));
    plinth_node& m = g.node(PLINTH_OP_MATMUL_EXPERTS, dst, {tw, tx, tg});
    m.i[0] = 1;
    m.i[1] = 2;
    std::string message;
    CHECK(g.compute(&message) == PLINTH_ERR_INVALID_ARGUMENT);
    CHECK_THAT(message, Catch::Contains("3 experts"));
}
