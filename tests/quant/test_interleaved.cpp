// quant::gemm_interleaved (weights in the kernels' interleaved layouts) against quant::gemm on the
// original rows (Q4_0 in the blocks order, Q8_0 in the lanes order, the K-quants in their only
// one): bit for bit, at every dispatch level this CPU runs, for 1..17 columns (passes of 8 and 4
// columns for Q4_0 at avx512 and avx2, 2 and 1 for Q8_0, 4 and 2 for the K-quants), row ranges that
// start past the first group, and rows of 1, 3 and 67 blocks (Q4_0, Q8_0; the odd counts leave a
// half pair) or 1, 2 and 5 (Q4_K, Q5_K, Q6_K).
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <plinth/weight_formats.hpp>

#include "cpu_kernels.hpp"
#include "quant_test_util.hpp"

using namespace plinth::weight_formats;
using namespace plinth::weight_formats::test;
using namespace plinth::quant;

namespace {

struct aligned_bytes {
    std::unique_ptr<uint8_t, void (*)(void*)> p{nullptr, std::free};
    explicit aligned_bytes(size_t n) : p(static_cast<uint8_t*>(std::aligned_alloc(64, (n + 63) / 64 * 64)), std::free) {}
    uint8_t* get() const { return p.get(); }
};

}  // namespace

TEST_CASE("interleaved Q4_0, Q8_0, Q4_K, Q5_K and Q6_K: bit-identical to gemm", "[quant][interleaved]") {
    std::vector<std::string> levels;
    for (const char* l : {"scalar", "avx2", "avx512", "neon"})
        if (set_dispatch_for_testing(l)) levels.emplace_back(l);
    Rng rng(2026);
    for (const uint32_t type : {uint32_t(PLINTH_TYPE_Q4_0), uint32_t(PLINTH_TYPE_Q8_0), uint32_t(PLINTH_TYPE_Q4_K),
                                uint32_t(PLINTH_TYPE_Q5_K), uint32_t(PLINTH_TYPE_Q6_K)}) {
        const bool k = type != PLINTH_TYPE_Q4_0 && type != PLINTH_TYPE_Q8_0;
        const uint32_t act_type = activation_type(type);
        const sum_order order = type == PLINTH_TYPE_Q4_0 ? sum_order::blocks : sum_order::lanes;
        for (int64_t blocks : k ? std::vector<int64_t>{1, 2, 5} : std::vector<int64_t>{1, 3, 67}) {
            const int64_t n = (k ? 256 : 32) * blocks, rows = 48;
            const size_t w_stride = row_bytes(type, n) + 16;  // padding between rows
            std::vector<uint8_t> w(w_stride * size_t(rows));
            for (int64_t r = 0; r < rows; ++r)
                plinth::weight_formats::quantize_row(type, rng.normal_row(n).data(), w.data() + size_t(r) * w_stride, n);
            REQUIRE(interleavable(type, rows, n));
            aligned_bytes packed(interleaved_bytes(type, rows, n));
            interleave(type, rows, n, w.data(), w_stride, packed.get());

            const int64_t max_cols = 17;
            const size_t a_stride = row_bytes(act_type, n) + 8, t_stride = column_terms_bytes(type, n) + 8;
            std::vector<uint8_t> a(a_stride * max_cols);
            std::vector<uint32_t> terms_words(t_stride * max_cols / 4);
            auto* terms = reinterpret_cast<uint8_t*>(terms_words.data());
            for (int64_t c = 0; c < max_cols; ++c) {
                const std::vector<float> x = rng.normal_row(n, c == 2 ? 0.0f : 1.0f);  // one zero column
                plinth::quant::quantize_row(act_type, x.data(), a.data() + size_t(c) * a_stride, n);
                column_terms(type, n, a.data() + size_t(c) * a_stride, terms + size_t(c) * t_stride);
            }
            for (const std::string& level : levels) {
                REQUIRE(set_dispatch_for_testing(level.c_str()));
                for (int64_t cols : {1, 2, 3, 4, 5, 8, 9, 17}) {
                    for (int64_t row0 : {int64_t(0), int64_t(16)}) {
                        const int64_t take = rows - row0, out_stride = take + 5;
                        std::vector<float> got(size_t(out_stride * cols), -1.0f), want(size_t(out_stride * cols), -1.0f);
                        gemm_interleaved(type, n, packed.get(), row0, take, cols, a.data(), a_stride, terms, t_stride,
                                         got.data(), out_stride);
                        gemm(type, take, n, w.data() + size_t(row0) * w_stride, w_stride, cols, a.data(), a_stride,
                             want.data(), out_stride, order);
                        INFO(level << " " << type_name(type) << " n=" << n << " rows " << row0 << ".." << rows << " cols=" << cols);
                        CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
                    }
                }
            }
        }
    }
    REQUIRE(set_dispatch_for_testing("auto"));
}

TEST_CASE("interleaved: only the shapes it has a layout for", "[quant][interleaved]") {
    CHECK_FALSE(interleavable(PLINTH_TYPE_Q4_0, 8, 64));     // rows not a multiple of 16
    CHECK_FALSE(interleavable(PLINTH_TYPE_Q4_0, 16, 48));    // not whole blocks
    CHECK_FALSE(interleavable(PLINTH_TYPE_Q5_0, 16, 64));    // no layout for the type
    CHECK_FALSE(interleavable(PLINTH_TYPE_Q6_K, 16, 128));   // not whole super-blocks
    CHECK_FALSE(interleavable(PLINTH_TYPE_Q3_K, 16, 256));   // no layout for the type
    CHECK(interleavable(PLINTH_TYPE_Q4_0, 32, 64));
    CHECK(interleavable(PLINTH_TYPE_Q6_K, 32, 512));
    CHECK_THROWS_AS(interleaved_bytes(PLINTH_TYPE_Q4_0, 8, 64), std::invalid_argument);
    std::vector<uint8_t> dummy(4096);
    std::vector<float> out(64);
    CHECK_THROWS_AS(gemm_interleaved(PLINTH_TYPE_Q4_0, 64, dummy.data(), 8, 16, 1, dummy.data(), 64, dummy.data(), 64,
                                     out.data(), 16),
                    std::invalid_argument);  // a row range that does not start at a group
}
