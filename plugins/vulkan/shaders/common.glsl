// Shared by every plinth compute shader.
//
// Bindings: 0 = dst, 1..6 = src0..src5, 7 = the aux buffer (word 0: the lowest index of a node that
// met an out-of-range index value, 0xFFFFFFFF when none; from word 4: per-node constants such as
// ROPE's frequencies). Every tensor buffer is read as 32-bit words: 8- and 16-bit storage access
// is an optional feature, so bytes and halves are extracted with shifts, and half writes that
// share a word with another tensor or row go through atomics.
//
// A descriptor binds a tensor's buffer from its offset rounded down to the device's storage
// alignment; pc.off[b] is the byte offset of the tensor inside binding b.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require

#define WG 64

// F64 = 1 in the variants built for devices with shaderFloat64 (the "_nof64" variants have 0).
#ifndef F64
#define F64 0
#endif

layout(local_size_x = WG, local_size_y = 1, local_size_z = 1) in;

layout(push_constant) uniform Params {
    uint off[7];   // byte offset of the tensor in binding 0..6
    uint node;     // index of the node in its graph (for the error word)
    uint total;    // work items of this dispatch (workgroups or invocations, per shader)
    uint aux_off;  // word offset of this node's constants in the aux buffer
    uint u[12];    // integer parameters, per shader
    float f[4];    // float parameters, per shader
} pc;

layout(std430, set = 0, binding = 7) coherent buffer AuxBuffer { uint aux[]; };

// Marks this node as having met an index value out of range (the host reports the lowest node).
void flag_error() { atomicMin(aux[0], pc.node); }

// Workgroups are dispatched as a 2-D grid (x at most 65535); this is the linear index.
uint group_index() { return gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x; }
uint invocation_index() { return group_index() * WG + gl_LocalInvocationID.x; }

// f32 -> f16 bits, round to nearest even (the CPU backend's rounding; packHalf2x16 leaves the
// rounding to the implementation). Overflow gives inf, NaN stays NaN.
uint f32_to_f16(float v) {
    uint x = floatBitsToUint(v);
    uint sign = (x >> 16) & 0x8000u;
    uint ax = x & 0x7FFFFFFFu;
    if (ax >= 0x7F800000u) return sign | 0x7C00u | (ax > 0x7F800000u ? 0x200u | ((ax >> 13) & 0x3FFu) : 0u);
    if (ax >= 0x477FF000u) return sign | 0x7C00u;  // rounds to >= 65520: inf
    if (ax < 0x38800000u) {                          // below 2^-14: subnormal half (or zero)
        if (ax < 0x33000000u) return sign;           // below 2^-25: rounds to 0
        uint e = ax >> 23;
        uint m = (ax & 0x7FFFFFu) | 0x800000u;
        uint shift = 126u - e;                       // 14..24
        uint h = m >> shift;  // value = m * 2^(e - 150) = h * 2^-24
        uint rem = m & ((1u << shift) - 1u);
        uint halfway = 1u << (shift - 1u);
        if (rem > halfway || (rem == halfway && (h & 1u) != 0u)) h += 1u;
        return sign | h;
    }
    uint h = ((ax - 0x38000000u) >> 13);             // rebias 127 -> 15
    uint rem = ax & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u) != 0u)) h += 1u;
    return sign | h;
}

float f16_to_f32(uint h) { return unpackHalf2x16(h).x; }
// v rounded to the nearest F16 value (ties to even), as a float.
float f16_round(float v) { return f16_to_f32(f32_to_f16(v)); }

// ---- exact float arithmetic without fma (Vulkan promises neither a fused fma nor correctly
// rounded division or sqrt; it does promise correctly rounded add, subtract and multiply, and
// `precise` forbids contracting them). These give the results the CPU backend gets from IEEE
// division, sqrt and fma, so that a quantizer downstream sees the same floats.

