// The CPU backend's graph handling: options, a whole transformer layer giving identical results
// for any thread count, and invalid graphs answered with an error naming the node (no crash).
#include "cpu_test_util.hpp"

using namespace cpu_test;
namespace weight_formats = plinth::weight_formats;

namespace {

plinth_status set_option(const char* key, const char* value, std::string* message) {
    plinth_message err{};
    const plinth_status st = backend()->set_option(key, value, &err);
    *message = err.text;
    return st;
}

// Weights [K, N] of `type` made from random floats.
uint32_t weights(graph_builder& g, uint32_t type, uint64_t K, uint64_t N, uint32_t seed) {
    const auto f = random_floats(K * N, seed, -0.3f, 0.3f);
    const size_t rb = weight_formats::row_bytes(type, int64_t(K));
    std::vector<unsigned char> w(rb * N);
    for (uint64_t j = 0; j < N; ++j) weight_formats::quantize_row(type, f.data() + j * K, w.data() + j * rb, int64_t(K));
    return g.add(type, shp(K, N), w.data());
}

// One Llama-style layer over 7 tokens of two sequences; returns the F16 copy of its output and
// the K cache.
std::pair<std::vector<uint16_t>, std::vector<uint16_t>> run_layer() {
    const uint64_t dim = 64, heads = 4, kv_heads = 2, hd = 16, ff = 96, vocab = 20, block = 4, slots = 40, T = 7;
    const std::vector<int32_t> tokens = {3, 19, 0, 7, 7, 12, 5};
    const std::vector<int32_t> pos = {5, 0, 6, 1, 7, 2, 8}, seq = {0, 1, 0, 1, 0, 1, 0};
    const std::vector<int32_t> table = {6, 1, 8, 2, 0, 9, 3, 4};  // [4 blocks, 2 sequences]
    std::vector<int32_t> slot(T);
    for (uint64_t t = 0; t < T; ++t)
        slot[t] = table[size_t(seq[t] * 4 + pos[t] / int32_t(block))] * int32_t(block) + pos[t] % int32_t(block);

    graph_builder g;
    const uint32_t emb = weights(g, PLINTH_TYPE_Q8_0, dim, vocab, 1);
    const uint32_t wq = weights(g, PLINTH_TYPE_Q4_0, dim, dim, 2), wk = weights(g, PLINTH_TYPE_Q8_0, dim, kv_heads * hd, 3),
                   wv = weights(g, PLINTH_TYPE_F16, dim, kv_heads * hd, 4), wo = weights(g, PLINTH_TYPE_Q5_1, dim, dim, 5),
                   wg = weights(g, PLINTH_TYPE_Q4_1, dim, ff, 6), wu = weights(g, PLINTH_TYPE_Q5_0, dim, ff, 7),
                   wd = weights(g, PLINTH_TYPE_F32, ff, dim, 8);
    const uint32_t norm = g.f32(shp(dim), random_floats(dim, 9, 0.8f, 1.2f));
    // The caches hold earlier positions already (random), in F16.
    const uint32_t kc = g.add(PLINTH_TYPE_F16, shp(kv_heads * hd, slots), to_f16(random_floats(kv_heads * hd * slots, 10)).data());
    const uint32_t vc = g.add(PLINTH_TYPE_F16, shp(kv_heads * hd, slots), to_f16(random_floats(kv_heads * hd * slots, 11)).data());
    const uint32_t ttok = g.i32(tokens), tpos = g.i32(pos), tseq = g.i32(seq), tslot = g.i32(slot);
    const uint32_t ttab = g.i32(shp(4, 2), table);

    const uint32_t x = g.f32(shp(dim, T)), xn = g.f32(shp(dim, T)), q = g.f32(shp(dim, T)),
                   k = g.f32(shp(kv_heads * hd, T)), v = g.f32(shp(kv_heads * hd, T)), att = g.f32(shp(dim, T)),
                   o = g.f32(shp(dim, T)), gate = g.f32(shp(ff, T)), up = g.f32(shp(ff, T)), down = g.f32(shp(dim, T)),
                   out16 = g.add(PLINTH_TYPE_F16, shp(dim, T));
    const uint32_t q3 = g.view(q, PLINTH_TYPE_F32, shp(hd, heads, T)), k3 = g.view(k, PLINTH_TYPE_F32, shp(hd, kv_heads, T));

    g.node(PLINTH_OP_GET_ROWS, x, {emb, ttok});
    g.node(PLINTH_OP_RMS_NORM, xn, {x, norm}).f[0] = 1e-5f;
    g.node(PLINTH_OP_MATMUL, q, {wq, xn});
    g.node(PLINTH_OP_MATMUL, k, {wk, xn});
    g.node(PLINTH_OP_MATMUL, v, {wv, xn});
    for (uint32_t r : {q3, k3}) {
        plinth_node& n = g.node(PLINTH_OP_ROPE, r, {r, tpos});
        n.i[0] = int32_t(hd);
        n.i[1] = 0;
        n.f[0] = 10000.0f;
        n.f[1] = 1.0f;
    }
    g.node(PLINTH_OP_KV_STORE, kc, {k, kc, tslot});
    g.node(PLINTH_OP_KV_STORE, vc, {v, vc, tslot});
    plinth_node& a = g.node(PLINTH_OP_ATTENTION, att, {q3, kc, vc, tpos, tseq, ttab});
    a.i[0] = int32_t(heads);
    a.i[1] = int32_t(kv_heads);
    a.i[2] = int32_t(hd);
    a.i[3] = int32_t(block);
    a.f[0] = 0.25f;
    g.node(PLINTH_OP_MATMUL, o, {wo, att});
    g.node(PLINTH_OP_ADD, x, {x, o});
    g.node(PLINTH_OP_RMS_NORM, xn, {x, norm}).f[0] = 1e-5f;
    g.node(PLINTH_OP_MATMUL, gate, {wg, xn});
    g.node(PLINTH_OP_MATMUL, up, {wu, xn});
    g.node(PLINTH_OP_SWIGLU, gate, {gate, up});
    g.node(PLINTH_OP_MATMUL, down, {wd, gate});
    g.node(PLINTH_OP_ADD, x, {x, down});
    g.node(PLINTH_OP_MUL, x, {x, norm});
    g.node(PLINTH_OP_COPY, out16, {x});
    g.run();
    for (float f : from_f16(g.u16_data(out16))) REQUIRE(std::isfinite(f));
    return {g.u16_data(out16), g.u16_data(kc)};
}

// A graph of one ADD [n, T] node, for the validation cases to spoil.
struct add_graph {
    graph_builder g;
    uint32_t a, b, d;
    add_graph(uint64_t n = 5, uint64_t T = 2) {
        a = g.f32(shp(n, T), random_floats(n * T, 1));
        b = g.f32(shp(n, T), random_floats(n * T, 2));
        d = g.f32(shp(n, T));
        g.node(PLINTH_OP_ADD, d, {a, b});
    }
};

void require_error(graph_builder& g, const std::string& expected1, const std::string& expected2 = "") {
    std::string message;
    const plinth_status st = g.compute(&message);
    INFO("message: " << message);
    CHECK(st == PLINTH_ERR_INVALID_ARGUMENT);
    CHECK_THAT(message, Catch::Contains(expected1) && Catch::Contains(expected2));
}

}  // namespace

