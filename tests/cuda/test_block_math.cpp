// The CUDA weight kernels' arithmetic (block_math.cuh) on the host, against sdk/weight_formats:
// the activation quantizers byte for byte, every weight type's block dots summed over a row against
// dot_reference within the MATMUL contract (the K-quants bit for bit when their super-blocks are
// summed in order, as the tiled kernel does), the matrix-vector kernel's summation order modelled
// lane by lane, element decoding against dequantize_row bit for bit, and that a wrong scale or code
// is noticed.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include <plinth/weight_formats.hpp>
#include <plinth/weight_formats/half.hpp>

#include "block_math.cuh"
#include "quant_test_util.hpp"

using namespace plinth::weight_formats;
using namespace plinth::weight_formats::test;
namespace bm = plinth::cuda::bm;

namespace {

using Bytes = std::vector<uint8_t>;

// ---- the kernels' arithmetic, one thread doing what a warp does --------------------------------

// A row of activations in `act_type` as the quantize kernel writes it.
Bytes quantize_activations(uint32_t act_type, const std::vector<float>& x) {
    const int64_t n = int64_t(x.size());
    Bytes out(row_bytes(act_type, n));
    switch (act_type) {
    case PLINTH_TYPE_F16: {
        auto* h = reinterpret_cast<uint16_t*>(out.data());
        for (int64_t i = 0; i < n; ++i) h[i] = bm::f32_to_f16(x[size_t(i)]);
        break;
    }
    case PLINTH_TYPE_Q8_0: {
        auto* b = reinterpret_cast<BlockQ8_0*>(out.data());
        for (int64_t k = 0; k < n / 32; ++k) bm::quantize_q8_0(x.data() + 32 * k, b[k]);
        break;
    }
    case PLINTH_TYPE_Q8_1: {
        auto* b = reinterpret_cast<BlockQ8_1*>(out.data());
        for (int64_t k = 0; k < n / 32; ++k) bm::quantize_q8_1(x.data() + 32 * k, b[k]);
        break;
    }
    case PLINTH_TYPE_Q8_K: {
        auto* b = reinterpret_cast<BlockQ8_K*>(out.data());
        for (int64_t k = 0; k < n / 256; ++k) bm::quantize_q8_k(x.data() + 256 * k, b[k]);
        break;
    }
    default:  // F32: as they are
        std::memcpy(out.data(), x.data(), out.size());
        break;
    }
    return out;
}

// The row's dot product from block terms, summed in float in block order.
template <uint32_t Type>
float dot_blocks(int64_t n, const void* w_row, const void* a_row) {
    using W = typename bm::weight<Type>::block;
    using A = typename bm::weight<Type>::act_block;
    const auto* w = static_cast<const W*>(w_row);
    const auto* a = static_cast<const A*>(a_row);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / bm::weight<Type>::elems; ++b) {
        if constexpr (bm::weight<Type>::k_quant) {
            // As a warp splits a super-block: 8 pieces' integers, then one float term.
            bm::KSums s;
            for (int p = 0; p < 8; ++p) s = s + bm::kpiece(w[b], a[b], p);
            sum += bm::kterm(w[b], a[b], s);
        } else {
            sum += bm::block_dot(w[b], a[b]);
        }
    }
    return sum;
}

