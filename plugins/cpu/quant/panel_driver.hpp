#pragma once
// Internal to the SIMD kernel files: the driver of the column-panel (prefill) kernels, for any
// vector width. Header-only with internal linkage and no intrinsics of its own (it is compiled with
// each file's -m flags; see block_layouts.hpp).
//
// quant::gemm by panels of Panel::kCols activation columns: Panel::build lays a panel out (the
// columns in the lanes of Panel::Vec), then rows in groups of Panel::kRows make passes over
// Panel::kChunk blocks each, with Panel::kAcc accumulators (Panel::Acc) per row kept between
// passes; Panel::store(lanes, Panel::result(a row's accumulators)) gives the row's kCols column
// sums. Columns that do not fill a panel (fewer than Panel::kMinCols left over: there the panel
// costs more than it saves), and columns too far apart for the panel's gathers (32-bit byte
// offsets of up to kCols - 1 column strides), go to Plain::gemm. A call whose columns fit one panel
// reuses the panel its thread laid out last when the columns' bytes are the same (LaidOutFrom).
#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "laid_out_from.hpp"
#include "row_groups.hpp"

namespace plinth::quant::detail {
namespace {

template <class Panel, class Plain>
void panel_gemm(int64_t rows, int64_t n, const void* wv, size_t w_stride, int64_t cols, const void* av, size_t a_stride,
                float* out, int64_t out_stride) {
    using W = typename Panel::Weights;
    using Vec = typename Panel::Vec;
    using Acc = typename Panel::Acc;
    constexpr int kCols = Panel::kCols;
    const int64_t paneled = cols / kCols * kCols + (cols % kCols >= Panel::kMinCols ? cols % kCols : 0);
    if (rows <= 0 || n == 0 || paneled == 0 || a_stride > size_t(INT32_MAX) / kCols)
        return Plain::gemm(rows, n, wv, w_stride, cols, av, a_stride, out, out_stride);
    if (paneled < cols)
        Plain::gemm(rows, n, wv, w_stride, cols - paneled, static_cast<const uint8_t*>(av) + size_t(paneled) * a_stride,
                    a_stride, out + paneled * out_stride, out_stride);
    const int64_t nb = n / Panel::kBlockElems;
    const auto* abase = static_cast<const uint8_t*>(av);
    struct alignas(alignof(Vec)) VecBox { Vec v; };  // (a std::vector of a bare vector type drops its alignment)
    struct alignas(alignof(Acc)) AccBox { Acc v; };
    thread_local std::vector<VecBox> panel_store;
    thread_local std::vector<AccBox> acc_store;
    // The columns the panel in panel_store was laid out from, when one panel held all of a call's
    // columns (a server's decoding batch; a short prompt): the tiles of a matrix, and the q/k/v
    // or gate/up matrices after it, read the same columns, so each thread lays them out once.
    thread_local LaidOutFrom laid_out;
    if (panel_store.size() < size_t(nb * Panel::kPer)) panel_store.resize(size_t(nb * Panel::kPer));
    if (acc_store.size() < size_t(rows * Panel::kAcc)) acc_store.resize(size_t(rows * Panel::kAcc));
    Vec* const panel = &panel_store[0].v;
    Acc* const acc = &acc_store[0].v;
    const size_t column_bytes = size_t(nb) * sizeof(typename Panel::ActivationBlock);
    for (int64_t c0 = 0; c0 < paneled; c0 += kCols) {
        const int nc = int(std::min<int64_t>(kCols, paneled - c0));
        const uint8_t* const columns = abase + size_t(c0) * a_stride;
        if (paneled > kCols) {
            laid_out.nb = -1;
            Panel::build(panel, nb, columns, a_stride, nc);
        } else if (!laid_out.same(columns, a_stride, nb, nc, column_bytes)) {
            Panel::build(panel, nb, columns, a_stride, nc);
            laid_out.keep(columns, a_stride, nb, nc, column_bytes);
        }
        for (int64_t b0 = 0; b0 < nb; b0 += Panel::kChunk) {
            const int64_t b1 = std::min(nb, b0 + Panel::kChunk);
            for_row_groups<Panel::kRows>(rows, [&]<int R>(int64_t r) {
                const W* w[R];
                row_pointers(w, wv, w_stride, r);
                // The first column group reads the tile's weights from memory: it asks for the next
                // row group's blocks ahead of time (the later groups find them in cache).
                Panel::template rows_pass<R>(w, panel, b0, b1, acc + r * Panel::kAcc, c0 == 0 ? size_t(R) * w_stride : 0);
            });
        }
        for (int64_t r = 0; r < rows; ++r) {
            alignas(64) float lanes[kCols];
            Panel::store(lanes, Panel::result(acc + r * Panel::kAcc));
            for (int c = 0; c < nc; ++c) out[(c0 + c) * out_stride + r] = lanes[c];
        }
    }
}

}  // namespace
}  // namespace plinth::quant::detail
