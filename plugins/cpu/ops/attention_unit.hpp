#pragma once
// One work unit of ATTENTION (op_attention.cpp schedules them): a token's query heads of one KV
// head group, against every cached position of the token's sequence up to its own.
#include <cstddef>
#include <cstdint>

namespace plinth::cpu {

// Query heads per unit at most (op_attention splits larger groups).
constexpr int64_t kMaxHeadsPerUnit = 64;

struct attention_unit {
    const float* q;           // nh query rows of head_dim; over an F16 cache, values already F16
    int64_t nh, head_dim;
    int64_t first;            // the first position attended (> 0 with a sliding window)
    int64_t count;            // positions first .. first + count - 1
    int64_t block;            // cache block size (positions)
    const int32_t* blocks;    // the sequence's cache blocks, in position order
    const void* k;            // cache bases: F16 (f16 true) or F32
    const void* v;
    size_t kv_row;            // elements per cache row (all KV heads)
    size_t head_offset;       // the KV head's first element in a row
    float scale;
    float softcap;            // 0: none; else each score s becomes softcap * tanh(s / softcap)
    bool f16;
    float* scores;            // scratch: nh * count
    float* kbuf;              // scratch: 4 * head_dim
    uint16_t* acc16;          // scratch: nh * head_dim
    float* out;               // nh * head_dim results
    // Optional (F16 cache): the sequence's K rows widened to double once for all its units, row p
    // for position p (kv_row doubles per row, this head at head_offset); null: widen per unit.
    const double* k_wide = nullptr;
};

// Whether attend() would use k_wide for units of this shape (so op_attention only builds it then).
bool attend_uses_wide_k(bool f16, int64_t head_dim);
// Widens F16 cache rows to double: dst[i] = src[i], exactly.
void widen_f16_to_f64(const uint16_t* src, double* dst, int64_t n);

// The arithmetic is in op_attention.cpp's header comment; an AVX-512 path gives the same bits.
void attend(const attention_unit& u);

}  // namespace plinth::cpu
