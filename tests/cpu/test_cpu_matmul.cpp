// MATMUL for every weight type plinth_weight_formats supports: the result is exactly the CPU
// kernels' dot product of each weight row with the quantized activation column, and within the
// error that activation quantization allows of the float matmul of the dequantized weights.
#include "cpu_test_util.hpp"

#include "cpu_kernels.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

using namespace cpu_test;
namespace quant = plinth::quant;
namespace weight_formats = plinth::weight_formats;

namespace {

struct matmul_result {
    std::vector<float> got;
    std::vector<unsigned char> w;  // the quantized weights
};

matmul_result run_matmul(uint32_t type, uint64_t K, uint64_t N, uint64_t T, const std::vector<float>& wf,
                         const std::vector<float>& x) {
    const size_t rb = weight_formats::row_bytes(type, int64_t(K));
    matmul_result r;
    r.w.resize(rb * N);
    for (uint64_t j = 0; j < N; ++j) weight_formats::quantize_row(type, wf.data() + j * K, r.w.data() + j * rb, int64_t(K));
    graph_builder g;
    const uint32_t w = g.add(type, shp(K, N), r.w.data());
    const uint32_t xs = g.f32(shp(K, T), x);
    const uint32_t d = g.f32(shp(N, T));
    g.node(PLINTH_OP_MATMUL, d, {w, xs});
    g.run();
    r.got = g.f32_data(d);
    return r;
}

// Checks dst against (1) quant::dot of each weight row with the quantized column, which the
// backend must reproduce up to float rounding, and (2) the double-precision matmul of the
// dequantized weights with the float activations, allowing for activation quantization: an
// element in a block of largest magnitude amax moves by at most one step amax/127 (half a step
// of rounding plus the 16-bit rounding of the block scale), so |error| <= sum_k |w_k| amax_k/127,
// plus a little float and scale rounding.
void check_matmul(uint32_t type, uint64_t K, uint64_t N, uint64_t T, const matmul_result& r,
                  const std::vector<float>& x) {
    const size_t rb = weight_formats::row_bytes(type, int64_t(K));
    const uint32_t act = weight_formats::activation_type(type);
    const int64_t act_block = act == PLINTH_TYPE_Q8_K ? 256 : 32;
    std::vector<unsigned char> xq(act == PLINTH_TYPE_F32 ? 0 : weight_formats::row_bytes(act, int64_t(K)));
    std::vector<float> wd(K);
    double err_sq = 0, bound_sq = 0;
    for (uint64_t t = 0; t < T; ++t) {
        const float* xt = x.data() + t * K;
        if (!xq.empty()) weight_formats::quantize_row(act, xt, xq.data(), int64_t(K));
        std::vector<double> step(K, 0.0);
        if (act != PLINTH_TYPE_F32)
            for (uint64_t b = 0; b < K; b += act_block) {
                double amax = 0;
                for (uint64_t k = b; k < b + act_block; ++k) amax = std::max(amax, std::fabs(double(xt[k])));
                for (uint64_t k = b; k < b + act_block; ++k) step[k] = amax / 127.0;
            }
        for (uint64_t j = 0; j < N; ++j) {
            const float got = r.got[t * N + j];
            const void* wrow = r.w.data() + j * rb;
            // (1) the library's own dot product
            const float lib = quant::dot(type, int64_t(K), wrow, xq.empty() ? static_cast<const void*>(xt) : xq.data());
            if (!(std::fabs(got - lib) <= 1e-6f * std::max(1.0f, std::fabs(lib)))) {
                INFO("row " << j << " column " << t << ": got " << got << ", quant::dot gives " << lib);
                REQUIRE(std::fabs(got - lib) <= 1e-6f * std::max(1.0f, std::fabs(lib)));
            }
            // (2) the float matmul of the dequantized weights
            weight_formats::dequantize_row(type, wrow, wd.data(), int64_t(K));
            double want = 0, bound = 0, mag = 0, var = 0;
            for (uint64_t k = 0; k < K; ++k) {
                want += double(wd[k]) * xt[k];
                bound += std::fabs(wd[k]) * step[k];
                mag += std::fabs(double(wd[k]) * xt[k]);
                var += double(wd[k]) * wd[k] * step[k] * step[k] / 12.0;  // uniform rounding error
            }
            const double tol = bound + 2e-3 * mag + 1e-5;
            if (!(std::fabs(got - want) <= tol)) {
                INFO("row " << j << " column " << t << ": got " << got << ", float matmul " << want << ", tolerance " << tol);
                REQUIRE(std::fabs(got - want) <= tol);
            }
            err_sq += (got - want) * (got - want);
            bound_sq += var + std::pow(1e-6 * mag, 2);
        }
    }
    // In aggregate the error behaves like rounding noise, far below the worst case above.
    INFO("rms error " << std::sqrt(err_sq / double(N * T)) << ", rms of the expected noise "
                      << std::sqrt(bound_sq / double(N * T)));
    CHECK(err_sq <= 4.0 * bound_sq + 1e-10 * double(N * T));
}

}  // namespace

