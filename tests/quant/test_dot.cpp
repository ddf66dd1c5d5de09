// Dot products: every SIMD level against the scalar reference, the reference against the
// dequantized float dot, and matvec against dot. Each test runs at every level this CPU has.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <plinth/weight_formats.hpp>
#include <plinth/weight_formats/block_layouts.hpp>
#include <plinth/weight_formats/half.hpp>

#include "cpu_kernels.hpp"
#include "quant_test_util.hpp"

using namespace plinth::weight_formats;
using namespace plinth::weight_formats::test;
using namespace plinth::quant;

namespace {

// The dispatch levels this CPU runs; leaves the best one active again when done.
struct EachLevel {
    std::vector<std::string> levels;
    EachLevel() {
        for (const char* l : {"scalar", "avx2", "avx512", "neon"}) {
            if (set_dispatch_for_testing(l)) levels.emplace_back(l);
            else WARN("dispatch level " << l << " not available here: not tested");
        }
        set_dispatch_for_testing("auto");
    }
    ~EachLevel() { set_dispatch_for_testing("auto"); }
};

std::vector<int64_t> lengths_for(uint32_t type) {
    switch (block_size(type)) {
    case 1: return {1, 7, 8, 15, 16, 17, 31, 32, 33, 100, 4096, 4099};
    case 32: return {32, 64, 96, 160, 4096};
    default: return {256, 512, 768, 4096};
    }
}

struct Row {
    std::vector<uint8_t> bytes;
    std::vector<float> values;  // dequantized
};
Row quantized(uint32_t type, const std::vector<float>& x) {
    Row r{std::vector<uint8_t>(row_bytes(type, int64_t(x.size()))), std::vector<float>(x.size())};
    plinth::quant::quantize_row(type, x.data(), r.bytes.data(), int64_t(x.size()));  // the active level's
    dequantize_row(type, r.bytes.data(), r.values.data(), int64_t(x.size()));
    return r;
}

// sum |w_i a_i| of the dequantized rows: the scale float-rounding tolerances are relative to.
double magnitude(const Row& w, const Row& a) {
    double s = 0;
    for (size_t i = 0; i < w.values.size(); ++i) s += std::fabs(double(w.values[i]) * double(a.values[i]));
    return s;
}

// ---- raw blocks with unit scales ----------------------------------------------------------------
// Random bytes for every code and sub-block scale (the full range, including -128 weights), but
// every float scale 1: all products and sums are then small integers, exact in float in any order,
// so a kernel that gets an integer part wrong by one cannot hide in the rounding tolerance.

constexpr uint16_t kOne = 0x3C00;  // 1.0 in f16

std::vector<uint8_t> raw_weights(uint32_t type, int64_t n, Rng& rng) {
    std::vector<uint8_t> row(row_bytes(type, n));
    for (uint8_t& b : row) b = uint8_t(rng.next());
    const int64_t nb = n / block_size(type);
    auto each = [&](auto* blocks, auto fix) {
        for (int64_t b = 0; b < nb; ++b) fix(blocks[b]);
    };
    switch (type) {
    case PLINTH_TYPE_Q4_0: each(reinterpret_cast<BlockQ4_0*>(row.data()), [](auto& b) { b.d = kOne; }); break;
    case PLINTH_TYPE_Q5_0: each(reinterpret_cast<BlockQ5_0*>(row.data()), [](auto& b) { b.d = kOne; }); break;
    case PLINTH_TYPE_Q8_0: each(reinterpret_cast<BlockQ8_0*>(row.data()), [](auto& b) { b.d = kOne; }); break;
    case PLINTH_TYPE_Q8_1: each(reinterpret_cast<BlockQ8_1*>(row.data()), [](auto& b) { b.d = kOne; b.s = kOne; }); break;
    case PLINTH_TYPE_Q4_1: each(reinterpret_cast<BlockQ4_1*>(row.data()), [](auto& b) { b.d = kOne; b.m = kOne; }); break;
    case PLINTH_TYPE_Q5_1: each(reinterpret_cast<BlockQ5_1*>(row.data()), [](auto& b) { b.d = kOne; b.m = kOne; }); break;
    case PLINTH_TYPE_Q2_K: each(reinterpret_cast<BlockQ2_K*>(row.data()), [](auto& b) { b.d = b.dmin = kOne; }); break;
    case PLINTH_TYPE_Q3_K: each(reinterpret_cast<BlockQ3_K*>(row.data()), [](auto& b) { b.d = kOne; }); break;
    case PLINTH_TYPE_Q4_K: each(reinterpret_cast<BlockQ4_K*>(row.data()), [](auto& b) { b.d = b.dmin = kOne; }); break;
    case PLINTH_TYPE_Q5_K: each(reinterpret_cast<BlockQ5_K*>(row.data()), [](auto& b) { b.d = b.dmin = kOne; }); break;
    case PLINTH_TYPE_Q6_K: each(reinterpret_cast<BlockQ6_K*>(row.data()), [](auto& b) { b.d = kOne; }); break;
    case PLINTH_TYPE_Q8_K:
        each(reinterpret_cast<BlockQ8_K*>(row.data()), [](auto& b) { b.d = 1.0f; });
        break;
    default: break;
    }
    return row;
}

// Activation codes in -127..127 (what our quantizers produce), consistent sums, unit scales.
std::vector<uint8_t> raw_activations(uint32_t type, int64_t n, Rng& rng) {
    std::vector<uint8_t> row(row_bytes(type, n));
    if (type == PLINTH_TYPE_Q8_K) {
        auto* blocks = reinterpret_cast<BlockQ8_K*>(row.data());
        for (int64_t b = 0; b < n / 256; ++b) {
            blocks[b].d = 1.0f;
            for (int j = 0; j < 16; ++j) {
                int sum = 0;
                for (int i = 16 * j; i < 16 * (j + 1); ++i) sum += blocks[b].qs[i] = int8_t(rng.range(-127, 127));
                blocks[b].bsums[j] = int16_t(sum);
            }
        }
    } else if (type == PLINTH_TYPE_Q8_1) {
        auto* blocks = reinterpret_cast<BlockQ8_1*>(row.data());
        for (int64_t b = 0; b < n / 32; ++b) {
            int sum = 0;
            for (int8_t& q : blocks[b].qs) sum += q = int8_t(rng.range(-127, 127));
            blocks[b].d = kOne;
            blocks[b].s = fp32_to_fp16(float(sum));  // exact below 2048; the expectation reads it back
        }
    } else {
        auto* blocks = reinterpret_cast<BlockQ8_0*>(row.data());
        for (int64_t b = 0; b < n / 32; ++b) {
            for (int8_t& q : blocks[b].qs) q = int8_t(rng.range(-127, 127));
            blocks[b].d = kOne;
        }
    }
    return row;
}

const std::vector<uint32_t>& block_types() {
    static const std::vector<uint32_t> types = {PLINTH_TYPE_Q4_0, PLINTH_TYPE_Q4_1, PLINTH_TYPE_Q5_0, PLINTH_TYPE_Q5_1,
                                                PLINTH_TYPE_Q8_0, PLINTH_TYPE_Q8_1, PLINTH_TYPE_Q2_K, PLINTH_TYPE_Q3_K,
                                                PLINTH_TYPE_Q4_K, PLINTH_TYPE_Q5_K, PLINTH_TYPE_Q6_K, PLINTH_TYPE_Q8_K};
    return types;
}

}  // namespace

