// Decoding of weight rows, 32 elements ("a chunk") at a time, for the weight type WTYPE
// (numbered as plinth_weight_type). The including shader declares the weights as binding `W`
// (`uint W[]`) and calls DEFINE_READERS(W) first.
//
//   WTYPE  0 F32   1 F16   2 Q4_0   8 Q8_0   12 Q4_K   14 Q6_K
//
// Block layouts (GGUF): Q4_0 18 bytes {f16 d; 16 bytes of 4-bit codes}, x = d * (q - 8), element
// i < 16 in the low nibble of byte i, i >= 16 in the high nibble of byte i - 16. Q8_0 34 bytes
// {f16 d; int8 q[32]}, x = d * q. Q4_K 144 bytes per 256 elements {f16 d, dmin; 12 bytes of eight
// 6-bit (scale, min) pairs; 128 bytes of codes}, x = d * sc[j] * q - dmin * mn[j] for the 32-element
// sub-block j. Q6_K 210 bytes per 256 {ql[128]; qh[64]; int8 scales[16]; f16 d},
// x = d * scales[i / 16] * (q - 32).

#if WTYPE == 0
#define BLOCK_ELEMS 1u
#define BLOCK_BYTES 4u
#elif WTYPE == 1
#define BLOCK_ELEMS 1u
#define BLOCK_BYTES 2u
#elif WTYPE == 2
#define BLOCK_ELEMS 32u
#define BLOCK_BYTES 18u
#elif WTYPE == 8
#define BLOCK_ELEMS 32u
#define BLOCK_BYTES 34u
#elif WTYPE == 12
#define BLOCK_ELEMS 256u
#define BLOCK_BYTES 144u
#elif WTYPE == 14
#define BLOCK_ELEMS 256u
#define BLOCK_BYTES 210u
#else
#error "unknown WTYPE"
#endif

// Elements 32c .. 32c + 31 of the row at byte address `row` (n elements; past n: 0).
void decode_chunk(uint row, uint c, uint n, out float w[32]) {
#if WTYPE == 0
    uint k0 = c * 32u;
    if (k0 + 32u <= n) {
        uint base = (row >> 2) + k0;
        [[unroll]] for (uint i = 0u; i < 32u; ++i) w[i] = uintBitsToFloat(W[base + i]);
    } else {
        [[unroll]] for (uint i = 0u; i < 32u; ++i) w[i] = k0 + i < n ? W_f32(row + 4u * (k0 + i)) : 0.0;
    }
#elif WTYPE == 1
    uint k0 = c * 32u;
    if (k0 + 32u <= n) {
        [[unroll]] for (uint i = 0u; i < 32u; i += 2u) {
            vec2 v = unpackHalf2x16(W_u32(row + 2u * (k0 + i)));
            w[i] = v.x;
            w[i + 1u] = v.y;
        }
    } else {
        [[unroll]] for (uint i = 0u; i < 32u; ++i) w[i] = k0 + i < n ? W_f16(row + 2u * (k0 + i)) : 0.0;
    }
#elif WTYPE == 2
    uint b = row + 18u * c;
    float d = W_f16(b);
    [[unroll]] for (uint i = 0u; i < 16u; i += 4u) {
        uint q4 = W_u32(b + 2u + i);
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            uint byte = (q4 >> (8u * j)) & 0xFFu;
            w[i + j] = d * float(int(byte & 15u) - 8);
            w[i + j + 16u] = d * float(int(byte >> 4) - 8);
        }
    }
#elif WTYPE == 8
    uint b = row + 34u * c;
    float d = W_f16(b);
    [[unroll]] for (uint i = 0u; i < 32u; i += 4u) {
        int q4 = int(W_u32(b + 2u + i));
        [[unroll]] for (uint j = 0u; j < 4u; ++j) w[i + j] = d * float(bitfieldExtract(q4, int(8u * j), 8));
    }
#elif WTYPE == 12
    uint b = row + 144u * (c >> 3);
    uint j = c & 7u;
    float d = W_f16(b);
    float dmin = W_f16(b + 2u);
    uint sc, mn;
    if (j < 4u) {
        sc = W_u8(b + 4u + j) & 63u;
        mn = W_u8(b + 8u + j) & 63u;
    } else {
        uint s_hi = W_u8(b + 4u + j + 4u);
        sc = (s_hi & 15u) | ((W_u8(b + 4u + j - 4u) >> 6) << 4);
        mn = (s_hi >> 4) | ((W_u8(b + 4u + j) >> 6) << 4);
    }
    float dsc = d * float(sc);
    float dmn = dmin * float(mn);
    uint qs = b + 16u + 32u * (j >> 1);
    uint shift = (j & 1u) * 4u;
    [[unroll]] for (uint l = 0u; l < 32u; l += 4u) {
        uint q4 = W_u32(qs + l);
        [[unroll]] for (uint k = 0u; k < 4u; ++k) w[l + k] = dsc * float((q4 >> (8u * k + shift)) & 15u) - dmn;
    }