TEST_CASE("set_option takes threads = a positive integer and refuses anything else", "[cpu][options]") {
    std::string message;
    CHECK(set_option("threads", "1", &message) == PLINTH_OK);
    CHECK(set_option("threads", "3", &message) == PLINTH_OK);
    for (const char* bad : {"0", "-2", "", "two", "4x", "99999999999999999999", " 2"}) {
        INFO("value '" << bad << "'");
        CHECK(set_option("threads", bad, &message) == PLINTH_ERR_INVALID_ARGUMENT);
        CHECK_THAT(message, Catch::Contains("threads"));
    }
    CHECK(set_option("threads", nullptr, &message) == PLINTH_ERR_INVALID_ARGUMENT);
    CHECK(set_option("fast_math", "1", &message) == PLINTH_ERR_INVALID_ARGUMENT);
    CHECK_THAT(message, Catch::Contains("unknown") && Catch::Contains("fast_math"));
    CHECK(set_option(nullptr, "1", &message) == PLINTH_ERR_INVALID_ARGUMENT);
    set_threads(1);
}

TEST_CASE("a whole layer gives identical results with 1, 2 and 3 threads", "[cpu][threads]") {
    set_threads(1);
    const auto one = run_layer();
    for (int threads : {2, 3}) {
        set_threads(threads);
        const auto many = run_layer();
        CHECK(many.first == one.first);
        CHECK(many.second == one.second);
    }
}

