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

// ---- K-quant super-blocks x Q8_K, piece by piece ------------------------------------------------
// Piece p (elements 32p .. 32p + 31) of a super-block. Q4_K and Q5_K scale a whole piece by one
// number: one m16n8k32 per piece, its operands words q and 4 + q of the piece's codes (kcode_word).
// The others scale each 16-element half on its own: one m16n8k16 per half h, whose operands are
// a[0] row g and a[1] row g + 8 with word 4h + q, b[0] column g with word 4h + q, and whose D is
// laid out as m16n8k32's. The codes go in with the type's bias taken off, so each sum is
// kpiece_dot's h0 - bias s0 (or h1 - bias s1) exactly; scaled by the half's integer scale and
// added with the mins' terms from Q8_K's bsums, they give kpiece_dot's integers, and kterm the
// super-block's float.
template <class W>
struct kquant_mma {
    static constexpr bool one_scale_per_piece = false;
};
template <>
struct kquant_mma<BlockQ4_K> {
    static constexpr bool one_scale_per_piece = true;
};
template <>
struct kquant_mma<BlockQ5_K> {
    static constexpr bool one_scale_per_piece = true;
};

// Word k of piece p's codes as signed bytes, the bias taken off.
template <class W>
PLINTH_HD int kmma_code_word(const W& w, int p, int k, int bias) {
    return sub_bytes(kcode_word(w, p, k), bias * 0x01010101);
}
// Word k of the activation super-block's piece p.
PLINTH_HD int kmma_act_word(const BlockQ8_K& a, int p, int k) { return load_i32_a2(a.qs + 32 * p + 4 * k); }
// The mins' integer term of piece p (kpiece_dot's msum).
PLINTH_HD int kmma_min_term(const KScales& s, const BlockQ8_K& a, int p) {
    return s.mn[0] * a.bsums[2 * p] + s.mn[1] * a.bsums[2 * p + 1];
}

}  // namespace plinth::cuda::bm
