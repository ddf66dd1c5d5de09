// quant::gemm (many activation columns at once) against matvec column by column: bit for bit, for
// every type, both sum orders, every dispatch level this CPU runs, and shapes whose row count is
// not a multiple of any tile, 1..9 columns and counts around the 16-column groups (the AVX-512
// 32-block kernels take whole groups, and groups of 4 .. 15, in lanes; fewer go column by column;
// the AVX2 blocks-order panel takes groups of 8, and 3 .. 7), and several blocks per row (67: more
// than one pass of the panels over a row; the VBMI Q4_0 row kernel takes 16 blocks at a time and a
// last 8 by itself: 8, 24 and 67 = 4 x 16 + 3 reach each of its paths).
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <plinth/weight_formats.hpp>

#include "cpu_kernels.hpp"
#include "quant_test_util.hpp"

using namespace plinth::weight_formats;
using namespace plinth::weight_formats::test;
using namespace plinth::quant;

namespace {

int64_t block_elems(uint32_t type) {
    switch (type) {
    case PLINTH_TYPE_F32: case PLINTH_TYPE_F16: case PLINTH_TYPE_BF16: return 1;
    case PLINTH_TYPE_Q2_K: case PLINTH_TYPE_Q3_K: case PLINTH_TYPE_Q4_K: case PLINTH_TYPE_Q5_K:
    case PLINTH_TYPE_Q6_K: case PLINTH_TYPE_Q8_K: return 256;
    default: return 32;
    }
}

}  // namespace

TEST_CASE("gemm: bit-identical to matvec column by column", "[quant][gemm]") {
    std::vector<std::string> levels;
    for (const char* l : {"scalar", "avx2", "avx512", "neon"}) {
        if (set_dispatch_for_testing(l)) levels.emplace_back(l);
        else WARN("dispatch level " << l << " not available here: not tested");
    }
    Rng rng(77);
    for (const std::string& level : levels) {
        REQUIRE(set_dispatch_for_testing(level.c_str()));
        for (uint32_t type : supported_types()) {
            const uint32_t act_type = activation_type(type);
            const int64_t bs = block_elems(type);
            for (int64_t blocks : {int64_t(1), int64_t(3), int64_t(8), int64_t(11), int64_t(17), int64_t(24), int64_t(67)}) {
                if (bs == 1 && blocks > 3) continue;
                if ((blocks == 24 || blocks == 67) && bs != 32) continue;
                const int64_t n = bs == 1 ? 32 * blocks + 5 : bs * blocks;
                for (int64_t rows : {int64_t(1), int64_t(2), int64_t(7), int64_t(13)}) {  // groups of 4 and each remainder
                    // Weight rows with some padding between them; columns likewise.
                    const size_t w_stride = row_bytes(type, n) + 64;
                    std::vector<uint8_t> w(w_stride * size_t(rows));
                    for (int64_t r = 0; r < rows; ++r)
                        plinth::weight_formats::quantize_row(type, rng.normal_row(n).data(), w.data() + size_t(r) * w_stride,
                                                             n);
                    const int64_t max_cols = 35;
                    const size_t a_stride = row_bytes(act_type, n) + 32;
                    std::vector<uint8_t> a(a_stride * size_t(max_cols));
                    for (int64_t c = 0; c < max_cols; ++c) {
                        const std::vector<float> x = rng.normal_row(n, c == 3 ? 0.0f : 1.0f);  // one zero column
                        if (act_type == PLINTH_TYPE_F32) std::memcpy(a.data() + size_t(c) * a_stride, x.data(), size_t(n) * 4);
                        else plinth::quant::quantize_row(act_type, x.data(), a.data() + size_t(c) * a_stride, n);
                    }
                    for (sum_order order : {sum_order::lanes, sum_order::blocks}) {
                        for (int64_t cols : {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 17, 19, 20, 24, 35}) {
                            const int64_t out_stride = rows + 3;
                            std::vector<float> got(size_t(out_stride * cols), -1.0f);
                            std::vector<float> want(static_cast<size_t>(rows));
                            gemm(type, rows, n, w.data(), w_stride, cols, a.data(), a_stride, got.data(), out_stride, order);
                            for (int64_t c = 0; c < cols; ++c) {
                                matvec(type, rows, n, w.data(), w_stride, a.data() + size_t(c) * a_stride, want.data(), order);
                                INFO(level << " " << type_name(type) << " n=" << n << " rows=" << rows << " cols=" << cols
                                           << " col=" << c << (order == sum_order::blocks ? " blocks" : " lanes"));
                                CHECK(std::memcmp(got.data() + c * out_stride, want.data(), size_t(rows) * 4) == 0);
                                // The padding between columns is left alone.
                                for (int64_t r = rows; r < out_stride && c + 1 < cols; ++r) CHECK(got[size_t(c * out_stride + r)] == -1.0f);
                            }
                        }
                    }
                }
            }
        }
    }
    set_dispatch_for_testing("auto");
}