float dot_row(uint32_t type, int64_t n, const void* w, const void* a) {
    switch (type) {
    case PLINTH_TYPE_F32: {
        const auto* wf = static_cast<const float*>(w);
        const auto* af = static_cast<const float*>(a);
        float s = 0.0f;
        for (int64_t i = 0; i < n; ++i) s += wf[i] * af[i];
        return s;
    }
    case PLINTH_TYPE_BF16: {
        const auto* wh = static_cast<const uint16_t*>(w);
        const auto* af = static_cast<const float*>(a);
        float s = 0.0f;
        for (int64_t i = 0; i < n; ++i) s += bm::bf16_to_f32(wh[i]) * af[i];
        return s;
    }
    case PLINTH_TYPE_F16: {  // exact float products, summed in double (the kernel's form)
        const auto* wh = static_cast<const uint16_t*>(w);
        const auto* ah = static_cast<const uint16_t*>(a);
        double s = 0.0;
        for (int64_t i = 0; i < n; ++i) s += double(bm::f16_to_f32(wh[i]) * bm::f16_to_f32(ah[i]));
        return float(s);
    }
    case PLINTH_TYPE_Q4_0: return dot_blocks<PLINTH_TYPE_Q4_0>(n, w, a);
    case PLINTH_TYPE_Q4_1: return dot_blocks<PLINTH_TYPE_Q4_1>(n, w, a);
    case PLINTH_TYPE_Q5_0: return dot_blocks<PLINTH_TYPE_Q5_0>(n, w, a);
    case PLINTH_TYPE_Q5_1: return dot_blocks<PLINTH_TYPE_Q5_1>(n, w, a);
    case PLINTH_TYPE_Q8_0: return dot_blocks<PLINTH_TYPE_Q8_0>(n, w, a);
    case PLINTH_TYPE_Q2_K: return dot_blocks<PLINTH_TYPE_Q2_K>(n, w, a);
    case PLINTH_TYPE_Q3_K: return dot_blocks<PLINTH_TYPE_Q3_K>(n, w, a);
    case PLINTH_TYPE_Q4_K: return dot_blocks<PLINTH_TYPE_Q4_K>(n, w, a);
    case PLINTH_TYPE_Q5_K: return dot_blocks<PLINTH_TYPE_Q5_K>(n, w, a);
    case PLINTH_TYPE_Q6_K: return dot_blocks<PLINTH_TYPE_Q6_K>(n, w, a);
    default: FAIL("no block math for type " << type); return 0.0f;
    }
}

template <uint32_t Type>
void decode_blocks(const void* src, float* dst, int64_t n) {
    using W = typename bm::weight<Type>::block;
    constexpr int kElems = bm::weight<Type>::elems;
    const auto* w = static_cast<const W*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = bm::decode(w[i / kElems], int(i % kElems));
}

void decode_row(uint32_t type, const void* src, float* dst, int64_t n) {
    switch (type) {
    case PLINTH_TYPE_F32: std::memcpy(dst, src, size_t(n) * sizeof(float)); return;
    case PLINTH_TYPE_F16:
        for (int64_t i = 0; i < n; ++i) dst[i] = bm::f16_to_f32(static_cast<const uint16_t*>(src)[i]);
        return;
    case PLINTH_TYPE_BF16:
        for (int64_t i = 0; i < n; ++i) dst[i] = bm::bf16_to_f32(static_cast<const uint16_t*>(src)[i]);
        return;
    case PLINTH_TYPE_Q4_0: return decode_blocks<PLINTH_TYPE_Q4_0>(src, dst, n);
    case PLINTH_TYPE_Q4_1: return decode_blocks<PLINTH_TYPE_Q4_1>(src, dst, n);
    case PLINTH_TYPE_Q5_0: return decode_blocks<PLINTH_TYPE_Q5_0>(src, dst, n);
    case PLINTH_TYPE_Q5_1: return decode_blocks<PLINTH_TYPE_Q5_1>(src, dst, n);
    case PLINTH_TYPE_Q8_0: return decode_blocks<PLINTH_TYPE_Q8_0>(src, dst, n);
    case PLINTH_TYPE_Q2_K: return decode_blocks<PLINTH_TYPE_Q2_K>(src, dst, n);
    case PLINTH_TYPE_Q3_K: return decode_blocks<PLINTH_TYPE_Q3_K>(src, dst, n);
    case PLINTH_TYPE_Q4_K: return decode_blocks<PLINTH_TYPE_Q4_K>(src, dst, n);
    case PLINTH_TYPE_Q5_K: return decode_blocks<PLINTH_TYPE_Q5_K>(src, dst, n);
    case PLINTH_TYPE_Q6_K: return decode_blocks<PLINTH_TYPE_Q6_K>(src, dst, n);
    default: FAIL("no decoder for type " << type);
    }
}