TEST_CASE("MATMUL with F32 weights matches the plain float matmul", "[cpu][matmul]") {
    const int threads = GENERATE(1, 2);
    set_threads(threads);
    for (uint64_t K : {3u, 17u, 69u})
        for (uint64_t N : {1u, 5u, 17u, 69u})
            for (uint64_t T : {1u, 3u, 7u}) {
                INFO("K " << K << " N " << N << " T " << T << " threads " << threads);
                const auto w = random_floats(K * N, uint32_t(K * 1000 + N));
                const auto x = random_floats(K * T, uint32_t(K + T));
                const auto r = run_matmul(PLINTH_TYPE_F32, K, N, T, w, x);
                std::vector<double> want(N * T);
                for (uint64_t t = 0; t < T; ++t)
                    for (uint64_t j = 0; j < N; ++j) {
                        double s = 0;
                        for (uint64_t k = 0; k < K; ++k) s += double(w[j * K + k]) * x[t * K + k];
                        want[t * N + j] = s;
                    }
                check_close(r.got, want, 1e-6, 1e-5);
            }
}

TEST_CASE("MATMUL for every quantized and 16-bit weight type", "[cpu][matmul]") {
    const int threads = GENERATE(1, 2);
    set_threads(threads);
    const uint32_t types[] = {PLINTH_TYPE_F16,  PLINTH_TYPE_BF16, PLINTH_TYPE_Q4_0, PLINTH_TYPE_Q4_1,
                              PLINTH_TYPE_Q5_0, PLINTH_TYPE_Q5_1, PLINTH_TYPE_Q8_0, PLINTH_TYPE_Q8_1,
                              PLINTH_TYPE_Q2_K, PLINTH_TYPE_Q3_K, PLINTH_TYPE_Q4_K, PLINTH_TYPE_Q5_K,
                              PLINTH_TYPE_Q6_K, PLINTH_TYPE_Q8_K};
    for (uint32_t type : types) {
        REQUIRE(weight_formats::is_supported(type));
        const uint64_t block = plinth_weight_type_info(type).block_size;
        const uint64_t Ks[] = {block == 256 ? 256u : 96u, block == 256 ? 768u : 288u};
        for (uint64_t K : Ks)
            for (uint64_t N : {5u, 67u})
                for (uint64_t T : {1u, 3u, 7u}) {
                    INFO(plinth_weight_type_info(type).name << " K " << K << " N " << N << " T " << T << " threads "
                                                            << threads);
                    const auto w = random_floats(K * N, uint32_t(type * 7919 + K + N));
                    const auto x = random_floats(K * T, uint32_t(K * 3 + T), -2.0f, 2.0f);
                    const auto r = run_matmul(type, K, N, T, w, x);
                    check_matmul(type, K, N, T, r, x);
                }
    }
}