TEST_CASE("dispatch: levels can be forced and named", "[quant][dot]") {
    const std::string best = dispatch_name();
    EachLevel each;
    REQUIRE(!each.levels.empty());
    CHECK(each.levels.front() == "scalar");
    CHECK(best == each.levels.back());
    for (const std::string& l : each.levels) {
        REQUIRE(set_dispatch_for_testing(l.c_str()));
        CHECK(dispatch_name() == l);
    }
    CHECK_FALSE(set_dispatch_for_testing("sse9"));
    REQUIRE(set_dispatch_for_testing("auto"));
    CHECK(dispatch_name() == each.levels.back());
    // A level of the other architecture is refused, leaving the active one as it was.
    CHECK_FALSE(set_dispatch_for_testing(best == "neon" ? "avx2" : "neon"));
    CHECK(dispatch_name() == each.levels.back());
}

TEST_CASE("the kernels refuse bad types and lengths as the formats do", "[quant][dot]") {
    float f[512] = {}, out[4] = {};
    uint8_t q[1024] = {};
    CHECK_THROWS_AS(dot(PLINTH_TYPE_Q5_0, 31, q, q), std::invalid_argument);
    CHECK_THROWS_AS(dot(PLINTH_TYPE_IQ2_XXS, 256, q, q), std::invalid_argument);
    CHECK_THROWS_AS(matvec(PLINTH_TYPE_Q4_K, 1, 128, q, 144, q, out), std::invalid_argument);
    CHECK_THROWS_AS(gemm(PLINTH_TYPE_Q8_0, 1, 33, q, 34, 1, q, 34, out, 1), std::invalid_argument);
    CHECK_THROWS_AS(plinth::quant::quantize_row(PLINTH_TYPE_Q8_K, f, q, 255), std::invalid_argument);
    CHECK_THROWS_WITH(dot(PLINTH_TYPE_Q5_0, 31, q, q), Catch::Contains("dot") && Catch::Contains("31") && Catch::Contains("Q5_0"));
}