// ---- the kernels' summation orders (row_dot.cuh, matmul.cu), modelled lane by lane ---------------
// The float additions the device makes, in its order: per-lane partial sums, then the warp's
// butterfly (lane l adds lane l ^ o for o = 16, 8, 4, 2, 1). The block terms are block_math's.

template <class T>
T butterfly(std::vector<T> lanes) {
    for (int o = 16; o > 0; o >>= 1) {
        std::vector<T> next(32);
        for (int l = 0; l < 32; ++l) next[size_t(l)] = lanes[size_t(l)] + lanes[size_t(l ^ o)];
        lanes = next;
    }
    return lanes[0];
}

template <uint32_t Type>
float warp_order_blocks(int64_t n, const void* w_row, const void* a_row) {
    using WT = bm::weight<Type>;
    const auto* w = static_cast<const typename WT::block*>(w_row);
    const auto* a = static_cast<const typename WT::act_block*>(a_row);
    const int64_t nb = n / WT::elems;
    std::vector<float> lanes(32, 0.0f);
    if constexpr (WT::k_quant) {  // group g (lanes 8g..8g+7) takes super-blocks g, g + 4, ...; its lane 8g adds
        for (int64_t b = 0; b < nb; ++b) {
            bm::KSums s;
            for (int p = 0; p < 8; ++p) s = s + bm::kpiece(w[b], a[b], p);
            lanes[size_t(8 * (b % 4))] += bm::kterm(w[b], a[b], s);
        }
    } else {  // lane l takes blocks l, l + 32, ...
        for (int64_t b = 0; b < nb; ++b) lanes[size_t(b % 32)] += bm::block_dot(w[b], a[b]);
    }
    return butterfly(lanes);
}

float warp_order_dot(uint32_t type, int64_t n, const void* w, const void* a) {
    switch (type) {
    case PLINTH_TYPE_F32:
    case PLINTH_TYPE_BF16: {  // lane l: fmaf over elements l, l + 32, ...
        std::vector<float> lanes(32, 0.0f);
        const auto* af = static_cast<const float*>(a);
        for (int64_t i = 0; i < n; ++i) {
            const float wv = type == PLINTH_TYPE_F32 ? static_cast<const float*>(w)[i]
                                                     : bm::bf16_to_f32(static_cast<const uint16_t*>(w)[i]);
            lanes[size_t(i % 32)] = std::fma(wv, af[i], lanes[size_t(i % 32)]);
        }
        return butterfly(lanes);
    }
    case PLINTH_TYPE_F16: {  // the same in double over exact float products
        std::vector<double> lanes(32, 0.0);
        for (int64_t i = 0; i < n; ++i)
            lanes[size_t(i % 32)] += double(bm::f16_to_f32(static_cast<const uint16_t*>(w)[i]) *
                                            bm::f16_to_f32(static_cast<const uint16_t*>(a)[i]));
        return float(butterfly(lanes));
    }
    case PLINTH_TYPE_Q4_0: return warp_order_blocks<PLINTH_TYPE_Q4_0>(n, w, a);
    case PLINTH_TYPE_Q4_1: return warp_order_blocks<PLINTH_TYPE_Q4_1>(n, w, a);
    case PLINTH_TYPE_Q5_0: return warp_order_blocks<PLINTH_TYPE_Q5_0>(n, w, a);
    case PLINTH_TYPE_Q5_1: return warp_order_blocks<PLINTH_TYPE_Q5_1>(n, w, a);
    case PLINTH_TYPE_Q8_0: return warp_order_blocks<PLINTH_TYPE_Q8_0>(n, w, a);
    case PLINTH_TYPE_Q2_K: return warp_order_blocks<PLINTH_TYPE_Q2_K>(n, w, a);
    case PLINTH_TYPE_Q3_K: return warp_order_blocks<PLINTH_TYPE_Q3_K>(n, w, a);
    case PLINTH_TYPE_Q4_K: return warp_order_blocks<PLINTH_TYPE_Q4_K>(n, w, a);
    case PLINTH_TYPE_Q5_K: return warp_order_blocks<PLINTH_TYPE_Q5_K>(n, w, a);
    case PLINTH_TYPE_Q6_K: return warp_order_blocks<PLINTH_TYPE_Q6_K>(n, w, a);
    default: FAIL("no warp model for type " << type); return 0.0f;
    }
}

