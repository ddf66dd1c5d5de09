#pragma once
// Internal to the SIMD kernel files: what a kernel's layout of its activation columns was made
// from, so that a thread lays the same columns out only once. Decoding calls a kernel once per tile
// with the same columns (and the q/k/v or gate/up matrices share them), so a copy and a memcmp
// replace the layout (the VBMI Q4_0 row kernel's one column; the panel driver's one panel).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace plinth::quant::detail {
namespace {

// A copy of the columns' bytes, and the layout's shape (blocks per column, columns).
struct LaidOutFrom {
    std::vector<uint8_t> bytes;
    int64_t nb = -1;  // -1: nothing laid out, or the layout was overwritten
    int nc = 0;

    bool same(const uint8_t* a, size_t a_stride, int64_t blocks, int columns, size_t column_bytes) const {
        if (nb != blocks || nc != columns) return false;
        for (int c = 0; c < columns; ++c)
            if (std::memcmp(&bytes[size_t(c) * column_bytes], a + size_t(c) * a_stride, column_bytes) != 0) return false;
        return true;
    }
    void keep(const uint8_t* a, size_t a_stride, int64_t blocks, int columns, size_t column_bytes) {
        bytes.resize(size_t(columns) * column_bytes);
        for (int c = 0; c < columns; ++c) std::memcpy(&bytes[size_t(c) * column_bytes], a + size_t(c) * a_stride, column_bytes);
        nb = blocks;
        nc = columns;
    }
};

}  // namespace
}  // namespace plinth::quant::detail