TEST_CASE("MATMUL with many columns and rows (tiled over both)", "[cpu][matmul]") {
    const uint64_t K = 256, N = 300, T = 70;
    const auto w = random_floats(K * N, 1);
    const auto x = random_floats(K * T, 2);
    std::vector<float> first;
    for (int threads : {1, 2, 3}) {
        set_threads(threads);
        const auto r = run_matmul(PLINTH_TYPE_Q4_K, K, N, T, w, x);
        check_matmul(PLINTH_TYPE_Q4_K, K, N, T, r, x);
        if (first.empty()) first = r.got;
        else CHECK(r.got == first);
    }
}

TEST_CASE("MATMUL picks the reference's summation order: blocks for Q4_0 with 8k rows, lanes otherwise", "[cpu][matmul]") {
    // op_matmul.cpp: the order is part of the result (docs/quantization.md), so it is checked exactly.
    const uint64_t K = 288;
    for (uint32_t type : {PLINTH_TYPE_Q4_0, PLINTH_TYPE_Q8_0})
        for (uint64_t N : {64u, 67u})
            for (uint64_t T : {1u, 5u}) {
                const bool blocks = type == PLINTH_TYPE_Q4_0 && N % 8 == 0;
                INFO(plinth_weight_type_info(type).name << " N " << N << " T " << T);
                const auto w = random_floats(K * N, uint32_t(N + T));
                const auto x = random_floats(K * T, uint32_t(K + T), -2.0f, 2.0f);
                const auto r = run_matmul(type, K, N, T, w, x);
                const size_t rb = weight_formats::row_bytes(type, int64_t(K));
                std::vector<unsigned char> xq(weight_formats::row_bytes(PLINTH_TYPE_Q8_0, int64_t(K)));
                for (uint64_t t = 0; t < T; ++t) {
                    weight_formats::quantize_row(PLINTH_TYPE_Q8_0, x.data() + t * K, xq.data(), int64_t(K));
                    for (uint64_t j = 0; j < N; ++j) {
                        const void* row = r.w.data() + j * rb;
                        const float want = weight_formats::dot_reference(type, int64_t(K), row, xq.data(),
                                                                blocks ? quant::sum_order::blocks : quant::sum_order::lanes);
                        REQUIRE(r.got[t * N + j] == want);
                    }
                }
            }
}

TEST_CASE("MATMUL with many columns equals quant::matvec column by column, bit for bit", "[cpu][matmul]") {
    // op_matmul hands tiles of rows x columns to quant::gemm, whose multi-column kernels must give
    // exactly the per-column dot products (docs/quantization.md, "Many columns"): the goldens rest
    // on it. Shapes cross the 16-column groups and the tiles, with row counts on and off 8k.
    const uint32_t types[] = {PLINTH_TYPE_Q4_0, PLINTH_TYPE_Q5_0, PLINTH_TYPE_Q8_0, PLINTH_TYPE_Q4_K,
                              PLINTH_TYPE_Q5_K, PLINTH_TYPE_Q6_K, PLINTH_TYPE_F16};
    for (int threads : {1, 2}) {
        set_threads(threads);
        for (uint32_t type : types) {
            const uint64_t K = plinth_weight_type_info(type).block_size == 256 ? 768 : 288;
            for (uint64_t N : {40u, 67u})
                for (uint64_t T : {2u, 17u, 70u}) {
                    INFO(plinth_weight_type_info(type).name << " N " << N << " T " << T << " threads " << threads);
                    const auto w = random_floats(K * N, uint32_t(type + N + T));
                    const auto x = random_floats(K * T, uint32_t(K + T), -2.0f, 2.0f);
                    const auto r = run_matmul(type, K, N, T, w, x);
                    const uint32_t act = weight_formats::activation_type(type);
                    const quant::sum_order order =
                        type == PLINTH_TYPE_Q4_0 && N % 8 == 0 ? quant::sum_order::blocks : quant::sum_order::lanes;
                    std::vector<unsigned char> xq(weight_formats::row_bytes(act, int64_t(K)));
                    std::vector<float> want(N);
                    for (uint64_t t = 0; t < T; ++t) {
                        weight_formats::quantize_row(act, x.data() + t * K, xq.data(), int64_t(K));
                        quant::matvec(type, int64_t(N), int64_t(K), r.w.data(), weight_formats::row_bytes(type, int64_t(K)),
                                      xq.data(), want.data(), order);
                        for (uint64_t j = 0; j < N; ++j) {
                            INFO("row " << j << " column " << t);
                            REQUIRE(r.got[t * N + j] == want[j]);
                        }
                    }
                }
        }
    }
}