// ---- test data ------------------------------------------------------------------------------------

const std::vector<uint32_t>& weight_types() {
    static const std::vector<uint32_t> types = {
        PLINTH_TYPE_F32,  PLINTH_TYPE_F16,  PLINTH_TYPE_BF16, PLINTH_TYPE_Q4_0, PLINTH_TYPE_Q4_1,
        PLINTH_TYPE_Q5_0, PLINTH_TYPE_Q5_1, PLINTH_TYPE_Q8_0, PLINTH_TYPE_Q2_K, PLINTH_TYPE_Q3_K,
        PLINTH_TYPE_Q4_K, PLINTH_TYPE_Q5_K, PLINTH_TYPE_Q6_K};
    return types;
}
bool is_k_quant(uint32_t type) { return block_size(type) == 256; }

// Row lengths in blocks; F32 / F16 / BF16 get the 32-block counts as element counts times 32.
std::vector<int64_t> block_counts(uint32_t type) {
    return is_k_quant(type) ? std::vector<int64_t>{1, 3, 5} : std::vector<int64_t>{1, 3, 7, 33};
}
int64_t row_length(uint32_t type, int64_t blocks) { return blocks * (is_k_quant(type) ? 256 : 32); }

Bytes quantized_row(uint32_t type, const std::vector<float>& x) {
    Bytes out(row_bytes(type, int64_t(x.size())));
    quantize_row(type, x.data(), out.data(), int64_t(x.size()));
    return out;
}
std::vector<float> dequantized(uint32_t type, const Bytes& row, int64_t n) {
    std::vector<float> out(static_cast<size_t>(n));
    dequantize_row(type, row.data(), out.data(), n);
    return out;
}

// The contract's bound for a product of these (dequantized) rows.
double tolerance(const std::vector<float>& w, const std::vector<float>& a) {
    double s = 0.0;
    for (size_t i = 0; i < w.size(); ++i) s += std::fabs(double(w[i]) * double(a[i]));
    return 1e-6 * s + 1e-7;
}

std::vector<float> activation_values(uint32_t act_type, const Bytes& act, const std::vector<float>& x) {
    return act_type == PLINTH_TYPE_F32 ? x : dequantized(act_type, act, int64_t(x.size()));
}

// Rows whose quantization meets every corner: ties (x * 127 / amax = k + 1/2 with amax = 127), a zero
// block, -0, amax beyond what an F16 d can hold, amax in F16's subnormals, plus plain random rows.
std::vector<std::vector<float>> activation_rows(Rng& rng) {
    std::vector<std::vector<float>> rows;
    for (float scale : {1.0f, 1e-3f, 1e3f}) rows.push_back(rng.normal_row(1024, scale));
    std::vector<float> corners(1024, 0.0f);
    for (int i = 0; i < 256; ++i) corners[size_t(i)] = (i % 32 == 0 ? 127.0f : float(rng.range(-126, 126)) + 0.5f);
    corners[300] = -0.0f;
    for (int i = 512; i < 768; ++i) corners[size_t(i)] = 1e7f * rng.normal();
    for (int i = 768; i < 1024; ++i) corners[size_t(i)] = 1e-6f * rng.normal();
    rows.push_back(corners);
    return rows;
}

}  // namespace

TEST_CASE("F16 and BF16 conversions are the weight_formats ones, bit for bit", "[cuda][block_math]") {
    for (uint32_t h = 0; h < 0x10000u; ++h) {
        const float a = bm::f16_to_f32(uint16_t(h)), b = fp16_to_fp32(uint16_t(h));
        REQUIRE(bm::bits_of(a) == bm::bits_of(b));
        REQUIRE(bm::bits_of(bm::bf16_to_f32(uint16_t(h))) == bm::bits_of(bf16_to_fp32(uint16_t(h))));
    }
    Rng rng(5);
    for (int i = 0; i < 200000; ++i) {
        const float x = bm::from_bits(uint32_t(rng.next()));
        REQUIRE(bm::f32_to_f16(x) == fp32_to_fp16(x));
    }
}

