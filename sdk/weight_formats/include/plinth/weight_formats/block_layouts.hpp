#pragma once
// The GGUF/ggml block layouts, one struct per type. A row of n elements is n / block_size blocks
// stored back to back, without padding. Scales marked "f16" are IEEE half bits (see half.hpp).
//
// The CPU backend also compiles this header into its AVX2 / AVX-512 / NEON translation units (other
// -m flags), so every helper here has internal linkage (`static`): a shared inline function could be
// emitted from one of those units and picked by the linker for the scalar path too, which would
// crash a CPU without those instructions. C++17.
#include <cstddef>
#include <cstdint>

namespace plinth::weight_formats {

constexpr int kBlock32 = 32;    // elements per block of Q4_0 .. Q8_1
constexpr int kBlock256 = 256;  // elements per super-block of the K-quants

// ---- 32-element blocks ----------------------------------------------------------------------------
// Element i of a block with 4-bit codes: i < 16 -> low nibble of qs[i], i >= 16 -> high nibble of
// qs[i - 16]. 5-bit codes add bit i of qh (read as a little-endian uint32) as bit 4.

struct BlockQ4_0 {      // x = d * (q - 8),  q in 0..15
    uint16_t d;         // f16 scale
    uint8_t qs[16];     // 32 x 4-bit codes
};
struct BlockQ4_1 {      // x = d * q + m,  q in 0..15
    uint16_t d;         // f16 scale
    uint16_t m;         // f16 offset (the block minimum)
    uint8_t qs[16];
};
struct BlockQ5_0 {      // x = d * (q - 16),  q in 0..31
    uint16_t d;
    uint8_t qh[4];      // bit 4 of each code
    uint8_t qs[16];     // bits 0..3
};
struct BlockQ5_1 {      // x = d * q + m,  q in 0..31
    uint16_t d;
    uint16_t m;
    uint8_t qh[4];
    uint8_t qs[16];
};
struct BlockQ8_0 {      // x = d * q,  q in -127..127 from our quantizer (-128 only in foreign weights)
    uint16_t d;
    int8_t qs[32];
};
struct BlockQ8_1 {      // x = d * q; s = d * sum(q) so an offset weight (Q4_1/Q5_1) needs no extra pass
    uint16_t d;
    uint16_t s;         // f16
    int8_t qs[32];
};

// ---- 256-element super-blocks (K-quants) ----------------------------------------------------------
// Sub-blocks of 16 (Q2_K, Q3_K, Q6_K) or 32 (Q4_K, Q5_K) elements each carry a small integer scale
// (and min), themselves scaled by the f16 super-block d (and dmin).

struct BlockQ2_K {      // x = d * sc[j] * q - dmin * mn[j],  q in 0..3, j = i / 16
    uint8_t scales[16]; // low nibble sc[j], high nibble mn[j]
    uint8_t qs[64];     // element i = 128h + 32s + l: bits 2s..2s+1 of qs[32h + l]
    uint16_t d;
    uint16_t dmin;
};
struct BlockQ3_K {      // x = d * (sc[j] - 32) * (q - 4),  q in 0..7, j = i / 16
    uint8_t hmask[32];  // bit 2 of q for element i: bit (i / 32) of hmask[i % 32]
    uint8_t qs[64];     // bits 0..1, packed as in Q2_K
    uint8_t scales[12]; // 16 x 6-bit sc, see q3k_scale()
    uint16_t d;
};
struct BlockQ4_K {      // x = d * sc[j] * q - dmin * mn[j],  q in 0..15, j = i / 32
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[12]; // 8 x (6-bit sc, 6-bit mn), see k4_scale_min()
    uint8_t qs[128];    // element i = 64c + l (l < 32): low nibble of qs[32c + l]; 64c + 32 + l: high
};
struct BlockQ5_K {      // as Q4_K with q in 0..31
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[12];
    uint8_t qh[32];     // bit 4 of q for element i: bit (i / 32) of qh[i % 32]
    uint8_t qs[128];    // bits 0..3, packed as in Q4_K
};
struct BlockQ6_K {      // x = d * sc[j] * (q - 32),  q in 0..63, j = i / 16
    uint8_t ql[128];    // bits 0..3: element i = 128h + 32s + l -> ql[64h + 32(s & 1) + l], high nibble if s >= 2
    uint8_t qh[64];     // bits 4..5: bits 2s..2s+1 of qh[32h + l]
    int8_t scales[16];
    uint16_t d;
};
struct BlockQ8_K {      // x = d * q,  q in -127..127 (activations only)
    float d;            // f32, not f16
    int8_t qs[256];
    int16_t bsums[16];  // sum of each 16 q's: the dot of the K-quants' min / offset terms
};

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20, "weight_types.h: Q4_0 18, Q4_1 20");
static_assert(sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24, "weight_types.h: Q5_0 22, Q5_1 24");
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36, "weight_types.h: Q8_0 34, Q8_1 36");
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110, "weight_types.h: Q2_K 84, Q3_K 110");
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176, "weight_types.h: Q4_K 144, Q5_K 176");
static_assert(sizeof(BlockQ6_K) == 210 && sizeof(BlockQ8_K) == 292, "weight_types.h: Q6_K 210, Q8_K 292");
static_assert(offsetof(BlockQ2_K, d) == 80 && offsetof(BlockQ3_K, d) == 108 && offsetof(BlockQ6_K, d) == 208);
static_assert(offsetof(BlockQ8_K, qs) == 4 && offsetof(BlockQ8_K, bsums) == 260);

