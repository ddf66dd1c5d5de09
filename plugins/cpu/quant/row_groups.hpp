#pragma once
// Internal to the SIMD kernel files: a matrix's rows taken a fixed number at a time, so that a
// kernel templated on that number keeps each row's sums in registers and their chains interleave.
// Header-only with internal linkage (it is compiled with each file's own -m flags; see
// block_layouts.hpp).
#include <cstddef>
#include <cstdint>

namespace plinth::quant::detail {
namespace {

// Calls group.template operator()<G>(r) for r = 0, G, 2G, ... while G rows remain, then once with
// the 1 .. G - 1 rows left (G <= 4).
template <int G, class Group>
void for_row_groups(int64_t rows, Group&& group) {
    static_assert(G >= 1 && G <= 4, "groups of 1 to 4 rows");
    int64_t r = 0;
    for (; r + G <= rows; r += G) group.template operator()<G>(r);
    switch (rows - r) {
    case 3:
        if constexpr (G > 3) group.template operator()<3>(r);
        break;
    case 2:
        if constexpr (G > 2) group.template operator()<2>(r);
        break;
    case 1:
        if constexpr (G > 1) group.template operator()<1>(r);
        break;
    default: break;
    }
}

// Rows r .. r + R - 1 of a matrix of W blocks starting at base, stride bytes apart.
template <class W, int R>
void row_pointers(const W* (&w)[R], const void* base, size_t stride, int64_t r) {
    for (int i = 0; i < R; ++i) w[i] = reinterpret_cast<const W*>(static_cast<const uint8_t*>(base) + size_t(r + i) * stride);
}

}  // namespace
}  // namespace plinth::quant::detail