TEST_CASE("quantize_row: the SIMD activation quantizers write the reference's bytes", "[quant][dot]") {
    EachLevel each;
    Rng rng(11);
    // Random rows at several scales, plus the corners: exact halves (ties, with max |x| = 127 the
    // scale is 1), zero blocks, -0, a scale beyond f16's range, scales in f16's subnormals.
    std::vector<std::vector<float>> rows;
    for (float scale : {1.0f, 1e-3f, 1e3f}) rows.push_back(rng.normal_row(4096, scale));
    std::vector<float> corners(1024, 0.0f);
    for (int i = 0; i < 256; ++i) corners[size_t(i)] = (i == 0 ? 127.0f : float(rng.range(-126, 126)) + 0.5f);
    corners[300] = -0.0f;
    for (int i = 512; i < 768; ++i) corners[size_t(i)] = 1e7f * rng.normal();
    for (int i = 768; i < 1024; ++i) corners[size_t(i)] = 1e-6f * rng.normal();
    rows.push_back(corners);
    for (uint32_t type : {PLINTH_TYPE_F16, PLINTH_TYPE_Q8_0, PLINTH_TYPE_Q8_1, PLINTH_TYPE_Q8_K}) {
        for (const std::vector<float>& x : rows) {
            std::vector<uint8_t> want(row_bytes(type, int64_t(x.size())));
            plinth::weight_formats::quantize_row(type, x.data(), want.data(), int64_t(x.size()));
            for (const std::string& l : each.levels) {
                set_dispatch_for_testing(l.c_str());
                INFO(type_name(type) << " level " << l);
                CHECK(quantized(type, x).bytes == want);
            }
        }
    }
}

TEST_CASE("dot: integer parts exact on raw blocks with unit scales", "[quant][dot]") {
    EachLevel each;
    Rng rng(2024);
    for (uint32_t type : block_types()) {
        // At most 15 32-blocks (|sum| < 15 * 32 * 128 * 127 < 2^24) or 3 super-blocks (each super-block's
        // integers are converted once, the same way on every path).
        const std::vector<int64_t> lengths =
            block_size(type) == 32 ? std::vector<int64_t>{32, 64, 96, 160, 480} : std::vector<int64_t>{256, 512, 768};
        for (int64_t n : lengths) {
            const std::vector<uint8_t> w = raw_weights(type, n, rng);
            const std::vector<uint8_t> a = raw_activations(activation_type(type), n, rng);
            const float ref = dot_reference(type, n, w.data(), a.data());
            // The reference itself against the dequantized rows, in exact (integer-valued) double.
            std::vector<float> wd(size_t(n), 0.0f), ad(size_t(n), 0.0f);
            dequantize_row(type, w.data(), wd.data(), n);
            dequantize_row(activation_type(type), a.data(), ad.data(), n);
            double expect = 0;
            for (int64_t i = 0; i < n; ++i) expect += double(wd[size_t(i)]) * double(ad[size_t(i)]);
            if (type == PLINTH_TYPE_Q4_1 || type == PLINTH_TYPE_Q5_1) {
                // The offset meets Q8_1's stored s = sum(a) (exact here) rather than the codes.
                expect = 0;
                for (int64_t i = 0; i < n; ++i) expect += double(wd[size_t(i)] - 1.0f) * double(ad[size_t(i)]);
                for (int64_t b = 0; b < n / 32; ++b)
                    expect += fp16_to_fp32(reinterpret_cast<const BlockQ8_1*>(a.data())[b].s);
            }
            INFO(type_name(type) << " n=" << n);
            CHECK(double(ref) == expect);
            for (const std::string& l : each.levels) {
                set_dispatch_for_testing(l.c_str());
                INFO("level " << l);
                CHECK(dot(type, n, w.data(), a.data()) == ref);
            }
        }
    }
}

TEST_CASE("dot: SIMD levels match the reference on quantized random rows", "[quant][dot]") {
    EachLevel each;
    Rng rng(77);
    for (uint32_t type : supported_types()) {
        for (int64_t n : lengths_for(type)) {
            const Row w = quantized(type, rng.normal_row(n));
            const Row a = quantized(activation_type(type), rng.normal_row(n));
            const float ref = dot_reference(type, n, w.bytes.data(), a.bytes.data());
            const double tol = 1e-5 * magnitude(w, a);  // float summation order only (measured <= 4e-8)
            for (const std::string& l : each.levels) {
                set_dispatch_for_testing(l.c_str());
                INFO(type_name(type) << " n=" << n << " level " << l);
                CHECK(std::fabs(dot(type, n, w.bytes.data(), a.bytes.data()) - ref) <= tol);
            }
        }
    }
}