// ---- packed sub-block scales ----------------------------------------------------------------------

// Q4_K / Q5_K: 8 pairs of 6-bit (scale, min) in 12 bytes. Pairs 0..3 sit in the low 6 bits of
// bytes 0..3 (scale) and 4..7 (min); pairs 4..7 keep their low 4 bits in bytes 8..11 (scale low,

// ---- the float side of a K-quant super-block ----------------------------------------------------
// Every kernel (scalar, AVX2, AVX-512; one column or many) sums a super-block's integer products
// exactly (isum: codes x activation codes x sub-block scales; msum: sub-block mins x activation
// sums) and then does only this in float, adding the terms in block order into one float. So the
// K-quant dot products are bit-identical at every level, for every tiling and thread count.
// (The project builds with -ffp-contract=off: these stay separate multiplies and subtractions.)
static inline float kquant_term(float w_d, float a_d, int32_t isum) { return w_d * a_d * float(isum); }
static inline float kquant_term_min(float a_d, float w_d, float w_dmin, int32_t isum, int32_t msum) {
    return a_d * (w_d * float(isum) - w_dmin * float(msum));
}

// min high nibble) and their top 2 bits in the spare top bits of bytes 0..3 (scale) and 4..7 (min).
static inline void k4_scale_min(const uint8_t* s, int j, uint8_t* sc, uint8_t* mn) {
    if (j < 4) {
        *sc = s[j] & 63;
        *mn = s[j + 4] & 63;
    } else {
        *sc = uint8_t((s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4));
        *mn = uint8_t((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
}

// Q3_K: 16 x 6-bit scales in 12 bytes. Low 4 bits: scale j < 8 in the low nibble of byte j, scale
// j >= 8 in the high nibble of byte j - 8. High 2 bits: bits 2(j / 4).. of byte 8 + j % 4.
static inline int q3k_scale(const uint8_t* s, int j) {
    const int low = j < 8 ? (s[j] & 0x0F) : (s[j - 8] >> 4);
    const int high = (s[8 + (j & 3)] >> (2 * (j >> 2))) & 3;
    return (low | (high << 4)) - 32;  // stored with a +32 bias: the result is in -32..31
}

// The inverses, for the quantizer (s zeroed first; sc, mn in 0..63, v in -32..31).
static inline void k4_scale_min_set(uint8_t* s, int j, int sc, int mn) {
    if (j < 4) {
        s[j] |= uint8_t(sc);
        s[j + 4] |= uint8_t(mn);
    } else {
        s[j + 4] |= uint8_t((sc & 0x0F) | ((mn & 0x0F) << 4));
        s[j - 4] |= uint8_t((sc >> 4) << 6);
        s[j] |= uint8_t((mn >> 4) << 6);
    }
}
static inline void q3k_scale_set(uint8_t* s, int j, int v) {
    const int u = v + 32;
    s[j % 8] |= uint8_t(j < 8 ? (u & 0x0F) : (u & 0x0F) << 4);
    s[8 + (j & 3)] |= uint8_t((u >> 4) << (2 * (j >> 2)));
}

// ---- where each element's code lives -------------------------------------------------------------
// The layout comments above, as code: code of element i (0 .. block size - 1), and its inverse for
// the quantizer (which ORs into a zeroed block). The reference paths use these; the SIMD paths
// unpack whole registers at a time in the same order.

static inline int q4_code(const uint8_t* qs, int i) { return i < 16 ? (qs[i] & 0x0F) : (qs[i - 16] >> 4); }
static inline int q5_code(const uint8_t* qs, const uint8_t* qh, int i) {
    return q4_code(qs, i) | (((qh[i / 8] >> (i % 8)) & 1) << 4);
}
static inline void q4_set(uint8_t* qs, int i, int q) { qs[i % 16] |= uint8_t(i < 16 ? q : q << 4); }
static inline void q5_set(uint8_t* qs, uint8_t* qh, int i, int q) {
    q4_set(qs, i, q & 0x0F);
    qh[i / 8] |= uint8_t((q >> 4) << (i % 8));
}

// Q2_K / Q3_K low 2 bits: byte 32h + l, bit pair s, for i = 128h + 32s + l.
static inline int k2_bits(const uint8_t* qs, int i) { return (qs[32 * (i / 128) + i % 32] >> (2 * ((i / 32) % 4))) & 3; }
static inline void k2_set(uint8_t* qs, int i, int q) { qs[32 * (i / 128) + i % 32] |= uint8_t(q << (2 * ((i / 32) % 4))); }
// Q4_K / Q5_K low 4 bits: byte 32c + l, low nibble for i = 64c + l, high for i = 64c + 32 + l.
static inline int k4_bits(const uint8_t* qs, int i) {
    const uint8_t byte = qs[32 * (i / 64) + i % 32];
    return (i % 64) < 32 ? (byte & 0x0F) : (byte >> 4);
}
static inline void k4_set(uint8_t* qs, int i, int q) {
    qs[32 * (i / 64) + i % 32] |= uint8_t((i % 64) < 32 ? q : q << 4);
}
// Q3_K / Q5_K top bit: bit (i / 32) of byte i % 32.
static inline int k_top_bit(const uint8_t* bits, int i) { return (bits[i % 32] >> (i / 32)) & 1; }
static inline void k_top_set(uint8_t* bits, int i, int b) { bits[i % 32] |= uint8_t(b << (i / 32)); }

static inline int q2k_code(const BlockQ2_K& b, int i) { return k2_bits(b.qs, i); }
static inline int q3k_code(const BlockQ3_K& b, int i) { return k2_bits(b.qs, i) | (k_top_bit(b.hmask, i) << 2); }
static inline int q4k_code(const BlockQ4_K& b, int i) { return k4_bits(b.qs, i); }
static inline int q5k_code(const BlockQ5_K& b, int i) { return k4_bits(b.qs, i) | (k_top_bit(b.qh, i) << 4); }

// Q6_K: i = 128h + 32s + l. Low nibble of ql[64h + l] for s = 0, of ql[64h + 32 + l] for s = 1, high
// nibbles of the same bytes for s = 2, 3; top 2 bits: bits 2s..2s+1 of qh[32h + l].
static inline int q6k_code(const BlockQ6_K& b, int i) {
    const int h = i / 128, s = (i / 32) % 4, l = i % 32;
    const uint8_t lo = b.ql[64 * h + 32 * (s & 1) + l];
    const int low4 = s < 2 ? (lo & 0x0F) : (lo >> 4);
    return low4 | (((b.qh[32 * h + l] >> (2 * s)) & 3) << 4);
}
static inline void q6k_set(BlockQ6_K& b, int i, int q) {
    const int h = i / 128, s = (i / 32) % 4, l = i % 32;
    b.ql[64 * h + 32 * (s & 1) + l] |= uint8_t(s < 2 ? (q & 0x0F) : (q & 0x0F) << 4);
    b.qh[32 * h + l] |= uint8_t((q >> 4) << (2 * s));
}

}  // namespace plinth::weight_formats