#elif WTYPE == 14
    uint b = row + 210u * (c >> 3);
    uint j = c & 7u;
    uint h = j >> 2, s = j & 3u;
    float d = W_f16(b + 208u);
    uint ql = b + 64u * h + 32u * (s & 1u);
    uint qh = b + 128u + 32u * h;
    uint lo_shift = s < 2u ? 0u : 4u;
    uint hi_shift = 2u * s;
    uint sc_word = W_u32(b + 192u + 2u * j);  // int8 scales of the two 16-element halves
    float d0 = d * float(bitfieldExtract(int(sc_word), 0, 8));
    float d1 = d * float(bitfieldExtract(int(sc_word), 8, 8));
    [[unroll]] for (uint l = 0u; l < 32u; l += 4u) {
        uint lo4 = W_u32(ql + l);
        uint hi4 = W_u32(qh + l);
        float dl = l < 16u ? d0 : d1;
        [[unroll]] for (uint k = 0u; k < 4u; ++k) {
            int q = int(((lo4 >> (8u * k + lo_shift)) & 15u) | (((hi4 >> (8u * k + hi_shift)) & 3u) << 4));
            w[l + k] = dl * float(q - 32);
        }
    }
#endif
}

// The integer form of a chunk, for the dot products with quantized activations (WTYPE 2, 8, 12,
// 14): the codes q[32] (signed, the format's bias taken off, except Q4_K's 0..15) and the scales:
//   Q4_0, Q8_0  x = d * q
//   Q4_K        x = d * s0 * q - dm * s1            (s0 = the sub-block's scale, s1 = its min)
//   Q6_K        x = d * s0 * q (i < 16), d * s1 * q (i >= 16)
#if WTYPE >= 2
void decode_chunk_q(uint row, uint c, out int q[32], out float d, out float dm, out int s0, out int s1) {
    dm = 0.0;
    s0 = 1;
    s1 = 0;
#if WTYPE == 2
    uint b = row + 18u * c;
    d = W_f16(b);
    [[unroll]] for (uint i = 0u; i < 16u; i += 4u) {
        uint q4 = W_u32(b + 2u + i);
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            uint byte = (q4 >> (8u * j)) & 0xFFu;
            q[i + j] = int(byte & 15u) - 8;
            q[i + j + 16u] = int(byte >> 4) - 8;
        }
    }
#elif WTYPE == 8
    uint b = row + 34u * c;
    d = W_f16(b);
    [[unroll]] for (uint i = 0u; i < 32u; i += 4u) {
        int q4 = int(W_u32(b + 2u + i));
        [[unroll]] for (uint j = 0u; j < 4u; ++j) q[i + j] = bitfieldExtract(q4, int(8u * j), 8);
    }
#elif WTYPE == 12
    uint b = row + 144u * (c >> 3);
    uint j = c & 7u;
    d = W_f16(b);
    dm = W_f16(b + 2u);
    uint sc, mn;
    if (j < 4u) {
        sc = W_u8(b + 4u + j) & 63u;
        mn = W_u8(b + 8u + j) & 63u;
    } else {
        uint s_hi = W_u8(b + 4u + j + 4u);
        sc = (s_hi & 15u) | ((W_u8(b + 4u + j - 4u) >> 6) << 4);
        mn = (s_hi >> 4) | ((W_u8(b + 4u + j) >> 6) << 4);
    }
    s0 = int(sc);
    s1 = int(mn);
    uint qs = b + 16u + 32u * (j >> 1);
    uint shift = (j & 1u) * 4u;
    [[unroll]] for (uint l = 0u; l < 32u; l += 4u) {
        uint q4 = W_u32(qs + l);
        [[unroll]] for (uint k = 0u; k < 4u; ++k) q[l + k] = int((q4 >> (8u * k + shift)) & 15u);
    }
#elif WTYPE == 14
    uint b = row + 210u * (c >> 3);
    uint j = c & 7u;
    uint h = j >> 2, s = j & 3u;
    d = W_f16(b + 208u);
    uint ql = b + 64u * h + 32u * (s & 1u);
    uint qh = b + 128u + 32u * h;
    uint lo_shift = s < 2u ? 0u : 4u;
    uint hi_shift = 2u * s;
    uint sc_word = W_u32(b + 192u + 2u * j);
    s0 = bitfieldExtract(int(sc_word), 0, 8);
    s1 = bitfieldExtract(int(sc_word), 8, 8);
    [[unroll]] for (uint l = 0u; l < 32u; l += 4u) {
        uint lo4 = W_u32(ql + l);
        uint hi4 = W_u32(qh + l);
        [[unroll]] for (uint k = 0u; k < 4u; ++k)
            q[l + k] = int(((lo4 >> (8u * k + lo_shift)) & 15u) | (((hi4 >> (8u * k + hi_shift)) & 3u) << 4)) - 32;
    }
#endif
}
#endif