TEST_CASE("dot: K-quants are bit-identical to the reference at every level", "[quant][dot]") {
    // Every kernel sums a super-block's integers exactly and shares the float side
    // (kquant_term / kquant_term_min), so the levels agree exactly, not within a tolerance.
    EachLevel each;
    Rng rng(31);
    for (uint32_t type : {PLINTH_TYPE_Q2_K, PLINTH_TYPE_Q3_K, PLINTH_TYPE_Q4_K, PLINTH_TYPE_Q5_K, PLINTH_TYPE_Q6_K,
                          PLINTH_TYPE_Q8_K}) {
        for (int64_t n : {256, 512, 2048, 5632}) {
            const Row w = quantized(type, rng.normal_row(n));
            const Row a = quantized(PLINTH_TYPE_Q8_K, rng.normal_row(n));
            const float ref = dot_reference(type, n, w.bytes.data(), a.bytes.data());
            for (const std::string& l : each.levels) {
                set_dispatch_for_testing(l.c_str());
                INFO(type_name(type) << " n=" << n << " level " << l);
                CHECK(dot(type, n, w.bytes.data(), a.bytes.data()) == ref);
            }
        }
    }
}

TEST_CASE("dot: the symmetric 32-blocks sum in both documented orders, bit for bit at every level", "[quant][dot]") {
    // sum_order (weight_formats.hpp) is part of the result, so here it is held exactly: the reference
    // against the documented formula written out below, and every level against the reference.
    // Lengths cover whole groups of 8 blocks (the SIMD kernels' step), and tails of 1..7 blocks.
    EachLevel each;
    Rng rng(5);
    for (uint32_t type : {PLINTH_TYPE_Q4_0, PLINTH_TYPE_Q5_0, PLINTH_TYPE_Q8_0}) {
        for (int64_t n : {32, 64, 96, 160, 224, 256, 288, 480, 4096, 4192}) {
            const Row w = quantized(type, rng.normal_row(n));
            const Row a = quantized(PLINTH_TYPE_Q8_0, rng.normal_row(n));
            const auto* wb = w.bytes.data();
            const auto* ab = reinterpret_cast<const BlockQ8_0*>(a.bytes.data());
            const size_t block_bytes = row_bytes(type, 32);
            // Every symmetric block starts with its f16 scale d: codes are value / d (exact).
            auto scale = [&](int64_t b) {
                uint16_t h;
                std::memcpy(&h, wb + size_t(b) * block_bytes, 2);
                return fp16_to_fp32(h);
            };
            auto code = [&](int64_t i) { return int(std::lround(w.values[size_t(i)] / scale(i / 32))); };
            float lanes[8] = {}, chain = 0.0f;
            for (int64_t b = 0; b < n / 32; ++b) {
                const float d = scale(b) * fp16_to_fp32(ab[b].d);
                int block = 0;
                for (int k = 0; k < 8; ++k) {
                    int part = 0;
                    for (int64_t i = 32 * b + 4 * k; i < 32 * b + 4 * k + 4; ++i) part += code(i) * ab[b].qs[i - 32 * b];
                    lanes[k] = std::fma(d, float(part), lanes[k]);
                    block += part;
                }
                chain = std::fma(float(block), d, chain);
            }
            const float by_lanes = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
            INFO(type_name(type) << " n=" << n);
            CHECK(dot_reference(type, n, w.bytes.data(), a.bytes.data(), sum_order::lanes) == by_lanes);
            CHECK(dot_reference(type, n, w.bytes.data(), a.bytes.data(), sum_order::blocks) == chain);
            for (const std::string& l : each.levels) {
                set_dispatch_for_testing(l.c_str());
                INFO("level " << l);
                CHECK(dot(type, n, w.bytes.data(), a.bytes.data(), sum_order::lanes) == by_lanes);
                CHECK(dot(type, n, w.bytes.data(), a.bytes.data(), sum_order::blocks) == chain);
                std::vector<float> out(1);
                matvec(type, 1, n, w.bytes.data(), w.bytes.size(), a.bytes.data(), out.data(), sum_order::blocks);
                CHECK(out[0] == chain);
            }
        }
    }
    // Types with a single order ignore the argument.
    const Row w = quantized(PLINTH_TYPE_Q4_K, rng.normal_row(256));
    const Row a = quantized(PLINTH_TYPE_Q8_K, rng.normal_row(256));
    CHECK(dot(PLINTH_TYPE_Q4_K, 256, w.bytes.data(), a.bytes.data(), sum_order::blocks) ==
          dot(PLINTH_TYPE_Q4_K, 256, w.bytes.data(), a.bytes.data()));
}