TEST_CASE("dot4_i8 is the signed dot of four bytes plus the accumulator", "[cuda][block_math]") {
    CHECK(bm::dot4_i8(0x01010101, 0x01020304, 5) == 15);
    CHECK(bm::dot4_i8(int(0x80808080u), int(0x80808080u), 0) == 4 * 128 * 128);
    CHECK(bm::dot4_i8(int(0xFF00FF00u), 0x00070007, 0) == 0);
    CHECK(bm::dot4_i8(int(0xFFFFFFFFu), 0x7F7F7F7F, -1) == -1 - 4 * 127);
}

TEST_CASE("activation quantizers write weight_formats::quantize_row's bytes", "[cuda][block_math]") {
    Rng rng(11);
    for (const std::vector<float>& x : activation_rows(rng)) {
        for (uint32_t act : {PLINTH_TYPE_F16, PLINTH_TYPE_Q8_0, PLINTH_TYPE_Q8_1, PLINTH_TYPE_Q8_K}) {
            INFO(type_name(act));
            CHECK(quantize_activations(act, x) == quantized_row(act, x));
        }
    }
}

TEST_CASE("block dots summed over a row meet dot_reference within the MATMUL contract", "[cuda][block_math]") {
    Rng rng(2026);
    constexpr int kRows = 3;  // N > 1: a few weight rows against the same activations
    for (uint32_t type : weight_types()) {
        const uint32_t act_type = activation_type(type);
        for (int64_t blocks : block_counts(type)) {
            const int64_t n = row_length(type, blocks);
            const std::vector<float> x = rng.normal_row(n);
            const Bytes act = quantize_activations(act_type, x);
            REQUIRE(act == quantized_row(act_type, x));
            const std::vector<float> a = activation_values(act_type, act, x);
            for (int r = 0; r < kRows; ++r) {
                const Bytes w = quantized_row(type, rng.normal_row(n, r == 2 ? 0.01f : 1.0f));
                const float ours = dot_row(type, n, w.data(), act.data());
                const float ref = dot_reference(type, n, w.data(), act.data());
                INFO(type_name(type) << " n " << n << " row " << r << ": " << ours << " vs " << ref);
                CHECK(std::fabs(double(ours) - double(ref)) <= tolerance(dequantized(type, w, n), a));
                // The K-quants' float side is the reference's, term for term and in block order.
                if (is_k_quant(type) || type == PLINTH_TYPE_F32 || type == PLINTH_TYPE_BF16 || type == PLINTH_TYPE_F16)
                    CHECK(bm::bits_of(ours) == bm::bits_of(ref));
            }
        }
    }
}

