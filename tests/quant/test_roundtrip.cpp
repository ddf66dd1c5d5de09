// The type table, and quantize -> dequantize round trips with the error bounds each format holds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

#include <plinth/weight_formats.hpp>
#include <plinth/weight_formats/block_layouts.hpp>
#include <plinth/weight_formats/half.hpp>

#include "quant_test_util.hpp"

using namespace plinth::weight_formats;
using namespace plinth::weight_formats::test;

namespace {

std::vector<uint8_t> quantize(uint32_t type, const std::vector<float>& x) {
    std::vector<uint8_t> q(row_bytes(type, int64_t(x.size())));
    quantize_row(type, x.data(), q.data(), int64_t(x.size()));
    return q;
}

std::vector<float> round_trip(uint32_t type, const std::vector<float>& x) {
    std::vector<float> y(x.size());
    dequantize_row(type, quantize(type, x).data(), y.data(), int64_t(x.size()));
    return y;
}

double relative_rms(const std::vector<float>& x, const std::vector<float>& y) {
    double err = 0, ref = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        err += double(x[i] - y[i]) * double(x[i] - y[i]);
        ref += double(x[i]) * double(x[i]);
    }
    return std::sqrt(err / ref);
}

template <class Block>
const Block* blocks(const std::vector<uint8_t>& q) { return reinterpret_cast<const Block*>(q.data()); }

}  // namespace

TEST_CASE("type table: supported types, block sizes, row bytes", "[quant]") {
    for (uint32_t t = 0; t < 64; ++t) {
        const bool listed = std::find(supported_types().begin(), supported_types().end(), t) != supported_types().end();
        CHECK(is_supported(t) == listed);
    }
    // The structs are the sizes weight_types.h gives.
    const std::pair<uint32_t, size_t> sizes[] = {
        {PLINTH_TYPE_Q4_0, sizeof(BlockQ4_0)}, {PLINTH_TYPE_Q4_1, sizeof(BlockQ4_1)}, {PLINTH_TYPE_Q5_0, sizeof(BlockQ5_0)},
        {PLINTH_TYPE_Q5_1, sizeof(BlockQ5_1)}, {PLINTH_TYPE_Q8_0, sizeof(BlockQ8_0)}, {PLINTH_TYPE_Q8_1, sizeof(BlockQ8_1)},
        {PLINTH_TYPE_Q2_K, sizeof(BlockQ2_K)}, {PLINTH_TYPE_Q3_K, sizeof(BlockQ3_K)}, {PLINTH_TYPE_Q4_K, sizeof(BlockQ4_K)},
        {PLINTH_TYPE_Q5_K, sizeof(BlockQ5_K)}, {PLINTH_TYPE_Q6_K, sizeof(BlockQ6_K)}, {PLINTH_TYPE_Q8_K, sizeof(BlockQ8_K)}};
    for (auto [type, size] : sizes) {
        INFO(type_name(type));
        CHECK(size == plinth_weight_type_info(type).block_bytes);
        CHECK(row_bytes(type, 0) == 0);
        CHECK(row_bytes(type, 3 * block_size(type)) == 3 * size);
    }
    CHECK(row_bytes(PLINTH_TYPE_F32, 7) == 28);
    CHECK(row_bytes(PLINTH_TYPE_F16, 7) == 14);
    CHECK(row_bytes(PLINTH_TYPE_BF16, 7) == 14);
}

TEST_CASE("bad types and lengths are refused", "[quant]") {
    float f[512] = {};
    uint8_t q[1024] = {};
    CHECK_THROWS_AS(row_bytes(PLINTH_TYPE_Q4_0, 48), std::invalid_argument);
    CHECK_THROWS_AS(row_bytes(PLINTH_TYPE_Q4_K, 128), std::invalid_argument);
    CHECK_THROWS_AS(row_bytes(PLINTH_TYPE_F32, -1), std::invalid_argument);
    CHECK_THROWS_AS(row_bytes(PLINTH_TYPE_IQ2_XXS, 256), std::invalid_argument);
    CHECK_THROWS_AS(row_bytes(99, 32), std::invalid_argument);
    CHECK_THROWS_AS(quantize_row(PLINTH_TYPE_Q8_0, f, q, 33), std::invalid_argument);
    CHECK_THROWS_AS(dequantize_row(PLINTH_TYPE_Q6_K, q, f, 255), std::invalid_argument);
    CHECK_THROWS_AS(dequantize_row(PLINTH_TYPE_MXFP4, q, f, 32), std::invalid_argument);
    CHECK_THROWS_AS(dot_reference(PLINTH_TYPE_I8, 32, q, q), std::invalid_argument);
    CHECK_THROWS_AS(activation_type(PLINTH_TYPE_IQ4_NL), std::invalid_argument);
    CHECK_THROWS_WITH(row_bytes(PLINTH_TYPE_Q4_0, 48), Catch::Contains("48") && Catch::Contains("Q4_0"));
}

