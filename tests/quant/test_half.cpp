// f16 / bf16 <-> f32: exact widening, round-to-nearest-even narrowing, subnormals, inf, NaN.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <limits>

#include <plinth/weight_formats/half.hpp>

#include "quant_test_util.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define PLINTH_TEST_F16C 1
// The hardware's conversion, as a second opinion (round to nearest even).
__attribute__((target("f16c"))) static uint16_t hardware_fp16(float f) {
    return uint16_t(_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(f), 0), 0));
}
#endif

using namespace plinth::weight_formats;

namespace {
bool is_nan16(uint16_t h) { return (h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0; }
bool is_nan_bf16(uint16_t h) { return (h & 0x7F80) == 0x7F80 && (h & 0x007F) != 0; }
float bits(uint32_t u) { return std::bit_cast<float>(u); }
}  // namespace

TEST_CASE("f16: named values", "[quant][half]") {
    CHECK(fp32_to_fp16(0.0f) == 0x0000);
    CHECK(fp32_to_fp16(-0.0f) == 0x8000);
    CHECK(fp32_to_fp16(1.0f) == 0x3C00);
    CHECK(fp32_to_fp16(-2.0f) == 0xC000);
    CHECK(fp32_to_fp16(65504.0f) == 0x7BFF);                  // largest finite
    CHECK(fp32_to_fp16(65519.99f) == 0x7BFF);                 // just below the midpoint to 65536
    CHECK(fp32_to_fp16(65520.0f) == 0x7C00);                  // the midpoint: ties to even = inf
    CHECK(fp32_to_fp16(std::ldexp(1.0f, -14)) == 0x0400);     // smallest normal
    CHECK(fp32_to_fp16(std::ldexp(1.0f, -24)) == 0x0001);     // smallest subnormal
    CHECK(fp32_to_fp16(std::ldexp(1.0f, -25)) == 0x0000);     // tie between 0 and 2^-24: even is 0
    CHECK(fp32_to_fp16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)) == 0x0001);
    CHECK(fp32_to_fp16(std::ldexp(3.0f, -25)) == 0x0002);     // tie between 1 and 2 ulps: even is 2
    CHECK(fp32_to_fp16(std::ldexp(1023.5f, -24)) == 0x0400);  // largest subnormal + half: rounds into normal
    CHECK(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);  // tie, even mantissa kept
    CHECK(fp32_to_fp16(1.0f + std::ldexp(3.0f, -11)) == 0x3C02);  // tie, odd mantissa rounds up
    CHECK(fp32_to_fp16(std::numeric_limits<float>::infinity()) == 0x7C00);
    CHECK(fp32_to_fp16(-std::numeric_limits<float>::infinity()) == 0xFC00);
    CHECK(fp32_to_fp16(std::numeric_limits<float>::max()) == 0x7C00);
    CHECK(fp32_to_fp16(std::numeric_limits<float>::denorm_min()) == 0x0000);
    CHECK(is_nan16(fp32_to_fp16(std::numeric_limits<float>::quiet_NaN())));
    CHECK(is_nan16(fp32_to_fp16(bits(0x7F800001u))));  // signalling NaN whose payload is all dropped
    CHECK(is_nan16(fp32_to_fp16(bits(0xFFC00000u))));

    CHECK(fp16_to_fp32(0x0001) == std::ldexp(1.0f, -24));
    CHECK(fp16_to_fp32(0x03FF) == std::ldexp(1023.0f, -24));
    CHECK(fp16_to_fp32(0x7BFF) == 65504.0f);
    CHECK(fp16_to_fp32(0xFC00) == -std::numeric_limits<float>::infinity());
    CHECK(std::isnan(fp16_to_fp32(0x7E00)));
    CHECK(std::signbit(fp16_to_fp32(0x8000)));
}

TEST_CASE("f16 -> f32 is exact for every f16 and f32 -> f16 gives it back", "[quant][half]") {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float f = fp16_to_fp32(uint16_t(h));
        const int exp = int(h >> 10) & 0x1F, mant = int(h & 0x3FF);
        if (exp == 0x1F) {
            REQUIRE((mant == 0 ? std::isinf(f) : std::isnan(f)));
            if (mant != 0) REQUIRE(is_nan16(fp32_to_fp16(f)));
            else REQUIRE(fp32_to_fp16(f) == h);
            continue;
        }
        // Value from the definition: subnormals mant * 2^-24, normals (1024 + mant) * 2^(exp - 25).
        const float expect = exp == 0 ? std::ldexp(float(mant), -24) : std::ldexp(float(1024 + mant), exp - 25);
        REQUIRE(f == ((h & 0x8000) ? -expect : expect));
        REQUIRE(std::signbit(f) == bool(h & 0x8000));
        REQUIRE(fp32_to_fp16(f) == h);
    }
}