TEST_CASE("gemm: empty rows give zeros, no rows or columns write nothing", "[quant][gemm]") {
    for (const char* level : {"scalar", "avx2", "avx512", "neon"}) {
        if (!set_dispatch_for_testing(level)) continue;
        for (uint32_t type : {PLINTH_TYPE_Q4_0, PLINTH_TYPE_Q8_0, PLINTH_TYPE_Q4_K, PLINTH_TYPE_Q6_K}) {
            for (sum_order order : {sum_order::lanes, sum_order::blocks}) {
                INFO(level << " " << type_name(type));
                const uint8_t none[1] = {0};
                std::vector<float> out(3 * 20, -1.0f);
                gemm(type, 3, 0, none, 0, 20, none, 0, out.data(), 3, order);
                for (float v : out) CHECK(v == 0.0f);
                std::vector<float> untouched(4, -1.0f);
                gemm(type, 0, 0, none, 0, 20, none, 0, untouched.data(), 0, order);
                gemm(type, 2, 0, none, 0, 0, none, 0, untouched.data(), 2, order);
                for (float v : untouched) CHECK(v == -1.0f);
            }
        }
    }
    set_dispatch_for_testing("auto");
}

// A kernel may keep what it made of the last columns it saw (the VBMI Q4_0 row kernel does, for
// decoding's tiles, and the panel driver for a batch that fits one panel): columns rewritten in
// place between calls must give the new columns' sums.
TEST_CASE("gemm: a column rewritten in place between calls gives the new column's result", "[quant][gemm]") {
    Rng rng(5);
    for (const char* level : {"scalar", "avx2", "avx512", "neon"}) {
        if (!set_dispatch_for_testing(level)) continue;
        for (uint32_t type : {PLINTH_TYPE_Q4_0, PLINTH_TYPE_Q8_0, PLINTH_TYPE_Q4_K, PLINTH_TYPE_Q6_K}) {
            const int64_t n = block_elems(type) * 24, rows = 8;
            const uint32_t act_type = activation_type(type);
            const size_t w_stride = row_bytes(type, n), a_bytes = row_bytes(act_type, n);
            std::vector<uint8_t> w(w_stride * rows);
            for (int64_t r = 0; r < rows; ++r)
                plinth::weight_formats::quantize_row(type, rng.normal_row(n).data(), w.data() + size_t(r) * w_stride, n);
            // one column (the row kernels), and batches of one panel (the panel kernels)
            for (int64_t cols : {1, 4, 8, 16}) {
                std::vector<uint8_t> a(a_bytes * size_t(cols));
                for (sum_order order : {sum_order::lanes, sum_order::blocks}) {
                    for (int round = 0; round < 4; ++round) {
                        INFO(level << " " << type_name(type) << " " << cols << " columns, round " << round);
                        // new columns, the same again, then the last column's last byte changed, then the first's
                        if (round == 0)
                            for (int64_t c = 0; c < cols; ++c)
                                plinth::quant::quantize_row(act_type, rng.normal_row(n).data(), a.data() + size_t(c) * a_bytes, n);
                        if (round == 2) a[a.size() - 1] ^= 1;
                        if (round == 3) a[a_bytes - 1] ^= 1;
                        std::vector<float> got(size_t(rows * cols)), want(size_t(rows * cols));
                        gemm(type, rows, n, w.data(), w_stride, cols, a.data(), a_bytes, got.data(), rows, order);
                        for (int64_t c = 0; c < cols; ++c)
                            matvec(type, rows, n, w.data(), w_stride, a.data() + size_t(c) * a_bytes, want.data() + c * rows, order);
                        CHECK(std::memcmp(got.data(), want.data(), got.size() * 4) == 0);
                    }
                }
            }
        }
    }
    set_dispatch_for_testing("auto");
}
