// MATMUL's tensor-core operands (plugins/cuda/quant/mma_operands.cuh) on the host: a warp's
// mma.sync m16n8k32 (and m16n8k16 for the K-quants' halves) is modelled from the PTX ISA's fragment layout (which lane holds which bytes of
// A and B, which sums of D it gets back), and every sum, scaled by mma_term, must give block_dot's
// float bit for bit: then the tensor-core kernel and the dp4a kernels agree exactly. That the
// hardware lays fragments out as the ISA says is checked where a GPU runs the conformance suite.
#include <catch2/catch.hpp>

#include <array>
#include <type_traits>
#include <cstring>
#include <vector>

#include <plinth/weight_formats.hpp>

#include "mma_operands.cuh"
#include "quant_test_util.hpp"

using namespace plinth::weight_formats;
using namespace plinth::weight_formats::test;
namespace bm = plinth::cuda::bm;

namespace {

int8_t byte_of(int word, int k) { return int8_t(uint32_t(word) >> (8 * k)); }

// One block index b: 16 weight rows (one block each) x 8 activation columns through the modelled
// mma, against block_dot. Returns the number of (row, column) pairs whose float differs.
template <uint32_t Type>
int mismatches(const std::vector<std::vector<uint8_t>>& rows, const std::vector<std::vector<uint8_t>>& cols, int64_t b) {
    using W = typename bm::weight<Type>::block;
    using A = typename bm::weight<Type>::act_block;
    const auto w = [&](int r) -> const W& { return reinterpret_cast<const W*>(rows[size_t(r)].data())[b]; };
    const auto a = [&](int c) -> const A& { return reinterpret_cast<const A*>(cols[size_t(c)].data())[b]; };

    // The 16 x 32 and 32 x 8 operands as the 32 lanes hand them over; each cell set exactly once.
    std::array<std::array<int, 32>, 16> A_mat{};
    std::array<std::array<int, 8>, 32> B_mat{};
    std::array<std::array<int, 32>, 16> a_set{};
    std::array<std::array<int, 8>, 32> b_set{};
    for (int lane = 0; lane < 32; ++lane) {
        const int g = lane >> 2, q = lane & 3;
        const bm::MmaWords rg = bm::mma_codes(w(g), q), rg8 = bm::mma_codes(w(g + 8), q), col = bm::mma_act_words(a(g), q);
        for (int k = 0; k < 4; ++k) {
            A_mat[size_t(g)][size_t(4 * q + k)] = byte_of(rg.lo, k);         // a[0]
            A_mat[size_t(g + 8)][size_t(4 * q + k)] = byte_of(rg8.lo, k);    // a[1]
            A_mat[size_t(g)][size_t(16 + 4 * q + k)] = byte_of(rg.hi, k);    // a[2]
            A_mat[size_t(g + 8)][size_t(16 + 4 * q + k)] = byte_of(rg8.hi, k);  // a[3]
            ++a_set[size_t(g)][size_t(4 * q + k)];
            ++a_set[size_t(g + 8)][size_t(4 * q + k)];
            ++a_set[size_t(g)][size_t(16 + 4 * q + k)];
            ++a_set[size_t(g + 8)][size_t(16 + 4 * q + k)];
            B_mat[size_t(4 * q + k)][size_t(g)] = byte_of(col.lo, k);        // b[0]
            B_mat[size_t(16 + 4 * q + k)][size_t(g)] = byte_of(col.hi, k);   // b[1]
            ++b_set[size_t(4 * q + k)][size_t(g)];
            ++b_set[size_t(16 + 4 * q + k)][size_t(g)];
        }
    }
    for (const auto& row : a_set)
        for (int n : row) REQUIRE(n == 1);
    for (const auto& row : b_set)
        for (int n : row) REQUIRE(n == 1);

    // D = A B, then each lane's four sums where the kernel reads them: d[i] is row g + 8 (i / 2),
    // column 2q + i % 2.
    int bad = 0;
    for (int lane = 0; lane < 32; ++lane) {
        const int g = lane >> 2, q = lane & 3;
        for (int i = 0; i < 4; ++i) {
            const int r = g + 8 * (i >> 1), c = 2 * q + (i & 1);
            int d = 0;
            for (int k = 0; k < 32; ++k) d += A_mat[size_t(r)][size_t(k)] * B_mat[size_t(k)][size_t(c)];
            const float got = bm::mma_term(w(r), a(c), d), want = bm::block_dot(w(r), a(c));
            if (std::memcmp(&got, &want, sizeof got) != 0) ++bad;
        }
    }
    return bad;
}

std::vector<uint8_t> quantized(uint32_t type, const std::vector<float>& x) {
    std::vector<uint8_t> out(row_bytes(type, int64_t(x.size())));
    quantize_row(type, x.data(), out.data(), int64_t(x.size()));
    return out;
}

template <uint32_t Type>
void check_type(uint64_t seed, bool raw_codes) {
    constexpr int64_t blocks = 3, n = blocks * 32;
    Rng rng(seed);
    const uint32_t act_type = activation_type(Type);
    std::vector<std::vector<uint8_t>> rows, cols;
    for (int r = 0; r < 16; ++r) {
        auto row = quantized(Type, rng.normal_row(n, 0.5f));
        if (raw_codes) {  // every code byte random, the scales kept: codes at both ends of their range
            using W = typename bm::weight<Type>::block;
            auto* w = reinterpret_cast<W*>(row.data());
            for (int64_t b = 0; b < blocks; ++b) {
                auto* qs = reinterpret_cast<uint8_t*>(&w[b].qs[0]);
                for (size_t i = 0; i < sizeof(w[b].qs); ++i) qs[i] = uint8_t(rng.next());
            }
        }
        rows.push_back(std::move(row));
    }
    for (int c = 0; c < 8; ++c) cols.push_back(quantized(act_type, rng.normal_row(n, 2.0f)));
    for (int64_t b = 0; b < blocks; ++b) CHECK(mismatches<Type>(rows, cols, b) == 0);
}

// Every byte of each super-block random but its float scales (kept from a real quantization).
template <class W>
void randomize_codes_and_scales(W& w, Rng& rng) {
    W keep = w;
    auto* bytes = reinterpret_cast<uint8_t*>(&w);
    for (size_t i = 0; i < sizeof(W); ++i) bytes[i] = uint8_t(rng.next());
    w.d = keep.d;
    if constexpr (std::is_same_v<W, BlockQ2_K> || std::is_same_v<W, BlockQ4_K> || std::is_same_v<W, BlockQ5_K>)
        w.dmin = keep.dmin;
}

// One super-block index b of 16 rows x 8 columns through the modelled per-piece mma (m16n8k32 for
// a piece with one scale, m16n8k16 per half otherwise), against block_dot.
template <uint32_t Type>
int kquant_mismatches(const std::vector<std::vector<uint8_t>>& rows, const std::vector<std::vector<uint8_t>>& cols,
                      int64_t b) {
    using W = typename bm::weight<Type>::block;
    using A = BlockQ8_K;
    const auto w = [&](int r) -> const W& { return reinterpret_cast<const W*>(rows[size_t(r)].data())[b]; };
    const auto a = [&](int c) -> const A& { return reinterpret_cast<const A*>(cols[size_t(c)].data())[b]; };
    std::array<std::array<int, 8>, 16> isum{}, msum{};
    for (int p = 0; p < 8; ++p) {
        // (first word, words) of each product: one of 8 words, or each half's 4.
        const bool one = bm::kquant_mma<W>::one_scale_per_piece;
        for (int h = 0; h < (one ? 1 : 2); ++h) {
            const int width = one ? 32 : 16;
            std::vector<std::array<int, 32>> A_mat(16), B_t(8);  // B_t[c][k]: B transposed
            std::vector<std::array<int, 32>> a_set(16), b_set(8);
            for (int lane = 0; lane < 32; ++lane) {
                const int g = lane >> 2, q = lane & 3;
                // The words the kernel hands over: (q, 4 + q) for k32; 4h + q for k16.
                const int words[2] = {one ? q : 4 * h + q, 4 + q};
                for (int part = 0; part < (one ? 2 : 1); ++part) {
                    const int base = part * 16 + 4 * q;  // the columns of A / rows of B this register holds
                    for (int rr : {g, g + 8}) {
                        const int word = bm::kmma_code_word(w(rr), p, words[part], bm::kscales(w(rr), p).bias);
                        for (int k = 0; k < 4; ++k) {
                            A_mat[size_t(rr)][size_t(base + k)] = byte_of(word, k);
                            ++a_set[size_t(rr)][size_t(base + k)];
                        }
                    }
                    const int act = bm::kmma_act_word(a(g), p, words[part]);
                    for (int k = 0; k < 4; ++k) {
                        B_t[size_t(g)][size_t(base + k)] = byte_of(act, k);
                        ++b_set[size_t(g)][size_t(base + k)];
                    }
                }
            }
            for (int r = 0; r < 16; ++r)
                for (int k = 0; k < width; ++k) REQUIRE(a_set[size_t(r)][size_t(k)] == 1);
            for (int c = 0; c < 8; ++c)
                for (int k = 0; k < width; ++k) REQUIRE(b_set[size_t(c)][size_t(k)] == 1);
            for (int r = 0; r < 16; ++r)
                for (int c = 0; c < 8; ++c) {
                    int d = 0;
                    for (int k = 0; k < width; ++k) d += A_mat[size_t(r)][size_t(k)] * B_t[size_t(c)][size_t(k)];
                    isum[size_t(r)][size_t(c)] += bm::kscales(w(r), p).sc[h] * d;
                }
        }
        for (int r = 0; r < 16; ++r)
            for (int c = 0; c < 8; ++c) msum[size_t(r)][size_t(c)] += bm::kmma_min_term(bm::kscales(w(r), p), a(c), p);
    }
    int bad = 0;
    for (int r = 0; r < 16; ++r)
        for (int c = 0; c < 8; ++c) {
            const float got = bm::kterm(w(r), a(c), bm::KSums{isum[size_t(r)][size_t(c)], msum[size_t(r)][size_t(c)]});
            const float want = bm::block_dot(w(r), a(c));
            if (std::memcmp(&got, &want, sizeof got) != 0) ++bad;
        }
    return bad;
}

template <uint32_t Type>
void check_kquant(uint64_t seed, bool raw) {
    using W = typename bm::weight<Type>::block;
    constexpr int64_t blocks = 2, n = blocks * 256;
    Rng rng(seed);
    std::vector<std::vector<uint8_t>> rows, cols;
    for (int r = 0; r < 16; ++r) {
        auto row = quantized(Type, rng.normal_row(n, 0.5f));
        if (raw)
            for (int64_t b = 0; b < blocks; ++b) randomize_codes_and_scales(reinterpret_cast<W*>(row.data())[b], rng);
        rows.push_back(std::move(row));
    }
    for (int c = 0; c < 8; ++c) cols.push_back(quantized(PLINTH_TYPE_Q8_K, rng.normal_row(n, 2.0f)));
    for (int64_t b = 0; b < blocks; ++b) CHECK(kquant_mismatches<Type>(rows, cols, b) == 0);
}

}  // namespace