TEST_CASE("block dots: integer parts exact on raw blocks with unit scales", "[cuda][block_math]") {
    // Every code and sub-block scale byte random (Q8_0 weights include -128), every float scale 1:
    // the products and sums are then integers, exact in float in any order, so an integer part one
    // off cannot hide in the rounding tolerance.
    constexpr uint16_t kOne = 0x3C00;
    Rng rng(77);
    for (uint32_t type : weight_types()) {
        if (block_size(type) == 1) continue;
        const int64_t n = is_k_quant(type) ? 3 * 256 : 15 * 32;  // 32-blocks: |sum| < 2^24
        Bytes w(row_bytes(type, n));
        for (uint8_t& b : w) b = uint8_t(rng.next());
        const int64_t nb = n / block_size(type);
        auto set_scales = [&](auto* blocks, auto fix) {
            for (int64_t b = 0; b < nb; ++b) fix(blocks[b]);
        };
        switch (type) {
        case PLINTH_TYPE_Q4_0: set_scales(reinterpret_cast<BlockQ4_0*>(w.data()), [](auto& b) { b.d = kOne; }); break;
        case PLINTH_TYPE_Q5_0: set_scales(reinterpret_cast<BlockQ5_0*>(w.data()), [](auto& b) { b.d = kOne; }); break;
        case PLINTH_TYPE_Q8_0: set_scales(reinterpret_cast<BlockQ8_0*>(w.data()), [](auto& b) { b.d = kOne; }); break;
        case PLINTH_TYPE_Q4_1: set_scales(reinterpret_cast<BlockQ4_1*>(w.data()), [](auto& b) { b.d = b.m = kOne; }); break;
        case PLINTH_TYPE_Q5_1: set_scales(reinterpret_cast<BlockQ5_1*>(w.data()), [](auto& b) { b.d = b.m = kOne; }); break;
        case PLINTH_TYPE_Q2_K: set_scales(reinterpret_cast<BlockQ2_K*>(w.data()), [](auto& b) { b.d = b.dmin = kOne; }); break;
        case PLINTH_TYPE_Q3_K: set_scales(reinterpret_cast<BlockQ3_K*>(w.data()), [](auto& b) { b.d = kOne; }); break;
        case PLINTH_TYPE_Q4_K: set_scales(reinterpret_cast<BlockQ4_K*>(w.data()), [](auto& b) { b.d = b.dmin = kOne; }); break;
        case PLINTH_TYPE_Q5_K: set_scales(reinterpret_cast<BlockQ5_K*>(w.data()), [](auto& b) { b.d = b.dmin = kOne; }); break;
        case PLINTH_TYPE_Q6_K: set_scales(reinterpret_cast<BlockQ6_K*>(w.data()), [](auto& b) { b.d = kOne; }); break;
        default: break;
        }
        // Activation codes in -127..127 with unit scales and consistent sums.
        const uint32_t act_type = activation_type(type);
        Bytes act(row_bytes(act_type, n));
        if (act_type == PLINTH_TYPE_Q8_K) {
            auto* a = reinterpret_cast<BlockQ8_K*>(act.data());
            for (int64_t b = 0; b < nb; ++b) {
                a[b].d = 1.0f;
                for (int j = 0; j < 16; ++j) {
                    int sum = 0;
                    for (int i = 16 * j; i < 16 * (j + 1); ++i) sum += a[b].qs[i] = int8_t(rng.range(-127, 127));
                    a[b].bsums[j] = int16_t(sum);
                }
            }
        } else if (act_type == PLINTH_TYPE_Q8_1) {
            auto* a = reinterpret_cast<BlockQ8_1*>(act.data());
            for (int64_t b = 0; b < nb; ++b) {
                int sum = 0;
                for (int8_t& q : a[b].qs) sum += q = int8_t(rng.range(-127, 127));
                a[b].d = kOne;
                a[b].s = fp32_to_fp16(float(sum));  // exact: |sum| < 2048
            }
        } else {
            auto* a = reinterpret_cast<BlockQ8_0*>(act.data());
            for (int64_t b = 0; b < nb; ++b) {
                for (int8_t& q : a[b].qs) q = int8_t(rng.range(-127, 127));
                a[b].d = kOne;
            }
        }
        // The exact integer dot of the dequantized rows (for the K-quants the reference's own float
        // conversion of each super-block's integers, the same on both sides).
        const std::vector<float> wv = dequantized(type, w, n), av = dequantized(act_type, act, n);
        double exact = 0.0;
        for (int64_t i = 0; i < n; ++i) exact += double(wv[size_t(i)]) * double(av[size_t(i)]);
        const float ours = dot_row(type, n, w.data(), act.data());
        INFO(type_name(type));
        CHECK(bm::bits_of(ours) == bm::bits_of(dot_reference(type, n, w.data(), act.data())));
        if (!is_k_quant(type)) CHECK(double(ours) == exact);
    }
}

TEST_CASE("the kernels' summation orders stay within the MATMUL contract", "[cuda][block_math]") {
    // The matrix-vector kernel's lane split and warp butterfly (the tiled kernel sums each output's
    // blocks in order, as dot_row above), on rows long enough for the order to matter.
    Rng rng(31337);
    for (uint32_t type : weight_types()) {
        const uint32_t act_type = activation_type(type);
        for (int64_t n : {int64_t(256), int64_t(4096), int64_t(11008), int64_t(33 * 256)}) {
            const std::vector<float> x = rng.normal_row(n);
            const Bytes act = quantize_activations(act_type, x);
            const std::vector<float> a = activation_values(act_type, act, x);
            for (float scale : {1.0f, 1e-3f}) {
                const Bytes w = quantized_row(type, rng.normal_row(n, scale));
                const float ours = warp_order_dot(type, n, w.data(), act.data());
                const float ref = dot_reference(type, n, w.data(), act.data());
                INFO(type_name(type) << " n " << n << " scale " << scale << ": " << ours << " vs " << ref);
                CHECK(std::fabs(double(ours) - double(ref)) <= tolerance(dequantized(type, w, n), a));
            }
        }
    }
}