TEST_CASE("dot: the integer dot equals the dequantized float dot", "[quant][dot]") {
    // dot_reference(w, a) against sum_i dequant(w)_i * dequant(a)_i in double, relative to
    // sum |w_i a_i|: 1e-5 for float rounding; Q4_1 / Q5_1 meet the activation's f16-rounded block sum
    // s instead of its codes, which costs up to 2^-11 of the offset term: 1e-3 there.
    Rng rng(31);
    for (uint32_t type : supported_types()) {
        for (int64_t n : lengths_for(type)) {
            const Row w = quantized(type, rng.normal_row(n));
            const Row a = quantized(activation_type(type), rng.normal_row(n));
            double expect = 0;
            for (int64_t i = 0; i < n; ++i) expect += double(w.values[size_t(i)]) * double(a.values[size_t(i)]);
            const bool offset_type = type == PLINTH_TYPE_Q4_1 || type == PLINTH_TYPE_Q5_1;
            INFO(type_name(type) << " n=" << n);
            CHECK(std::fabs(dot_reference(type, n, w.bytes.data(), a.bytes.data()) - expect) <=
                  (offset_type ? 1e-3 : 1e-5) * magnitude(w, a));
        }
    }
}

TEST_CASE("dot: quantized dot against the exact f32 dot", "[quant][dot]") {
    // The end-to-end error of quantizing both sides, relative to sqrt(sum w^2 * sum a^2), on N(0,1)
    // rows of 4096.
    Rng rng(8);
    const int64_t n = 4096;
    for (uint32_t type : supported_types()) {
        double worst = 0;
        for (int r = 0; r < 8; ++r) {
            const std::vector<float> x = rng.normal_row(n), y = rng.normal_row(n);
            const Row w = quantized(type, x), a = quantized(activation_type(type), y);
            double exact = 0, xx = 0, yy = 0;
            for (int64_t i = 0; i < n; ++i) {
                exact += double(x[size_t(i)]) * y[size_t(i)];
                xx += double(x[size_t(i)]) * x[size_t(i)];
                yy += double(y[size_t(i)]) * y[size_t(i)];
            }
            worst = std::max(worst, std::fabs(dot(type, n, w.bytes.data(), a.bytes.data()) - exact) / std::sqrt(xx * yy));
        }
        INFO(type_name(type) << " worst relative error " << worst);
        // Independent errors of relative RMS r_w, r_a on each side give a dot error of about
        // (r_w + r_a) / sqrt(n) relative to |x| |y|; 4x covers the spread of 8 samples.
        const double bound = 4.0 * (rms_bound(type) + rms_bound(activation_type(type))) / std::sqrt(double(n)) + 1e-6;
        CHECK(worst <= bound);
    }
}

TEST_CASE("matvec: every row equals dot, odd row counts and padded strides", "[quant][dot]") {
    EachLevel each;
    Rng rng(3);
    for (uint32_t type : supported_types()) {
        const int64_t n = block_size(type) == 256 ? 512 : 96;
        const size_t stride = row_bytes(type, n) + 16;  // rows need not be packed (but stay aligned)
        for (int64_t rows : {1, 3, 7, 33}) {
            std::vector<uint8_t> w(stride * size_t(rows));
            for (int64_t r = 0; r < rows; ++r) {
                const Row row = quantized(type, rng.normal_row(n));
                std::memcpy(w.data() + size_t(r) * stride, row.bytes.data(), row.bytes.size());
            }
            const Row a = quantized(activation_type(type), rng.normal_row(n));
            for (const std::string& l : each.levels) {
                set_dispatch_for_testing(l.c_str());
                INFO(type_name(type) << " rows=" << rows << " level " << l);
                std::vector<float> out(size_t(rows) + 1, -1234.0f);
                matvec(type, rows, n, w.data(), stride, a.bytes.data(), out.data());
                for (int64_t r = 0; r < rows; ++r)
                    REQUIRE(out[size_t(r)] == dot(type, n, w.data() + size_t(r) * stride, a.bytes.data()));
                CHECK(out[size_t(rows)] == -1234.0f);  // nothing written past the last row
            }
        }
    }
}