TEST_CASE("reference_dot_kernel is dot_reference per type and order, null where there is none", "[quant]") {
    Rng rng(5);
    for (uint32_t type : supported_types()) {
        INFO(type_name(type));
        const int64_t n = 2 * block_size(type) * (block_size(type) == 1 ? 32 : 1);
        std::vector<uint8_t> w(row_bytes(type, n)), a(row_bytes(activation_type(type), n));
        quantize_row(type, rng.normal_row(n).data(), w.data(), n);
        quantize_row(activation_type(type), rng.normal_row(n).data(), a.data(), n);
        const dot_kernel lanes = reference_dot_kernel(type, sum_order::lanes);
        REQUIRE(lanes != nullptr);
        CHECK(lanes(n, w.data(), a.data()) == dot_reference(type, n, w.data(), a.data()));
        const dot_kernel blocks = reference_dot_kernel(type, sum_order::blocks);
        const bool two_orders = type == PLINTH_TYPE_Q4_0 || type == PLINTH_TYPE_Q5_0 || type == PLINTH_TYPE_Q8_0;
        CHECK((blocks != nullptr) == two_orders);
        if (blocks) CHECK(blocks(n, w.data(), a.data()) == dot_reference(type, n, w.data(), a.data(), sum_order::blocks));
    }
    CHECK(reference_dot_kernel(PLINTH_TYPE_IQ2_XXS, sum_order::lanes) == nullptr);
    CHECK(reference_dot_kernel(PLINTH_TYPE_I32, sum_order::lanes) == nullptr);
    CHECK(reference_dot_kernel(PLINTH_TYPE_COUNT_ + 7, sum_order::blocks) == nullptr);
}

TEST_CASE("activation types", "[quant]") {
    CHECK(activation_type(PLINTH_TYPE_F32) == PLINTH_TYPE_F32);
    CHECK(activation_type(PLINTH_TYPE_F16) == PLINTH_TYPE_F16);  // as the reference: F16 meets F16
    CHECK(activation_type(PLINTH_TYPE_BF16) == PLINTH_TYPE_F32);
    for (uint32_t t : {PLINTH_TYPE_Q4_0, PLINTH_TYPE_Q5_0, PLINTH_TYPE_Q8_0, PLINTH_TYPE_Q8_1})
        CHECK(activation_type(t) == PLINTH_TYPE_Q8_0);
    for (uint32_t t : {PLINTH_TYPE_Q4_1, PLINTH_TYPE_Q5_1}) CHECK(activation_type(t) == PLINTH_TYPE_Q8_1);
    for (uint32_t t : {PLINTH_TYPE_Q2_K, PLINTH_TYPE_Q3_K, PLINTH_TYPE_Q4_K, PLINTH_TYPE_Q5_K, PLINTH_TYPE_Q6_K,
                       PLINTH_TYPE_Q8_K})
        CHECK(activation_type(t) == PLINTH_TYPE_Q8_K);
}

TEST_CASE("round trip: relative RMS error on N(0,1) rows, at three scales", "[quant]") {
    for (uint32_t type : supported_types()) {
        for (float scale : {1.0f, 0.01f, 100.0f}) {
            Rng rng(1234);
            std::vector<float> x, y;
            for (int r = 0; r < 8; ++r) {
                const std::vector<float> row = rng.normal_row(4096, scale);
                const std::vector<float> back = round_trip(type, row);
                x.insert(x.end(), row.begin(), row.end());
                y.insert(y.end(), back.begin(), back.end());
            }
            INFO(type_name(type) << " at scale " << scale);
            CHECK(relative_rms(x, y) <= rms_bound(type));
        }
    }
}