TEST_CASE("decode equals dequantize_row bit for bit", "[cuda][block_math]") {
    Rng rng(404);
    for (uint32_t type : weight_types()) {
        for (int64_t blocks : block_counts(type)) {
            for (float scale : {1.0f, 1e-4f, 1e4f}) {
                const int64_t n = row_length(type, blocks);
                const Bytes w = quantized_row(type, rng.normal_row(n, scale));
                std::vector<float> ours(static_cast<size_t>(n));
                decode_row(type, w.data(), ours.data(), n);
                const std::vector<float> ref = dequantized(type, w, n);
                INFO(type_name(type) << " n " << n << " scale " << scale);
                CHECK(std::memcmp(ours.data(), ref.data(), ref.size() * sizeof(float)) == 0);
            }
        }
    }
}

TEST_CASE("a wrong scale or code is noticed by these checks", "[cuda][block_math]") {
    // The comparisons above can fail: a weight block's scale off by one F16 step, or one activation
    // code off by one, moves the product well outside the contract's tolerance.
    Rng rng(9);
    for (uint32_t type : {PLINTH_TYPE_Q4_0, PLINTH_TYPE_Q5_1, PLINTH_TYPE_Q8_0, PLINTH_TYPE_Q4_K, PLINTH_TYPE_Q6_K}) {
        const int64_t n = row_length(type, 3);
        const uint32_t act_type = activation_type(type);
        const std::vector<float> x = rng.normal_row(n);
        Bytes act = quantize_activations(act_type, x);
        Bytes w = quantized_row(type, rng.normal_row(n));
        const float ref = dot_reference(type, n, w.data(), act.data());
        const double tol = tolerance(dequantized(type, w, n), activation_values(act_type, act, x));
        INFO(type_name(type));
        REQUIRE(std::fabs(double(dot_row(type, n, w.data(), act.data())) - double(ref)) <= tol);

        // The second block's F16 scale d (offset 0 in the 32-blocks, 208 in Q6_K, 0 in Q4_K) + 1 step.
        Bytes bad_w = w;
        const size_t block_bytes = plinth_weight_type_info(type).block_bytes;
        const size_t d_offset = block_bytes + (type == PLINTH_TYPE_Q6_K ? 208 : 0);
        uint16_t d;
        std::memcpy(&d, bad_w.data() + d_offset, 2);
        d = uint16_t(d + 1);
        std::memcpy(bad_w.data() + d_offset, &d, 2);
        CHECK(std::fabs(double(dot_row(type, n, bad_w.data(), act.data())) - double(ref)) > tol);

        // One activation code of the first block one step off (Q8_K's sums kept consistent with it), at
        // the largest weight there so that it counts.
        Bytes bad_a = act;
        const size_t qs_offset = act_type == PLINTH_TYPE_Q8_K ? 4 : (act_type == PLINTH_TYPE_Q8_1 ? 4 : 2);
        const std::vector<float> wv = dequantized(type, w, n);
        size_t big = 0;
        for (size_t i = 1; i < 32; ++i)
            if (std::fabs(wv[i]) > std::fabs(wv[big])) big = i;
        auto* code = reinterpret_cast<int8_t*>(bad_a.data() + qs_offset + big);
        const int step = *code < 127 ? 1 : -1;
        *code = int8_t(*code + step);
        if (act_type == PLINTH_TYPE_Q8_K) reinterpret_cast<BlockQ8_K*>(bad_a.data())->bsums[big / 16] += int16_t(step);
        CHECK(std::fabs(double(dot_row(type, n, w.data(), bad_a.data())) - double(ref)) > tol);
    }
}
