// MATMUL: dst[j, t] = sum_k W[k, j] * X[k, t] for weights W [K, N] of any supported type.
//
// 1. Each activation column X[:, t] is converted once into the format the weight type's dot
//    product takes (weight_formats::activation_type: Q8_0, Q8_1 or Q8_K; F16 for F16 weights,
//    as the reference does; F32 and BF16 weights read X as it is). The columns are split across
//    the threads.
// 2. The output is cut into tiles of rows x columns; the threads take tiles from a shared
//    counter (decoding: each from its own contiguous run of tiles first). A tile is one
//    quant::gemm call: the tile's weight rows stay in cache while the columns stream past, a few
//    at a time, each weight block unpacked once per group of columns (bit for bit the
//    per-column dot products). With one column (decoding) the tiles are row blocks; with many,
//    column blocks too, and more of them when there are few row blocks for the threads.
// Every output element is one quant dot product, so the result does not depend on the tiling or
// the number of threads.
//
// Weights the host mapped as weights (buffer_wrap_weights) are read, where the kernels have a layout
// of their own for the type and shape (Q4_0, Q8_0, Q4_K, Q5_K, Q6_K with a multiple of 16 rows),
// from a copy in that layout made on the matrix's first MATMUL (interleaved_weights.hpp); its tiles
// are whole groups of 16 rows, and each activation column comes with the terms those kernels take
// (quant::column_terms). The copies give the same bits, in the same summation orders.
//
// Summation order: a Q4_0 matrix whose row count is a multiple of 8 is summed in
// quant::sum_order::blocks (one fused multiply-add chain over whole-block integer sums), every other
// matrix in the type's default order. The reference (llama.cpp's CPU backend on x86 with AVX2)
// interleaves such Q4_0 matrices into groups of 8 rows and sums them that way, for one token and for
// many; a quantized model turns the rounding difference between the two orders into code steps of
// the next activation quantizer (docs/quantization.md, "Dot products").
#include "ops.hpp"

#include "../cpu_buffer.hpp"
#include "../quant/cpu_kernels.hpp"

#include <algorithm>

namespace plinth::cpu {
namespace {

// One MATMUL's tiles, over an activation already in its dot product's format.
struct matmul_tiles {
    const tensor_view* w = nullptr;
    float* d = nullptr;
    int64_t N = 0, K = 0, T = 0;
    int64_t rows_per_tile = 0, row_tiles = 0, cols_per_tile = 0, col_tiles = 0;
    quant::sum_order order = quant::sum_order::lanes;
    const void* interleaved = nullptr;  // the weights' copy in the kernels' layout, if they have one
    size_t terms_offset = 0;            // where its type's terms sit in each column's

    int64_t count() const { return row_tiles * col_tiles; }