// The prefetch level only moves lines between caches: the same layer gives the same bits under each.
TEST_CASE("set_option takes prefetch = auto, l1 or l2, and a layer's results do not depend on it", "[cpu][options]") {
    std::string message;
    set_threads(2);
    REQUIRE(set_option("prefetch", "l1", &message) == PLINTH_OK);
    const auto l1 = run_layer();
    REQUIRE(set_option("prefetch", "l2", &message) == PLINTH_OK);
    const auto l2 = run_layer();
    CHECK(l2.first == l1.first);
    CHECK(l2.second == l1.second);
    for (const char* bad : {"", "L1", "l3", "t0", "auto "}) {
        INFO("value '" << bad << "'");
        CHECK(set_option("prefetch", bad, &message) == PLINTH_ERR_INVALID_ARGUMENT);
        CHECK_THAT(message, Catch::Contains("prefetch") && Catch::Contains("l1"));
    }
    CHECK(set_option("prefetch", nullptr, &message) == PLINTH_ERR_INVALID_ARGUMENT);
    CHECK(set_option("prefetch", "auto", &message) == PLINTH_OK);
    set_threads(1);
}

TEST_CASE("an empty graph computes nothing and succeeds", "[cpu][graph]") {
    graph_builder g;
    CHECK(g.compute() == PLINTH_OK);
}

