// ATTENTION over the paged KV cache against a double-precision reference: grouped-query heads,
// F32 and F16 caches, two sequences interleaved in one batch with non-contiguous cache blocks.
#include "cpu_test_util.hpp"

#include <algorithm>

using namespace cpu_test;

namespace {

struct attention_case {
    int64_t heads, kv_heads, head_dim, block;
    std::vector<int32_t> pos, seq;  // per token
    std::vector<int32_t> table;     // [max_blocks, sequences]
    int64_t max_blocks, slots;
};

// Sequence 0 owns cache blocks 7, 2, 9, 0, ...; sequence 1 blocks 3, 10, 5, 1, ... (block 4 is
// nobody's); unused table entries are -1 and must not be read.
attention_case make_case(int64_t heads, int64_t kv_heads, int64_t head_dim, size_t T) {
    attention_case c;
    c.heads = heads;
    c.kv_heads = kv_heads;
    c.head_dim = head_dim;
    c.block = 3;
    c.max_blocks = 6;
    c.slots = 12 * c.block;
    c.table = {7, 2, 9, 0, -1, -1,   // sequence 0
               3, 10, 5, 1, 11, -1};  // sequence 1
    // Sequence 0 continues after 5 cached positions, sequence 1 starts at 0; interleaved.
    const std::vector<int32_t> pos_all = {5, 0, 6, 1, 7, 2, 8};
    const std::vector<int32_t> seq_all = {0, 1, 0, 1, 0, 1, 0};
    if (T == 1) {
        c.pos = {13};
        c.seq = {1};
    } else {
        c.pos.assign(pos_all.begin(), pos_all.begin() + long(T));
        c.seq.assign(seq_all.begin(), seq_all.begin() + long(T));
    }
    return c;
}

// window: only positions p > pos - window (0: all); softcap: scores cap * tanh(s / cap) (0: none).
std::vector<double> ref_attention(const attention_case& c, const std::vector<float>& q, const std::vector<float>& k,
                                  const std::vector<float>& v, float scale, int32_t window = 0, float softcap = 0) {
    const int64_t T = int64_t(c.pos.size()), kv_row = c.head_dim * c.kv_heads;
    std::vector<double> out(size_t(T * c.heads * c.head_dim));
    for (int64_t t = 0; t < T; ++t)
        for (int64_t h = 0; h < c.heads; ++h) {
            const int64_t g = h / (c.heads / c.kv_heads);
            const float* qh = q.data() + (t * c.heads + h) * c.head_dim;
            std::vector<double> s(size_t(c.pos[t]) + 1);
            std::vector<int64_t> slot(s.size());
            for (int64_t p = 0; p <= c.pos[t]; ++p) {
                slot[p] = int64_t(c.table[c.seq[t] * c.max_blocks + p / c.block]) * c.block + p % c.block;
                double d = 0;
                for (int64_t i = 0; i < c.head_dim; ++i) d += double(qh[i]) * k[slot[p] * kv_row + g * c.head_dim + i];
                s[p] = d * scale;
                if (softcap > 0) s[p] = softcap * std::tanh(s[p] / softcap);
                if (window > 0 && c.pos[t] - p >= window) s[p] = -INFINITY;
            }
            const double m = *std::max_element(s.begin(), s.end());
            double sum = 0;
            for (auto& x : s) sum += (x = std::exp(x - m));
            for (int64_t i = 0; i < c.head_dim; ++i) {
                double o = 0;
                for (size_t p = 0; p < s.size(); ++p) o += s[p] * v[slot[p] * kv_row + g * c.head_dim + i];
                out[(t * c.heads + h) * c.head_dim + i] = o / sum;
            }
        }
    return out;
}

std::vector<float> run_attention(const attention_case& c, uint32_t cache_type, const std::vector<float>& q,
                                 const std::vector<float>& k, const std::vector<float>& v, float scale, int32_t window = 0,
                                 float softcap = 0) {
    const uint64_t T = c.pos.size();
    const uint64_t hd = uint64_t(c.head_dim), kv_row = hd * uint64_t(c.kv_heads);
    graph_builder g;
    const uint32_t tq = g.f32(shp(hd, uint64_t(c.heads), T), q);
    uint32_t tk, tv;
    if (cache_type == PLINTH_TYPE_F32) {
        tk = g.f32(shp(kv_row, uint64_t(c.slots)), k);
        tv = g.f32(shp(kv_row, uint64_t(c.slots)), v);
    } else {
        tk = g.add(PLINTH_TYPE_F16, shp(kv_row, uint64_t(c.slots)), to_f16(k).data());
        tv = g.add(PLINTH_TYPE_F16, shp(kv_row, uint64_t(c.slots)), to_f16(v).data());
    }
    const uint32_t tpos = g.i32(c.pos), tseq = g.i32(c.seq);
    const uint32_t ttab = g.i32(shp(uint64_t(c.max_blocks), 2), c.table);
    const uint32_t dst = g.f32(shp(hd * uint64_t(c.heads), T));
    plinth_node& n = g.node(PLINTH_OP_ATTENTION, dst, {tq, tk, tv, tpos, tseq, ttab});
    n.i[0] = int32_t(c.heads);
    n.i[1] = int32_t(c.kv_heads);
    n.i[2] = int32_t(c.head_dim);
    n.i[3] = int32_t(c.block);
    n.f[0] = scale;
    n.i[4] = window;
    n.f[1] = softcap;
    g.run();
    return g.f32_data(dst);
}

}  // namespace