    void run(int64_t i, const char* act, size_t act_stride, const char* terms, size_t terms_stride) const {
        const int64_t r0 = (i % row_tiles) * rows_per_tile;
        const int64_t rows = std::min(rows_per_tile, N - r0);
        const int64_t c0 = (i / row_tiles) * cols_per_tile;
        const int64_t c1 = std::min(T, c0 + cols_per_tile);
        if (interleaved)
            quant::gemm_interleaved(w->type, K, interleaved, r0, rows, c1 - c0, act + size_t(c0) * act_stride, act_stride,
                                    terms + size_t(c0) * terms_stride + terms_offset, terms_stride, d + c0 * N + r0, N);
        else
            quant::gemm(w->type, rows, K, w->data + size_t(r0) * w->row_bytes, w->row_bytes, c1 - c0,
                        act + size_t(c0) * act_stride, act_stride, d + c0 * N + r0, N, order);
    }
};

// The copy of a weight matrix in the kernels' interleaved layout, made now if this is its first
// use (on the pool's threads); null unless the matrix is in a buffer of mapped weights and the
// kernels have a layout for its type and shape.
const void* interleaved_copy(compute_context& ctx, const tensor_view& w) {
    if (w.buffer == nullptr || !w.buffer->interleaved) return nullptr;
    return w.buffer->interleaved->get(w.data, w.type, w.rows, w.ne0, w.row_bytes, [&](int64_t count, const auto& body) {
        ctx.pool->parallel_for(count, 1, [&](int64_t i0, int64_t i1, unsigned) { body(i0, i1); });
    });
}

matmul_tiles plan(compute_context& ctx, const node_view& n, unsigned threads) {
    matmul_tiles m;
    m.w = &n.src[0];
    m.interleaved = interleaved_copy(ctx, n.src[0]);
    m.d = n.dst.as<float>();
    m.K = n.src[0].ne0;
    m.N = n.src[0].rows;
    m.T = n.src[1].rows;
    // Row block: with two columns or more about 512 KiB of weights, which stay in L2 while the
    // tile's columns pass; the multi-column kernel lays the columns out again for every tile (when
    // they take more than one panel; one panel's worth is kept per thread), so fewer, larger tiles
    // cost less (pp128 1.1B Q8_0: 64 KiB tiles 104 t/s, 512 KiB 123; pp3 1.1B
    // Q4_0 at the avx2 level: 18 -> 22.5 t/s). One column (decoding) reads each weight once:
    // small tiles (64 KiB) only serve to share the rows evenly (each thread streams its own run
    // of them, and steals from the other's end when it is done). Tiles are
    // of equal height (a multiple of 4 rows, the decode kernels' group), so that no thread is left
    // with one large tile while the other has finished.
    const int64_t want_tiles = int64_t(threads) * 4;
    const uint64_t tile_bytes = m.T >= 2 ? 512 * 1024 : 64 * 1024;
    const int64_t max_rows = std::clamp<int64_t>(int64_t(tile_bytes / std::max<uint64_t>(m.w->row_bytes, 1)), 1, 4096);
    int64_t tiles = (m.N + max_rows - 1) / max_rows;
    // A few columns (the sequences of a server's decoding batch: at most one column panel): every
    // tile takes them all, so that each weight is read once and the panel kernels see whole
    // panels; the threads share the work by rows instead (16 rows at least, to pay for laying the
    // panel out). Splitting the columns instead sent tiles of 1-2 columns to the per-column
    // kernels: 8 sequences of the 134M model decoded at 1.6x one sequence's rate.
    const bool few_columns = m.T > 1 && m.T <= 16;
    if (few_columns) tiles = std::max(tiles, std::min<int64_t>(want_tiles, (m.N + 15) / 16));
    const int64_t row_unit = m.interleaved ? 16 : 4;  // the interleaved layout's groups
    m.rows_per_tile = std::min<int64_t>(m.N, ((m.N + tiles - 1) / tiles + row_unit - 1) / row_unit * row_unit);
    m.row_tiles = (m.N + m.rows_per_tile - 1) / m.rows_per_tile;
    m.cols_per_tile = std::min<int64_t>(m.T, 64);
    while (!few_columns && m.cols_per_tile > 1 && m.row_tiles * ((m.T + m.cols_per_tile - 1) / m.cols_per_tile) < want_tiles)
        m.cols_per_tile = (m.cols_per_tile + 1) / 2;
    m.col_tiles = (m.T + m.cols_per_tile - 1) / m.cols_per_tile;
    m.order = m.w->type == PLINTH_TYPE_Q4_0 && m.N % 8 == 0 ? quant::sum_order::blocks : quant::sum_order::lanes;
    return m;
}

}  // namespace

plinth_status op_matmul(compute_context& ctx, const node_view& n, plinth_message* err) {
    return op_matmul_group(ctx, &n, 1, err);
}

plinth_status op_matmul_group(compute_context& ctx, const node_view* nodes, size_t count, plinth_message* err) {
    if (count > kMaxMatmulGroup) {
        for (size_t i = 0; i < count; i += kMaxMatmulGroup)
            if (plinth_status st = op_matmul_group(ctx, nodes + i, std::min(kMaxMatmulGroup, count - i), err); st != PLINTH_OK)
                return st;
        return PLINTH_OK;
    }
    const tensor_view& x = nodes[0].src[1];
    const int64_t K = x.ne0, T = x.rows;
    thread_pool& pool = *ctx.pool;

    matmul_tiles jobs[kMaxMatmulGroup];
    int64_t first[kMaxMatmulGroup + 1] = {0};  // the group's tiles, job after job
    // Each column's terms: one part per type with an interleaved copy in the group (Q4_0 and Q8_0
    // share Q8_0 columns, the K-quants Q8_K ones, and may sit in one group), each job reading its
    // type's part.
    struct terms_part {
        uint32_t type;
        size_t offset;
    };
    terms_part parts[kMaxMatmulGroup];
    size_t n_parts = 0, terms_stride = 0;
    for (size_t j = 0; j < count; ++j) {
        jobs[j] = plan(ctx, nodes[j], pool.size());
        first[j + 1] = first[j] + jobs[j].count();
        if (!jobs[j].interleaved) continue;
        size_t p = 0;
        while (p < n_parts && parts[p].type != jobs[j].w->type) ++p;
        if (p == n_parts) {
            parts[n_parts++] = {jobs[j].w->type, terms_stride};
            terms_stride += (quant::column_terms_bytes(jobs[j].w->type, K) + 63) / 64 * 64;
        }
        jobs[j].terms_offset = parts[p].offset;
    }

    const uint32_t act_type = weight_formats::activation_type(nodes[0].src[0].type);
    const char* act = x.data;
    size_t act_stride = x.row_bytes;
    const char* terms = nullptr;
    if (act_type != PLINTH_TYPE_F32) {
        act_stride = (weight_formats::row_bytes(act_type, K) + 63) / 64 * 64;
        char* buffer = static_cast<char*>(ctx.shared.get((act_stride + terms_stride) * size_t(T)));
        char* terms_buffer = buffer + act_stride * size_t(T);  // the terms after the columns
        const float* xf = x.as<const float>();
        pool.parallel_for(T, std::max<int64_t>(1, 16384 / K), [&](int64_t t0, int64_t t1, unsigned) {
            for (int64_t t = t0; t < t1; ++t) {
                quant::quantize_row(act_type, xf + t * K, buffer + size_t(t) * act_stride, K);
                for (size_t p = 0; p < n_parts; ++p)
                    quant::column_terms(parts[p].type, K, buffer + size_t(t) * act_stride,
                                        terms_buffer + size_t(t) * terms_stride + parts[p].offset);
            }
        });
        act = buffer;
        terms = terms_buffer;
    }

    auto run = [&](int64_t i0, int64_t i1, unsigned) {
        for (int64_t i = i0; i < i1; ++i) {
            size_t j = 0;
            while (i >= first[j + 1]) ++j;
            jobs[j].run(i - first[j], act, act_stride, terms, terms_stride);
        }
    };
    // Decoding streams the weights once: each thread walks its own run of row tiles, so that
    // its prefetching carries on from one tile into the next (thread_pool::parallel_for_contiguous).
    if (T == 1) pool.parallel_for_contiguous(first[count], 1, run);
    else pool.parallel_for(first[count], 1, run);
    return PLINTH_OK;
}

}  // namespace plinth::cpu