TEST_CASE("f32 -> f16 rounds to nearest, ties to even, at every f16 midpoint", "[quant][half]") {
    // Between each pair of neighbouring finite f16 values (and past 65504, towards 65536 = inf):
    // below the midpoint -> lower, above -> upper, on it -> the even one.
    for (uint32_t h = 0; h < 0x7C00; ++h) {
        const double lo = fp16_to_fp32(uint16_t(h));
        const double hi = h == 0x7BFF ? 65536.0 : double(fp16_to_fp32(uint16_t(h + 1)));
        const float mid = float((lo + hi) / 2);  // exact: one bit more than f16 has
        REQUIRE(double(mid) == (lo + hi) / 2);
        const uint16_t even = uint16_t((h & 1) ? h + 1 : h);
        for (float sign : {1.0f, -1.0f}) {
            const uint16_t s = sign < 0 ? 0x8000 : 0;
            REQUIRE(fp32_to_fp16(sign * mid) == (even | s));
            REQUIRE(fp32_to_fp16(sign * std::nextafter(mid, 0.0f)) == (h | s));
            REQUIRE(fp32_to_fp16(sign * std::nextafter(mid, 1e9f)) == ((h + 1) | s));
        }
    }
}

#ifdef PLINTH_TEST_F16C
TEST_CASE("f32 -> f16 agrees with the F16C instruction", "[quant][half]") {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0 || (ecx & bit_F16C) == 0) {
        WARN("no F16C on this CPU: skipped");
        return;
    }
    // A stride through all 2^32 bit patterns, plus every pattern near the f16 range's edges.
    uint64_t mismatches = 0;
    for (uint64_t u = 0; u < (1ull << 32); u += 4093) {
        const float f = bits(uint32_t(u));
        const uint16_t want = hardware_fp16(f), got = fp32_to_fp16(f);
        if (std::isnan(f) ? !is_nan16(got) : got != want) ++mismatches;
    }
    for (uint32_t u = 0x33000000u - 4096; u < 0x33000000u + 4096; ++u) mismatches += fp32_to_fp16(bits(u)) != hardware_fp16(bits(u));
    for (uint32_t u = 0x387FF000u; u < 0x38801000u; ++u) mismatches += fp32_to_fp16(bits(u)) != hardware_fp16(bits(u));
    for (uint32_t u = 0x477FE000u; u < 0x47800100u; ++u) mismatches += fp32_to_fp16(bits(u)) != hardware_fp16(bits(u));
    CHECK(mismatches == 0);
}
#endif

TEST_CASE("bf16: named values, round trip, ties to even", "[quant][half]") {
    CHECK(fp32_to_bf16(1.0f) == 0x3F80);
    CHECK(fp32_to_bf16(-0.0f) == 0x8000);
    CHECK(fp32_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3F80);  // tie, even kept
    CHECK(fp32_to_bf16(1.0f + std::ldexp(3.0f, -8)) == 0x3F82);  // tie, odd rounds up
    CHECK(fp32_to_bf16(std::numeric_limits<float>::max()) == 0x7F80);  // rounds past the largest bf16
    CHECK(fp32_to_bf16(std::numeric_limits<float>::infinity()) == 0x7F80);
    CHECK(fp32_to_bf16(std::numeric_limits<float>::denorm_min()) == 0x0000);
    CHECK(fp32_to_bf16(bits(0x00008000u)) == 0x0000);  // subnormal tie, even
    CHECK(fp32_to_bf16(bits(0x00018000u)) == 0x0002);  // subnormal tie, odd rounds up
    CHECK(is_nan_bf16(fp32_to_bf16(bits(0x7F800001u))));  // payload in the dropped half: still NaN
    CHECK(is_nan_bf16(fp32_to_bf16(std::numeric_limits<float>::quiet_NaN())));

    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float f = bf16_to_fp32(uint16_t(h));
        REQUIRE(std::bit_cast<uint32_t>(f) == h << 16);
        if (std::isnan(f)) REQUIRE(is_nan_bf16(fp32_to_bf16(f)));
        else REQUIRE(fp32_to_bf16(f) == h);
    }
    for (uint32_t h = 0; h < 0x7F80; ++h) {  // midpoints, as for f16
        const uint32_t mid = (h << 16) | 0x8000u;
        const uint16_t even = uint16_t((h & 1) ? h + 1 : h);
        REQUIRE(fp32_to_bf16(bits(mid)) == even);
        REQUIRE(fp32_to_bf16(bits(mid - 1)) == h);
        REQUIRE(fp32_to_bf16(bits(mid + 1)) == h + 1);
    }
}