TEST_CASE("MATMULs of one activation run as a group with the results they have alone", "[cpu][matmul]") {
    // q, k, v (or gate, up) read the same activation; the backend runs such neighbours as one job.
    // Mixed weight types of one activation format (Q8_0 activations; Q8_K; F16 breaks the group).
    const uint64_t K = 512;
    for (uint64_t T : {1u, 5u, 40u}) {
        const std::vector<float> x = random_floats(K * T, 90 + uint32_t(T));
        struct member {
            uint32_t type;
            uint64_t N;
        };
        for (const std::vector<member>& group :
             {std::vector<member>{{PLINTH_TYPE_Q8_0, 96}, {PLINTH_TYPE_Q4_0, 64}, {PLINTH_TYPE_Q5_0, 40}},
              std::vector<member>{{PLINTH_TYPE_Q4_K, 72}, {PLINTH_TYPE_Q6_K, 8}, {PLINTH_TYPE_F16, 16}, {PLINTH_TYPE_Q4_K, 20}},
              std::vector<member>{{PLINTH_TYPE_Q8_0, 8}, {PLINTH_TYPE_Q8_0, 8}, {PLINTH_TYPE_Q8_0, 8}, {PLINTH_TYPE_Q8_0, 8},
                                  {PLINTH_TYPE_Q8_0, 8}}}) {
            graph_builder g;
            const uint32_t xs = g.f32(shp(K, T), x);
            std::vector<std::vector<unsigned char>> weights;
            std::vector<uint32_t> dsts;
            for (size_t i = 0; i < group.size(); ++i) {
                const auto wf = random_floats(K * group[i].N, 200 + uint32_t(i));
                const size_t rb = weight_formats::row_bytes(group[i].type, int64_t(K));
                weights.emplace_back(rb * group[i].N);
                for (uint64_t j = 0; j < group[i].N; ++j)
                    weight_formats::quantize_row(group[i].type, wf.data() + j * K, weights.back().data() + j * rb, int64_t(K));
                const uint32_t w = g.add(group[i].type, shp(K, group[i].N), weights.back().data());
                dsts.push_back(g.f32(shp(group[i].N, T)));
                g.node(PLINTH_OP_MATMUL, dsts.back(), {w, xs});
            }
            g.run();
            for (size_t i = 0; i < group.size(); ++i) {
                graph_builder alone;
                const uint32_t w = alone.add(group[i].type, shp(K, group[i].N), weights[i].data());
                const uint32_t d = alone.f32(shp(group[i].N, T));
                alone.node(PLINTH_OP_MATMUL, d, {w, alone.f32(shp(K, T), x)});
                alone.run();
                INFO("T " << T << " member " << i << " " << plinth_weight_type_info(group[i].type).name);
                CHECK(g.f32_data(dsts[i]) == alone.f32_data(d));
            }
        }
    }
}