TEST_CASE("invalid graphs are refused with a message naming the node", "[cpu][graph][validation]") {
    set_threads(2);

    SECTION("a source index out of range") {
        add_graph t;
        t.g.nodes[0].src[1] = 9;
        require_error(t.g, "node 0 (ADD)", "src1 is tensor 9");
    }
    SECTION("a dst index out of range") {
        add_graph t;
        t.g.nodes[0].dst = PLINTH_NO_TENSOR;
        require_error(t.g, "node 0 (ADD)", "dst");
    }
    SECTION("a tensor past the end of its buffer") {
        add_graph t;
        t.g.tensors[t.b].offset = 4;
        require_error(t.g, "node 0 (ADD)", "past the end");
    }
    SECTION("a tensor larger than its buffer") {
        add_graph t;
        t.g.tensors[t.d].shape[1] = 3;
        t.g.tensors[t.a].shape[1] = 3;
        t.g.tensors[t.b].shape[1] = 3;
        require_error(t.g, "node 0 (ADD)", "past the end");
    }
    SECTION("an offset near 2^64 does not wrap around") {
        add_graph t;
        t.g.tensors[t.a].offset = ~uint64_t(0) - 3;
        require_error(t.g, "node 0 (ADD)", "past the end");
    }
    SECTION("a tensor with no buffer") {
        add_graph t;
        t.g.tensors[t.a].buffer = nullptr;
        require_error(t.g, "node 0 (ADD)", "no buffer");
    }
    SECTION("a misaligned F32 tensor") {
        graph_builder g;
        const uint32_t a = g.add(PLINTH_TYPE_F32, shp(4), nullptr, 8);
        const uint32_t a2 = g.view(a, PLINTH_TYPE_F32, shp(4), 2);
        g.node(PLINTH_OP_ADD, g.f32(shp(4)), {a2, a2});
        require_error(g, "node 0 (ADD)", "aligned");
    }
    SECTION("a wrong type for the op") {
        graph_builder g;
        const uint32_t w = g.f32(shp(8, 4)), x = g.add(PLINTH_TYPE_F16, shp(8, 2)), d = g.f32(shp(4, 2));
        g.node(PLINTH_OP_MATMUL, d, {w, x});
        require_error(g, "node 0 (MATMUL)", "src1 (tensor 1) is F16; MATMUL needs F32");
    }
    SECTION("quantized data where activations belong") {
        graph_builder g;
        const uint32_t a = g.add(PLINTH_TYPE_Q4_0, shp(32, 2)), b = g.f32(shp(32, 2));
        g.node(PLINTH_OP_ADD, g.f32(shp(32, 2)), {a, b});
        require_error(g, "node 0 (ADD)", "Q4_0");
    }
    SECTION("a weight type the CPU does not decode: unsupported, not malformed") {
        graph_builder g;
        const uint32_t w = g.add(PLINTH_TYPE_IQ2_XXS, shp(256, 4)), x = g.f32(shp(256, 2));
        g.node(PLINTH_OP_MATMUL, g.f32(shp(4, 2)), {w, x});
        std::string message;
        CHECK(g.compute(&message) == PLINTH_ERR_UNSUPPORTED);
        CHECK_THAT(message,
                   Catch::Contains("node 0 (MATMUL)") && Catch::Contains("IQ2_XXS, which the CPU backend does not decode"));
    }
    SECTION("a quantized row that is not whole blocks") {
        graph_builder g;
        const uint32_t x = g.f32(shp(33, 1));
        const uint32_t w = g.add(PLINTH_TYPE_Q4_0, shp(64, 2));
        g.tensors[w].shape[0] = 33;
        g.node(PLINTH_OP_MATMUL, g.f32(shp(2, 1)), {w, x});
        require_error(g, "node 0 (MATMUL)", "blocks");
    }
    SECTION("mismatched shapes") {
        graph_builder g;
        const uint32_t w = g.f32(shp(8, 4)), x = g.f32(shp(7, 2));
        g.node(PLINTH_OP_MATMUL, g.f32(shp(4, 2)), {w, x});
        require_error(g, "node 0 (MATMUL)", "rows of 7 elements");
    }
    SECTION("a zero dimension") {
        add_graph t;
        t.g.tensors[t.a].shape[2] = 0;
        require_error(t.g, "node 0 (ADD)", "shape[2] = 0");
    }
    SECTION("an unknown op") {
        add_graph t;
        t.g.nodes[0].op = 99;
        require_error(t.g, "node 0", "unknown op 99");
    }
    SECTION("the second node is bad: nothing runs") {
        add_graph t;
        t.g.node(PLINTH_OP_ADD, t.d, {t.a, 77});
        require_error(t.g, "node 1 (ADD)", "tensor 77");
        for (float f : t.g.f32_data(t.d)) CHECK(f == 0.0f);
    }
    SECTION("MATMUL writing over its input") {
        graph_builder g;
        const uint32_t w = g.f32(shp(4, 4)), x = g.f32(shp(4, 2));
        g.node(PLINTH_OP_MATMUL, x, {w, x});
        require_error(g, "node 0 (MATMUL)", "overlaps");
    }
    SECTION("ADD writing over half its input") {
        graph_builder g;
        const uint32_t a = g.f32(shp(4, 3));
        const uint32_t shifted = g.view(a, PLINTH_TYPE_F32, shp(4, 2), 16);
        const uint32_t first = g.view(a, PLINTH_TYPE_F32, shp(4, 2));
        g.node(PLINTH_OP_ADD, shifted, {first, first});
        require_error(g, "node 0 (ADD)", "overlaps");
    }
    SECTION("ROPE parameters") {
        graph_builder g;
        const uint32_t x = g.f32(shp(8, 2, 3)), p = g.i32({0, 1, 2});
        plinth_node& n = g.node(PLINTH_OP_ROPE, x, {x, p});
        n.i[0] = 7;
        n.f[0] = 10000.0f;
        n.f[1] = 1.0f;
        require_error(g, "node 0 (ROPE)", "i[0] = 7");
        g.nodes[0].i[0] = 8;
        g.nodes[0].i[1] = 1;
        require_error(g, "node 0 (ROPE)", "mode");
        g.nodes[0].i[1] = 0;
        g.nodes[0].f[1] = 0.0f;
        require_error(g, "node 0 (ROPE)", "scale");
        g.nodes[0].f[1] = 1.0f;
        CHECK(g.compute() == PLINTH_OK);
    }
    SECTION("ATTENTION parameters") {
        graph_builder g;
        const uint32_t q = g.f32(shp(4, 6, 1)), kc = g.f32(shp(8, 8)), vc = g.f32(shp(8, 8));
        const uint32_t pos = g.i32({2}), seq = g.i32({0}), tab = g.i32(shp(2, 1), {1, 0});
        plinth_node& n = g.node(PLINTH_OP_ATTENTION, g.f32(shp(24, 1)), {q, kc, vc, pos, seq, tab});
        n.i[0] = 6;
        n.i[1] = 4;
        n.i[2] = 4;
        n.i[3] = 4;
        n.f[0] = 0.5f;
        require_error(g, "node 0 (ATTENTION)", "not a multiple of kv_heads");
        g.nodes[0].i[1] = 3;
        require_error(g, "node 0 (ATTENTION)", "K cache");
        g.nodes[0].i[1] = 2;
        CHECK(g.compute() == PLINTH_OK);
    }
}

