#pragma once
// The tensor cores' operands for the 32-element block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0), and
// what they give back, for MATMUL's tensor-core kernel (matmul.cu). __host__ __device__ like
// block_math.cuh, so that tests/cuda models a warp's mma on the host against block_dot.
//
// mma.sync.m16n8k32 with signed 8-bit operands multiplies a 16 x 32 tile of weight codes (16 rows,
// one block each) by a 32 x 8 tile of activation codes (8 columns, one block each) into 16 x 8
// exact int32 sums. Lane l of the warp, with g = l / 4 and q = l % 4, holds (PTX ISA, "Matrix
// Fragments for mma.m16n8k32", integer types):
//   A: a[0] row g, elements 4q..4q+3; a[1] row g+8, the same; a[2] row g, elements 16+4q..16+4q+3;
//      a[3] row g+8, the same (four signed bytes each, lowest element in the lowest byte);
//   B: b[0] column g, elements 4q..4q+3; b[1] column g, elements 16+4q..16+4q+3;
//   D: d[0] (row g, column 2q), d[1] (g, 2q+1), d[2] (g+8, 2q), d[3] (g+8, 2q+1).
// The weight codes go in with the symmetric types' bias taken off (q - 8, q - 16), so that each sum
// is exactly the isum of block_dot, and mma_term then scales it the way block_dot does: the
// results have block_dot's bits.
#include "block_math.cuh"

namespace plinth::cuda::bm {

// Four byte-wise differences x - v, each wrapping in 8 bits.
PLINTH_HD int sub_bytes(int x, int v) {
#ifdef __CUDA_ARCH__
    return int(__vsub4(unsigned(x), unsigned(v)));
#else
    uint32_t out = 0;
    for (int k = 0; k < 4; ++k)
        out |= (((uint32_t(x) >> (8 * k)) - (uint32_t(v) >> (8 * k))) & 0xFFu) << (8 * k);
    return int(out);
#endif
}

// Elements 4q..4q+3 (lo) and 16+4q..16+4q+3 (hi) of a block as signed bytes, q in 0..3.
struct MmaWords {
    int lo = 0, hi = 0;
};

// 4-bit codes (elements i < 16 in the low nibbles of qs[i], the rest in the high nibbles), with
// the fifth bit from qh where there is one.
PLINTH_HD MmaWords nibble_words(const uint8_t* qs, const uint8_t* qh, int q) {
    const uint32_t v = uint32_t(load_i32_a2(qs + 4 * q));
    MmaWords m{int(v & 0x0F0F0F0Fu), int((v >> 4) & 0x0F0F0F0Fu)};
    if (qh) {
        const uint32_t high_bits = uint32_t(load_i32_a2(qh));
        m.lo |= spread4_to_bit4(high_bits >> (4 * q));
        m.hi |= spread4_to_bit4(high_bits >> (16 + 4 * q));
    }
    return m;
}

PLINTH_HD MmaWords mma_codes(const BlockQ4_0& w, int q) {
    const MmaWords m = nibble_words(w.qs, nullptr, q);
    return {sub_bytes(m.lo, 0x08080808), sub_bytes(m.hi, 0x08080808)};
}
PLINTH_HD MmaWords mma_codes(const BlockQ5_0& w, int q) {
    const MmaWords m = nibble_words(w.qs, w.qh, q);
    return {sub_bytes(m.lo, 0x10101010), sub_bytes(m.hi, 0x10101010)};
}
PLINTH_HD MmaWords mma_codes(const BlockQ4_1& w, int q) { return nibble_words(w.qs, nullptr, q); }  // 0..15
PLINTH_HD MmaWords mma_codes(const BlockQ5_1& w, int q) { return nibble_words(w.qs, w.qh, q); }     // 0..31
PLINTH_HD MmaWords mma_codes(const BlockQ8_0& w, int q) {
    return {load_i32_a2(w.qs + 4 * q), load_i32_a2(w.qs + 16 + 4 * q)};
}

// The activation block's codes for B (Q8_0 and Q8_1 alike).
template <class A>
PLINTH_HD MmaWords mma_act_words(const A& a, int q) {
    return {load_i32_a2(a.qs + 4 * q), load_i32_a2(a.qs + 16 + 4 * q)};
}

// block_dot's float term from the exact integer sum of the codes above.
PLINTH_HD float mma_term(const BlockQ4_0& w, const BlockQ8_0& a, int isum) { return symmetric_term(w.d, a.d, isum); }
PLINTH_HD float mma_term(const BlockQ5_0& w, const BlockQ8_0& a, int isum) { return symmetric_term(w.d, a.d, isum); }
PLINTH_HD float mma_term(const BlockQ8_0& w, const BlockQ8_0& a, int isum) { return symmetric_term(w.d, a.d, isum); }
PLINTH_HD float mma_term(const BlockQ4_1& w, const BlockQ8_1& a, int isum) { return affine_term(w.d, w.m, a, isum); }
PLINTH_HD float mma_term(const BlockQ5_1& w, const BlockQ8_1& a, int isum) { return affine_term(w.d, w.m, a, isum); }

}  // namespace plinth::cuda::bm