TEST_CASE("the tensor-core operands give block_dot's bits for every K-quant", "[cuda][mma]") {
    for (bool raw : {false, true}) {
        check_kquant<PLINTH_TYPE_Q2_K>(31, raw);
        check_kquant<PLINTH_TYPE_Q3_K>(32, raw);
        check_kquant<PLINTH_TYPE_Q4_K>(33, raw);
        check_kquant<PLINTH_TYPE_Q5_K>(34, raw);
        check_kquant<PLINTH_TYPE_Q6_K>(35, raw);
    }
}

TEST_CASE("the tensor-core operands give block_dot's bits for every 32-element type", "[cuda][mma]") {
    for (bool raw : {false, true}) {
        check_type<PLINTH_TYPE_Q4_0>(11, raw);
        check_type<PLINTH_TYPE_Q4_1>(12, raw);
        check_type<PLINTH_TYPE_Q5_0>(13, raw);
        check_type<PLINTH_TYPE_Q5_1>(14, raw);
        check_type<PLINTH_TYPE_Q8_0>(15, raw);
    }
}

TEST_CASE("a bias left on the codes is noticed", "[cuda][mma]") {
    // Q4_0's codes without the - 8: the sums are off by 8 x the activations' sum.
    Rng rng(21);
    const auto w = quantized(PLINTH_TYPE_Q4_0, rng.normal_row(32));
    const auto a = quantized(PLINTH_TYPE_Q8_0, rng.normal_row(32));
    const auto& wb = *reinterpret_cast<const BlockQ4_0*>(w.data());
    const auto& ab = *reinterpret_cast<const BlockQ8_0*>(a.data());
    int good = 0, unbiased = 0;
    for (int q = 0; q < 4; ++q) {
        const bm::MmaWords c = bm::mma_codes(wb, q), raw = bm::nibble_words(wb.qs, nullptr, q), x = bm::mma_act_words(ab, q);
        for (int k = 0; k < 4; ++k) {
            good += byte_of(c.lo, k) * byte_of(x.lo, k) + byte_of(c.hi, k) * byte_of(x.hi, k);
            unbiased += byte_of(raw.lo, k) * byte_of(x.lo, k) + byte_of(raw.hi, k) * byte_of(x.hi, k);
        }
    }
    const float want = bm::block_dot(wb, ab);
    CHECK(bm::mma_term(wb, ab, good) == want);
    CHECK(bm::mma_term(wb, ab, unbiased) != want);
}