// Veltkamp's split: a = hi + lo, each half exactly multipliable.
vec2 split(float a) {
    precise float c = 4097.0 * a;
    precise float hi = c - (c - a);
    precise float lo = a - hi;
    return vec2(hi, lo);
}
// Dekker's product: a * b = p + e exactly (x = p, y = e).
vec2 two_prod(float a, float b) {
    precise float p = a * b;
    vec2 as = split(a), bs = split(b);
    precise float e = ((as.x * bs.x - p) + as.x * bs.y + as.y * bs.x) + as.y * bs.y;
    return vec2(p, e);
}
// Knuth's sum: a + b = s + e exactly.
vec2 two_sum(float a, float b) {
    precise float s = a + b;
    precise float v = s - a;
    precise float e = (a - (s - v)) + (b - v);
    return vec2(s, e);
}
// fma(a, b, c) rounded once (up to the rare double rounding of the last addition).
float fma_rn(float a, float b, float c) {
    vec2 p = two_prod(a, b);
    vec2 s = two_sum(p.x, c);
    precise float r = s.x + (s.y + p.y);
    return r;
}
// fma(a, b, c) rounded once, always (F64 = 1). GLSL's fma() may be a multiply and an add (lavapipe
// splits it), so it is not used. The product is exact in double (24 + 24 bits); the sum p + c is
// rounded to odd in double (to the neighbour with an odd last bit when inexact), and a
// round-to-odd value of 53 bits rounds to the nearest float as the exact value would.
// Without doubles: fma_rn.
float fma_exact(float a, float b, float c) {
#if F64
    precise double p = double(a) * double(b);
    precise double dc = double(c);
    precise double s = p + dc;
    precise double v = s - p;
    precise double e = (p - (s - v)) + (dc - v);  // p + c = s + e exactly
    if (e != 0.0) {
        uvec2 bits = unpackDouble2x32(s);  // x: low word
        if ((bits.x & 1u) == 0u) {
            if ((e > 0.0) == (s > 0.0)) {
                bits.x += 1u;  // one unit away from zero (the low word is even: no carry)
            } else if (bits.x != 0u) {
                bits.x -= 1u;
            } else {
                bits.x = 0xFFFFFFFFu;
                bits.y -= 1u;
            }
            s = packDouble2x32(bits);
        }
    }
    return float(s);
#else
    return fma_rn(a, b, c);
#endif
}
// a / b correctly rounded (b finite, != 0): the device's quotient, corrected by its exact residual.
float div_rn(float a, float b) {
    precise float q = a / b;
    vec2 p = two_prod(q, b);
    precise float r = (a - p.x) - p.y;
    precise float out_q = q + r / b;
    return out_q;
}
// (hi + lo) / n for a double-float numerator, rounded to float.
float div_df(vec2 num, float n) {
    precise float q = num.x / n;
    vec2 p = two_prod(q, n);
    precise float r = ((num.x - p.x) - p.y) + num.y;
    precise float out_q = q + r / n;
    return out_q;
}
// sqrt(a) correctly rounded (a >= 0).
float sqrt_rn(float a) {
    if (a <= 0.0) return sqrt(a);
    precise float s = sqrt(a);
    vec2 p = two_prod(s, s);
    precise float r = (a - p.x) - p.y;
    precise float out_s = s + r / (2.0 * s);
    return out_s;
}
// exp(x) to about 1 ulp (the GPU's exp may be off by 3 + 2|x| ulp): x = k ln2 + r, |r| <= ln2 / 2,
// a degree-7 polynomial for exp(r), scaled by 2^k.
float exp_acc(float x) {
    if (x < -104.0) return 0.0;
    if (x > 88.8) return uintBitsToFloat(0x7F800000u);
    float k = round(x * 1.44269504);
    precise float r = (x - k * 0.693145751953125) - k * 1.42860676533018e-06;
    precise float p = 1.0 + r * (1.0 + r * (0.5 + r * (0.166666667 + r * (0.0416666667 + r * (0.00833333333 + r * (0.00138888889 + r * 0.000198412698))))));
    return ldexp(p, int(k));
}