TEST_CASE("bad index values are refused before anything is written", "[cpu][graph][validation]") {
    set_threads(2);
    SECTION("GET_ROWS index past the table") {
        graph_builder g;
        const uint32_t table = g.f32(shp(4, 3)), d = g.f32(shp(4, 2));
        g.node(PLINTH_OP_GET_ROWS, d, {table, g.i32({1, 3})});
        require_error(g, "node 0 (GET_ROWS)", "index 3");
    }
    SECTION("GET_ROWS negative index") {
        graph_builder g;
        const uint32_t table = g.f32(shp(4, 3)), d = g.f32(shp(4, 2));
        g.node(PLINTH_OP_GET_ROWS, d, {table, g.i32({-1, 0})});
        require_error(g, "node 0 (GET_ROWS)", "index -1");
    }
    SECTION("KV_STORE slot past the cache") {
        graph_builder g;
        const uint32_t x = g.f32(shp(4, 2)), cache = g.f32(shp(4, 5));
        g.node(PLINTH_OP_KV_STORE, cache, {x, cache, g.i32({0, 5})});
        require_error(g, "node 0 (KV_STORE)", "slot 5");
    }
    SECTION("KV_STORE dst that is not the cache") {
        graph_builder g;
        const uint32_t x = g.f32(shp(4, 2)), cache = g.f32(shp(4, 5)), other = g.f32(shp(4, 5));
        g.node(PLINTH_OP_KV_STORE, other, {x, cache, g.i32({0, 1})});
        require_error(g, "node 0 (KV_STORE)", "must be the cache");
    }
    SECTION("ATTENTION") {
        graph_builder g;
        const uint32_t q = g.f32(shp(4, 2, 1)), kc = g.f32(shp(4, 8)), vc = g.f32(shp(4, 8));
        const uint32_t pos = g.i32({5}), seq = g.i32({0}), tab = g.i32(shp(2, 2), {1, 0, 0, 1});
        const uint32_t d = g.f32(shp(8, 1));
        plinth_node& n = g.node(PLINTH_OP_ATTENTION, d, {q, kc, vc, pos, seq, tab});
        n.i[0] = 2;
        n.i[1] = 1;
        n.i[2] = 4;
        n.i[3] = 4;
        n.f[0] = 0.5f;
        CHECK(g.compute() == PLINTH_OK);
        int32_t* p = static_cast<int32_t*>(g.data(pos));
        int32_t* s = static_cast<int32_t*>(g.data(seq));
        int32_t* table = static_cast<int32_t*>(g.data(tab));
        p[0] = 8;  // block 2 of a 2-block table
        require_error(g, "node 0 (ATTENTION)", "position 8");
        p[0] = -1;
        require_error(g, "node 0 (ATTENTION)", "position -1");
        p[0] = 5;
        s[0] = 2;
        require_error(g, "node 0 (ATTENTION)", "sequence row 2");
        s[0] = 0;
        table[1] = 2;  // cache block 2 = slots 8..11 of an 8-slot cache
        require_error(g, "node 0 (ATTENTION)", "cache block 2");
        table[1] = -3;
        require_error(g, "node 0 (ATTENTION)", "cache block -3");
    }
}