TEST_CASE("ATTENTION: GQA over a paged cache, F32 and F16, two sequences in one batch", "[cpu][attention]") {
    struct heads_case {
        int64_t heads, kv_heads;
    };
    for (const heads_case hc : {heads_case{8, 4}, heads_case{8, 2}, heads_case{8, 8}, heads_case{4, 1}})
        for (int64_t head_dim : {3, 16, 69})
            for (uint32_t cache_type : {uint32_t(PLINTH_TYPE_F32), uint32_t(PLINTH_TYPE_F16)})
                for (size_t T : {1u, 3u, 7u}) {
                    INFO("heads " << hc.heads << " kv_heads " << hc.kv_heads << " head_dim " << head_dim << " cache "
                                  << plinth_weight_type_info(cache_type).name << " T " << T);
                    const attention_case c = make_case(hc.heads, hc.kv_heads, head_dim, T);
                    const uint32_t seed = uint32_t(hc.heads * 100 + hc.kv_heads * 10 + head_dim + T);
                    const auto q = random_floats(size_t(head_dim * hc.heads) * T, seed, -2.0f, 2.0f);
                    auto k = random_floats(size_t(head_dim * hc.kv_heads * c.slots), seed + 1, -2.0f, 2.0f);
                    auto v = random_floats(size_t(head_dim * hc.kv_heads * c.slots), seed + 2);
                    if (cache_type == PLINTH_TYPE_F16) {  // the reference reads what the cache holds
                        k = from_f16(to_f16(k));
                        v = from_f16(to_f16(v));
                    }
                    const float scale = 1.0f / std::sqrt(float(head_dim));
                    // Over an F16 cache q is rounded to F16 and the weighted sum of V is accumulated in
                    // F16 (the reference's flash attention): a few F16 roundings per position.
                    const bool half = cache_type == PLINTH_TYPE_F16;
                    const auto want = ref_attention(c, half ? from_f16(to_f16(q)) : q, k, v, scale);
                    std::vector<float> first;
                    for (int threads : {1, 2}) {
                        set_threads(threads);
                        const auto got = run_attention(c, cache_type, q, k, v, scale);
                        if (half) check_close(got, want, 4e-3, 4e-3);
                        else check_close(got, want, 2e-6, 2e-5);
                        if (first.empty()) first = got;
                        else CHECK(got == first);  // identical whatever the thread count
                    }
                }
}

