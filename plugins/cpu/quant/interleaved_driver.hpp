#pragma once
// Internal to the interleaved kernel files (gemm_*_x16_*.cpp): the walk every one of them makes
// over an interleaved matrix, group by group and, per group, column pass by column pass. Header-only
// with internal linkage and no intrinsics (it is compiled with each file's -m flags; see
// block_layouts.hpp).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "interleaved_layout.hpp"

namespace plinth::quant::detail {
namespace {

// For each group of 16 rows and each pass of at most kMaxPass columns: pass.template
// operator()<C>(group, a, t, o) with C the pass's column count (a template argument, so the kernel
// keeps C columns' sums in registers), group the group's first byte, and per column c < C its
// activation blocks a[c] (as Act), its terms t[c] and where its 16 results go, o[c].
template <int kMaxPass, class Act, class Pass>
void for_each_pass(int64_t groups, size_t group_bytes, const uint8_t* packed, int64_t cols, const uint8_t* act,
                   size_t act_stride, const uint8_t* terms, size_t terms_stride, float* out, int64_t out_stride,
                   Pass&& pass) {
    for (int64_t g = 0; g < groups; ++g) {
        const uint8_t* group = packed + size_t(g) * group_bytes;
        for (int64_t c0 = 0; c0 < cols; c0 += kMaxPass) {
            const int n = int(std::min<int64_t>(kMaxPass, cols - c0));
            const Act* a[kMaxPass];
            const uint8_t* t[kMaxPass];
            float* o[kMaxPass];
            for (int c = 0; c < n; ++c) {
                a[c] = reinterpret_cast<const Act*>(act + size_t(c0 + c) * act_stride);
                t[c] = terms + size_t(c0 + c) * terms_stride;
                o[c] = out + (c0 + c) * out_stride + g * interleaved::kRows;
            }
            [&]<int... C>(std::integer_sequence<int, C...>) {  // n as a template argument
                ((n == C + 1 ? pass.template operator()<C + 1>(group, a, t, o) : void()), ...);
            }(std::make_integer_sequence<int, kMaxPass>{});
        }
    }
}

}  // namespace
}  // namespace plinth::quant::detail