TEST_CASE("graph_compute refuses a bad device or graph header", "[cpu][graph][validation]") {
    const plinth_backend_api* api = backend();
    plinth_message err{};
    CHECK(api->graph_compute(0, nullptr, &err) == PLINTH_ERR_INVALID_ARGUMENT);
    add_graph t;
    plinth_graph g = t.g.graph();
    CHECK(api->graph_compute(1, &g, &err) == PLINTH_ERR_INVALID_ARGUMENT);
    CHECK_THAT(std::string(err.text), Catch::Contains("device 1"));
    g.struct_size = 8;
    CHECK(api->graph_compute(0, &g, &err) == PLINTH_ERR_INVALID_ARGUMENT);
    g = t.g.graph();
    g.tensors = nullptr;
    CHECK(api->graph_compute(0, &g, &err) == PLINTH_ERR_INVALID_ARGUMENT);
    g = t.g.graph();
    CHECK(api->graph_compute(0, &g, &err) == PLINTH_OK);
}

TEST_CASE("supports_node answers from types and shapes, before any buffer exists", "[cpu][graph]") {
    const plinth_backend_api* api = backend();
    std::vector<plinth_tensor> tensors(3);
    auto set = [&](int i, uint32_t type, shape4 s) {
        tensors[size_t(i)] = plinth_tensor{};
        tensors[size_t(i)].type = type;
        for (int d = 0; d < 4; ++d) tensors[size_t(i)].shape[d] = s[size_t(d)];
    };
    set(0, PLINTH_TYPE_Q4_K, shp(512, 100));
    set(1, PLINTH_TYPE_F32, shp(512, 3));
    set(2, PLINTH_TYPE_F32, shp(100, 3));
    plinth_node n{};
    n.op = PLINTH_OP_MATMUL;
    n.dst = 2;
    for (auto& s : n.src) s = PLINTH_NO_TENSOR;
    n.src[0] = 0;
    n.src[1] = 1;
    plinth_graph g{};
    g.struct_size = sizeof(g);
    g.n_tensors = 3;
    g.tensors = tensors.data();
    g.n_nodes = 1;
    g.nodes = &n;
    CHECK(api->supports_node(0, &g, 0) == 1);
    CHECK(api->supports_node(1, &g, 0) == 0);  // no device 1
    CHECK(api->supports_node(0, &g, 1) == 0);  // no node 1
    set(0, PLINTH_TYPE_IQ2_XXS, shp(512, 100));
    CHECK(api->supports_node(0, &g, 0) == 0);
    set(0, PLINTH_TYPE_Q4_K, shp(512, 100));
    set(1, PLINTH_TYPE_F16, shp(512, 3));
    CHECK(api->supports_node(0, &g, 0) == 0);
    n.op = 42;
    CHECK(api->supports_node(0, &g, 0) == 0);
}