TEST_CASE("round trip: per-block bounds of the 32-element formats and Q8_K", "[quant]") {
    Rng rng(99);
    const std::vector<float> x = rng.normal_row(4096);
    const int nb = 4096 / 32;
    constexpr double kSlack = 1.0 + 1e-6;  // the division x / d is rounded once in float

    // Q8_0 / Q8_1: the codes are the nearest for the f32 scale d = max|x| / 127 (the reference's
    // activation quantizer), the block stores d rounded to f16: |x - x'| <= d / 2 + 127 |d - d_f16|.
    // The codes never reach -128.
    for (uint32_t type : {PLINTH_TYPE_Q8_0, PLINTH_TYPE_Q8_1}) {
        INFO(type_name(type));
        const std::vector<uint8_t> q = quantize(type, x);
        const std::vector<float> y = round_trip(type, x);
        for (int b = 0; b < nb; ++b) {
            const float stored = type == PLINTH_TYPE_Q8_0 ? fp16_to_fp32(blocks<BlockQ8_0>(q)[b].d)
                                                          : fp16_to_fp32(blocks<BlockQ8_1>(q)[b].d);
            float amax = 0.0f;
            for (int i = 32 * b; i < 32 * (b + 1); ++i) amax = std::max(amax, std::fabs(x[i]));
            const float d = amax / 127.0f;
            REQUIRE(stored == fp16_to_fp32(fp32_to_fp16(d)));
            const double bound = (d / 2 + 127 * std::fabs(d - stored)) * kSlack;
            for (int i = 32 * b; i < 32 * (b + 1); ++i) REQUIRE(std::fabs(x[i] - y[i]) <= bound);
        }
        for (size_t i = 0; i < q.size(); ++i) {
            const size_t offset = i % plinth_weight_type_info(type).block_bytes;
            if (offset >= (type == PLINTH_TYPE_Q8_0 ? 2u : 4u)) REQUIRE(int8_t(q[i]) != -128);
        }
    }
    // Q8_1's s is d * sum(q) with the f32 d, rounded to f16.
    {
        const std::vector<uint8_t> q = quantize(PLINTH_TYPE_Q8_1, x);
        for (int b = 0; b < nb; ++b) {
            const BlockQ8_1& blk = blocks<BlockQ8_1>(q)[b];
            int sum = 0;
            for (int8_t v : blk.qs) sum += v;
            float amax = 0.0f;
            for (int i = 32 * b; i < 32 * (b + 1); ++i) amax = std::max(amax, std::fabs(x[i]));
            REQUIRE(blk.s == fp32_to_fp16(amax / 127.0f * float(sum)));
        }
    }
    // Ties go to even: with max |x| = 127 the codes are x * 1 exactly.
    {
        std::vector<float> ties(32);
        for (int i = 0; i < 32; ++i) ties[size_t(i)] = i == 0 ? 127.0f : float(i - 16) + 0.5f;
        const std::vector<uint8_t> q = quantize(PLINTH_TYPE_Q8_0, ties);
        const BlockQ8_0& blk = blocks<BlockQ8_0>(q)[0];
        for (int i = 1; i < 32; ++i) {
            const int lo = int(std::floor(ties[size_t(i)]));
            CHECK(int(blk.qs[i]) == (lo % 2 == 0 ? lo : lo + 1));
        }
    }
    // Q4_0 / Q5_0: |x - x'| <= d. Half a step, except that the code range has one more negative level
    // than positive: the extreme value sits on the lowest code, and a value near minus the extreme is
    // clamped to the highest, a whole step off.
    for (uint32_t type : {PLINTH_TYPE_Q4_0, PLINTH_TYPE_Q5_0}) {
        INFO(type_name(type));
        const std::vector<uint8_t> q = quantize(type, x);
        const std::vector<float> y = round_trip(type, x);
        for (int b = 0; b < nb; ++b) {
            const float d = std::fabs(type == PLINTH_TYPE_Q4_0 ? fp16_to_fp32(blocks<BlockQ4_0>(q)[b].d)
                                                               : fp16_to_fp32(blocks<BlockQ5_0>(q)[b].d));
            for (int i = 32 * b; i < 32 * (b + 1); ++i) REQUIRE(std::fabs(x[i] - y[i]) <= d * kSlack);
        }
    }
    // Q4_1 / Q5_1: |x - x'| <= d / 2 + the f16 rounding of the block minimum m.
    for (uint32_t type : {PLINTH_TYPE_Q4_1, PLINTH_TYPE_Q5_1}) {
        INFO(type_name(type));
        const std::vector<uint8_t> q = quantize(type, x);
        const std::vector<float> y = round_trip(type, x);
        for (int b = 0; b < nb; ++b) {
            const auto [dh, mh] = type == PLINTH_TYPE_Q4_1
                                      ? std::pair{blocks<BlockQ4_1>(q)[b].d, blocks<BlockQ4_1>(q)[b].m}
                                      : std::pair{blocks<BlockQ5_1>(q)[b].d, blocks<BlockQ5_1>(q)[b].m};
            const float d = fp16_to_fp32(dh), m = fp16_to_fp32(mh);
            const double bound = d / 2 * kSlack + std::fabs(m) * std::ldexp(1.0, -11) + 1e-6 * std::fabs(m);
            for (int i = 32 * b; i < 32 * (b + 1); ++i) REQUIRE(std::fabs(x[i] - y[i]) <= bound);
        }
    }
    // Q8_K: |x - x'| <= d / 2 per 256, and bsums are the sums of each 16 codes.
    {
        const std::vector<uint8_t> q = quantize(PLINTH_TYPE_Q8_K, x);
        const std::vector<float> y = round_trip(PLINTH_TYPE_Q8_K, x);
        for (int b = 0; b < 4096 / 256; ++b) {
            const BlockQ8_K& blk = blocks<BlockQ8_K>(q)[b];
            for (int i = 0; i < 256; ++i) {
                REQUIRE(std::fabs(x[256 * b + i] - y[256 * b + i]) <= blk.d / 2 * kSlack);
                REQUIRE(blk.qs[i] != -128);
            }
            for (int j = 0; j < 16; ++j) {
                int sum = 0;
                for (int i = 16 * j; i < 16 * (j + 1); ++i) sum += blk.qs[i];
                REQUIRE(blk.bsums[j] == sum);
            }
        }
    }
}