// exp(x) in double, rounded once (F64 = 1; else exp_acc): the CPU backend's exp_float
// (plugins/cpu/ops/vec.hpp), operation for operation, so both give the same bits: x clamped to
// [-104, 88.8]; k = x log2(e) rounded to even in float; r = (x - k ln2_hi) - k ln2_lo (k ln2_hi
// exact); exp(r) by its Taylor series to r^13 / 13! in Horner form; times 2^k.
#if F64
double exp_wide(float x) {
    x = x < -104.0 ? -104.0 : x;
    x = x > 88.8 ? 88.8 : x;
    precise float t = x * 1.44269504;
    float k_float = roundEven(t);
    int k_int = int(k_float);
    double k = double(k_float);
    precise double r = (double(x) - k * 6.93147180369123816490e-01LF) - k * 1.90821492927058770002e-10LF;
    precise double p = 1.0LF / 6227020800.0LF;
    p = p * r + 1.0LF / 479001600.0LF;
    p = p * r + 1.0LF / 39916800.0LF;
    p = p * r + 1.0LF / 3628800.0LF;
    p = p * r + 1.0LF / 362880.0LF;
    p = p * r + 1.0LF / 40320.0LF;
    p = p * r + 1.0LF / 5040.0LF;
    p = p * r + 1.0LF / 720.0LF;
    p = p * r + 1.0LF / 120.0LF;
    p = p * r + 1.0LF / 24.0LF;
    p = p * r + 1.0LF / 6.0LF;
    p = p * r + 0.5LF;
    p = p * r + 1.0LF;
    p = p * r + 1.0LF;
    precise double e = p * packDouble2x32(uvec2(0u, uint(k_int + 1023) << 20));  // times 2^k
    return e;
}
#endif

float exp_float(float x) {
#if F64
    return float(exp_wide(x));
#else
    return exp_acc(x);
#endif
}

// tanh(x) in double, rounded once (F64 = 1; else GLSL's tanh): (e - 1) / (e + 1) with e = exp(2|x|),
// x - x^3 / 3 where that cancels (|x| < 2^-12), 1 past 9.1 (where float tanh is 1): the soft-caps'
// tanh, which the CPU takes from the C library (both within an ulp, nearly always the same bits).
float tanh_float(float x) {
#if F64
    float a = abs(x);
    double y;
    if (a > 9.1) {
        y = 1.0LF;
    } else if (a < 0.000244140625) {
        double d = double(a);
        y = d - d * d * d / 3.0LF;
    } else {
        double e = exp_wide(2.0 * a);
        y = (e - 1.0LF) / (e + 1.0LF);
    }
    return x < 0.0 ? -float(y) : float(y);
#else
    return tanh(x);
#endif
}

// Double-float accumulation: acc (hi, lo) + v.
vec2 add_df_f(vec2 acc, float v) {
    vec2 s = two_sum(acc.x, v);
    precise float lo = s.y + acc.y;
    return two_sum(s.x, lo);
}
vec2 add_df_df(vec2 a, vec2 b) {
    vec2 s = two_sum(a.x, b.x);
    precise float lo = s.y + a.y + b.y;
    return two_sum(s.x, lo);
}

// Readers of binding `buf` (declared as `uint buf[]`) at byte address a: u8, u16 (a even),
// u32 (any a), f16 (a even), f32 (a % 4 == 0).
#define DEFINE_READERS(buf)                                                                      \
    uint buf##_u8(uint a) { return (buf[a >> 2] >> ((a & 3u) * 8u)) & 0xFFu; }                  \
    uint buf##_u16(uint a) { return (buf[a >> 2] >> ((a & 2u) * 8u)) & 0xFFFFu; }                \
    uint buf##_u32(uint a) {                                                                     \
        uint w = a >> 2;                                                                         \
        uint sh = (a & 3u) * 8u;                                                                 \
        if (sh == 0u) return buf[w];                                                             \
        return (buf[w] >> sh) | (buf[w + 1u] << (32u - sh));                                     \
    }                                                                                            \
    float buf##_f16(uint a) { return f16_to_f32(buf##_u16(a)); }                                 \
    float buf##_f32(uint a) { return uintBitsToFloat(buf[a >> 2]); }

// Writes word w of binding `buf` from its low and high halves, each only when it belongs to what
// the caller writes (lo_in / hi_in). A word written whole is stored; a word shared with other data
// is updated with atomics on its own half only, so neighbouring rows written at the same time
// stay intact.
#define DEFINE_HALF_WRITER(buf)                                                                  \
    void buf##_write_halves(uint w, uint lo_bits, bool lo_in, uint hi_bits, bool hi_in) { \
        if (lo_in && hi_in) {                                                                    \
            buf[w] = lo_bits | (hi_bits << 16);                                                  \
        } else if (lo_in) {                                                                      \
            atomicAnd(buf[w], 0xFFFF0000u);                                                      \
            atomicOr(buf[w], lo_bits);                                                           \
        } else if (hi_in) {                                                                      \
            atomicAnd(buf[w], 0x0000FFFFu);                                                      \
            atomicOr(buf[w], hi_bits << 16);                                                     \
        }                                                                                        \
    }