TEST_CASE("ATTENTION over a long context with large scores stays finite and accurate", "[cpu][attention]") {
    attention_case c;
    c.heads = 4;
    c.kv_heads = 2;
    c.head_dim = 64 + 5;
    c.block = 16;
    c.max_blocks = 40;
    c.slots = 40 * 16;
    c.table.resize(80);
    for (int b = 0; b < 40; ++b) {
        c.table[size_t(b)] = (b * 7) % 40;      // a permutation of the blocks
        c.table[size_t(40 + b)] = (b * 11) % 40;  // sequence 1 shares them, in another order
    }
    c.pos = {639, 100, 17, 638};
    c.seq = {0, 1, 1, 0};
    const auto q = random_floats(size_t(c.head_dim * c.heads * 4), 1, -4.0f, 4.0f);
    const auto k = random_floats(size_t(c.head_dim * c.kv_heads * c.slots), 2, -4.0f, 4.0f);
    const auto v = random_floats(size_t(c.head_dim * c.kv_heads * c.slots), 3);
    const auto want = ref_attention(c, q, k, v, 1.0f);  // scores up to ~1000: needs the max subtracted
    for (int threads : {1, 2}) {
        set_threads(threads);
        check_close(run_attention(c, PLINTH_TYPE_F32, q, k, v, 1.0f), want, 1e-4, 1e-4);
    }
}

TEST_CASE("ATTENTION over an F16 cache: the same bits at every SIMD level", "[cpu][attention]") {
    // The AVX2 path (head size a multiple of 8; accumulators in registers for 32 and 64) and the
    // plain one do the same arithmetic.
    set_threads(2);
    plinth_message err{};
    for (int64_t D : {32, 64, 72}) {
        const attention_case c = make_case(8, 2, D, 7);
        const auto q = random_floats(size_t(D * 8 * 7), 11, -2.0f, 2.0f);
        const auto k = random_floats(size_t(D * 2 * c.slots), 12, -2.0f, 2.0f);
        const auto v = random_floats(size_t(D * 2 * c.slots), 13);
        const plinth_status st = backend()->set_option("simd", "auto", &err);
        INFO(err.text);
        REQUIRE(st == PLINTH_OK);
        const auto best = run_attention(c, PLINTH_TYPE_F16, q, k, v, 0.125f);
        if (backend()->set_option("simd", "scalar", &err) != PLINTH_OK) {
            WARN("the scalar level is not available: not compared");
            continue;
        }
        INFO("head size " << D);
        CHECK(run_attention(c, PLINTH_TYPE_F16, q, k, v, 0.125f) == best);
    }
    REQUIRE(backend()->set_option("simd", "auto", &err) == PLINTH_OK);
    CHECK(backend()->set_option("simd", "sse9", &err) == PLINTH_ERR_INVALID_ARGUMENT);
}

TEST_CASE("ATTENTION with a sliding window and a soft-cap, at every SIMD level", "[cpu][attention]") {
    // Gemma's attention: only the last `window` positions (the token's own included), and scores
    // bent by cap * tanh(s / cap) before the softmax. F32 against the double reference; F16 the
    // same bits on the AVX2 and plain paths.
    plinth_message err{};
    for (int32_t window : {1, 3, 5})
        for (float softcap : {0.0f, 2.0f})
            for (int64_t D : {16, 69}) {
                INFO("window " << window << " soft-cap " << softcap << " head size " << D);
                const attention_case c = make_case(8, 2, D, 7);
                const auto q = random_floats(size_t(D * 8 * 7), 21, -2.0f, 2.0f);
                const auto k = random_floats(size_t(D * 2 * c.slots), 22, -2.0f, 2.0f);
                const auto v = random_floats(size_t(D * 2 * c.slots), 23);
                const float scale = 1.0f / std::sqrt(float(D));
                set_threads(2);
                check_close(run_attention(c, PLINTH_TYPE_F32, q, k, v, scale, window, softcap),
                            ref_attention(c, q, k, v, scale, window, softcap), 2e-6, 2e-5);
                REQUIRE(backend()->set_option("simd", "auto", &err) == PLINTH_OK);
                const auto best = run_attention(c, PLINTH_TYPE_F16, q, k, v, scale, window, softcap);
                const auto kh = from_f16(to_f16(k)), vh = from_f16(to_f16(v));
                check_close(best, ref_attention(c, from_f16(to_f16(q)), kh, vh, scale, window, softcap), 4e-3, 4e-3);
                if (backend()->set_option("simd", "scalar", &err) == PLINTH_OK) {
                    CHECK(run_attention(c, PLINTH_TYPE_F16, q, k, v, scale, window, softcap) == best);
                    REQUIRE(backend()->set_option("simd", "auto", &err) == PLINTH_OK);
                }
            }
}