TEST_CASE("round trip: F16 and BF16 are exact for values they represent", "[quant]") {
    Rng rng(5);
    for (uint32_t type : {PLINTH_TYPE_F16, PLINTH_TYPE_BF16}) {
        INFO(type_name(type));
        std::vector<uint16_t> bits;
        while (bits.size() < 4096) {
            const auto h = uint16_t(rng.next());
            const bool finite = type == PLINTH_TYPE_F16 ? (h & 0x7C00) != 0x7C00 : (h & 0x7F80) != 0x7F80;
            if (finite) bits.push_back(h);
        }
        std::vector<float> x(bits.size());
        for (size_t i = 0; i < bits.size(); ++i)
            x[i] = type == PLINTH_TYPE_F16 ? fp16_to_fp32(bits[i]) : bf16_to_fp32(bits[i]);
        const std::vector<uint8_t> q = quantize(type, x);
        CHECK(std::equal(bits.begin(), bits.end(), reinterpret_cast<const uint16_t*>(q.data())));
        CHECK(round_trip(type, x) == x);
    }
    const std::vector<float> x = Rng(6).normal_row(1024, 1000.0f);
    CHECK(round_trip(PLINTH_TYPE_F32, x) == x);
}

TEST_CASE("round trip: zero, constant and spiky rows", "[quant]") {
    for (uint32_t type : supported_types()) {
        INFO(type_name(type));
        const int n = 512;
        // All zeros comes back as exact zeros.
        CHECK(round_trip(type, std::vector<float>(n, 0.0f)) == std::vector<float>(n, 0.0f));
        // A constant row: within 2^-11 relative (the f16 rounding of a scale).
        for (float c : {0.5f, -0.5f, 3.0f}) {
            for (float v : round_trip(type, std::vector<float>(n, c))) REQUIRE(std::fabs(v - c) <= std::fabs(c) * 0x1p-11f);
        }
        // Small noise with a large spike in every 32: spikes kept within 1%, nothing overflows.
        std::vector<float> x = Rng(7).normal_row(n, 0.01f);
        for (int i = 5; i < n; i += 32) x[i] = (i % 64 == 5) ? 100.0f : -50.0f;
        const std::vector<float> y = round_trip(type, x);
        for (int i = 0; i < n; ++i) {
            REQUIRE(std::isfinite(y[i]));
            if (i % 32 == 5) REQUIRE(std::fabs(y[i] - x[i]) <= 0.01f * std::fabs(x[i]));
        }
    }
}