TEST_CASE("MATMUL of mapped weights (buffer_wrap_weights): the interleaved copies give the same bits", "[cpu][matmul][interleaved]") {
    // The backend reads Q4_0, Q8_0 and K-quant matrices with 16k rows in a buffer of mapped weights from its
    // own interleaved copy and releases the mapped pages (docs/cpu-backend.md, "Memory"). Every result
    // must equal the same graph's over an ordinary buffer, at first use and after; a matrix of 40
    // rows (no layout) and a Q8_0 one take the usual path; the released pages read back (GET_ROWS).
    const uint64_t K = 4096, T_max = 20;
    struct matrix { uint32_t type; uint64_t N; uint64_t offset = 0; std::vector<unsigned char> bytes; };
    std::vector<matrix> ms = {{PLINTH_TYPE_Q4_0, 64, 0, {}}, {PLINTH_TYPE_Q4_0, 40, 0, {}}, {PLINTH_TYPE_Q8_0, 32, 0, {}},
                              {PLINTH_TYPE_Q6_K, 48, 0, {}}, {PLINTH_TYPE_Q4_K, 32, 0, {}}, {PLINTH_TYPE_Q5_K, 16, 0, {}}};
    // The file: the matrices one after another, 32-byte aligned as in a GGUF file.
    std::vector<unsigned char> file;
    for (auto& m : ms) {
        const size_t rb = weight_formats::row_bytes(m.type, int64_t(K));
        const auto wf = random_floats(K * m.N, uint32_t(m.N));
        m.bytes.resize(rb * m.N);
        for (uint64_t j = 0; j < m.N; ++j) weight_formats::quantize_row(m.type, wf.data() + j * K, m.bytes.data() + j * rb, int64_t(K));
        file.resize((file.size() + 31) / 32 * 32);
        m.offset = file.size();
        file.insert(file.end(), m.bytes.begin(), m.bytes.end());
    }
    char path[] = "/tmp/plinth-test-weights-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, file.data(), file.size()) == ssize_t(file.size()));
    void* map = mmap(nullptr, file.size(), PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    unlink(path);
    REQUIRE(map != MAP_FAILED);

    const plinth_backend_api* api = backend();
    REQUIRE(api->buffer_wrap_weights != nullptr);
    plinth_buffer weights = nullptr;
    plinth_message err{};
    REQUIRE(api->buffer_wrap_weights(0, map, file.size(), &weights, &err) == PLINTH_OK);
    CHECK(api->buffer_upload(weights, 0, file.data(), 16, &err) == PLINTH_ERR_INVALID_ARGUMENT);  // read-only

    // Each matrix times T columns, then GET_ROWS of two of its rows, over the mapped buffer
    // (`mapped`) or over a copy of each matrix in a buffer of its own.
    const auto run = [&](bool mapped, uint64_t T, const std::vector<float>& x) {
        graph_builder g;
        std::vector<float> out;
        const uint32_t xs = g.f32(shp(K, T), x);
        const uint32_t idx = g.i32({3, 1});
        std::vector<uint32_t> dsts, rows, weights_of;
        for (const auto& m : ms) {
            uint32_t w;
            if (mapped) {
                plinth_tensor t{};
                t.type = m.type;
                t.shape[0] = K;
                t.shape[1] = m.N;
                t.shape[2] = t.shape[3] = 1;
                t.buffer = weights;
                t.offset = m.offset;
                g.tensors.push_back(t);
                w = uint32_t(g.tensors.size() - 1);
            } else {
                w = g.add(m.type, shp(K, m.N), m.bytes.data());
            }
            weights_of.push_back(w);
            dsts.push_back(g.f32(shp(m.N, T)));
            g.node(PLINTH_OP_MATMUL, dsts.back(), {w, xs});
        }
        // (The MATMULs one after another: they run as groups of one activation, Q4_K beside Q6_K.)
        for (size_t i = 0; i < ms.size(); ++i) {
            rows.push_back(g.f32(shp(K, 2)));
            g.node(PLINTH_OP_GET_ROWS, rows.back(), {weights_of[i], idx});
        }
        g.run();
        for (size_t i = 0; i < ms.size(); ++i) {
            for (float v : g.f32_data(dsts[i])) out.push_back(v);
            for (float v : g.f32_data(rows[i])) out.push_back(v);
        }
        return out;
    };
    for (int threads : {2, 1}) {
        set_threads(threads);
        for (uint64_t T : {uint64_t(1), uint64_t(3), T_max}) {
            INFO("T " << T << " threads " << threads);
            const auto x = random_floats(K * T, uint32_t(T), -2.0f, 2.0f);
            const auto want = run(false, T, x);
            const auto got = run(true, T, x);
            REQUIRE(got.size() == want.size());
            CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
        }
    }
    api->buffer_free(weights);
    munmap(map, file.size());
}
