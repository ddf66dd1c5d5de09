// MATMUL: dst[j, t] = sum_k W[k, j] x[k, t]. The activations are first quantized into the weight
// type's activation format (quantize_activations.cu); then
//   T <= kMaxCols (decode) or float weights: matrix-vector, one warp per weight row and group of up
//     to kMaxCols columns (row_dot.cuh), 4 warps per thread block, each with its 32-block staging
//     buffer in shared memory (used when the rows are 16-byte aligned);
//   T > kMaxCols, quantized weights (prefill): a tiled kernel, 32 rows x 32 columns per thread
//     block, weight and activation blocks staged in shared memory 256 elements of K at a time,
//     each of the 256 threads 4 outputs summed over the blocks in order. The integer block sums
//     come from the tensor cores (mma.sync m16n8k32 on signed bytes, one per block and warp: each
//     warp a 16 x 8 part of the tile; for the K-quants one or two per 32-element piece; see
//     mma_operands.cuh) where the device has them (sm_80 and newer), else from dp4a (each thread
//     one row, four columns). Both give the same exact integers, scaled and summed alike: the same
//     bits.
#include "mma_operands.cuh"
#include "row_dot.cuh"

namespace plinth::cuda {
namespace {

constexpr int kRowsPerBlock = 4;  // warps per matrix-vector thread block, one row each

template <uint32_t Type>
__global__ void __launch_bounds__(32 * kRowsPerBlock)
    matvec_kernel(const uint8_t* __restrict__ w, size_t w_row_bytes, const uint8_t* __restrict__ act,
                  size_t act_stride, float* __restrict__ dst, int64_t K, int64_t N, int64_t T, bool staged) {
    __shared__ uint4 stage[kRowsPerBlock][stage_words_alloc<Type>()];
    const int lane = threadIdx.x & 31;
    const int64_t row_groups = ceil_div(N, kRowsPerBlock);
    const int64_t j = int64_t(blockIdx.x % row_groups) * kRowsPerBlock + threadIdx.x / 32;
    const int64_t t0 = int64_t(blockIdx.x / row_groups) * kMaxCols;
    if (j >= N) return;  // a whole warp
    const int cols = int(T - t0 < kMaxCols ? T - t0 : kMaxCols);
    float out[kMaxCols];
    RowDot<Type>::run(w + size_t(j) * w_row_bytes, act + size_t(t0) * act_stride, act_stride, cols, K, lane, out,
                      staged && stage_words<Type>() > 0 ? stage[threadIdx.x / 32] : nullptr);
    if (lane == 0) {
#pragma unroll
        for (int c = 0; c < kMaxCols; ++c)
            if (c < cols) dst[(t0 + c) * N + j] = out[c];
    }
}

// ---- the tiled kernel (quantized weights, many columns) ----------------------------------------

constexpr int kTileRows = 32, kTileCols = 32, kTileThreads = 256;
constexpr int kOutsPerThread = kTileRows * kTileCols / kTileThreads;  // 4: one row, 4 columns

// Copies `words` 16-bit words of each of `lines` tile lines (line i from src + i * stride bytes,
// zeros for i >= lines_valid) into dst, whose lines are `pitch` words apart. Every block size is
// even, so 16-bit words cover whole blocks at any block boundary.
__device__ void stage_lines(uint16_t* dst, const uint8_t* src, size_t stride, int lines, int lines_valid, int words,
                            int pitch) {
    for (int idx = threadIdx.x; idx < lines * words; idx += blockDim.x) {
        const int line = idx / words, word = idx % words;
        dst[line * pitch + word] =
            line < lines_valid ? reinterpret_cast<const uint16_t*>(src + size_t(line) * stride)[word] : uint16_t(0);
    }
}

// Where a thread block's tile lies: rows j0.., columns t0.., and how many of them exist.
struct TilePlace {
    int64_t j0, t0;
    int rows_valid, cols_valid;
};
__device__ TilePlace tile_place(int64_t N, int64_t T) {
    const int64_t row_tiles = ceil_div(N, kTileRows);
    TilePlace at;
    at.j0 = int64_t(blockIdx.x % row_tiles) * kTileRows;
    at.t0 = int64_t(blockIdx.x / row_tiles) * kTileCols;
    at.rows_valid = int(N - at.j0 < kTileRows ? N - at.j0 : kTileRows);
    at.cols_valid = int(T - at.t0 < kTileCols ? T - at.t0 : kTileCols);
    return at;
}

// One K step of the tile in shared memory: kStep blocks of each weight row and activation column.
template <uint32_t Type, int kStep>
struct TileStage {
    using W = typename bm::weight<Type>::block;
    using A = typename bm::weight<Type>::act_block;
    W w[kTileRows][kStep];
    A a[kTileCols][kStep];

    // Blocks b0 .. b0 + step - 1 (zeros past the matrix's edge); only those are read afterwards.
    __device__ void load(const uint8_t* __restrict__ w_src, size_t w_row_bytes, const uint8_t* __restrict__ act,
                         size_t act_stride, const TilePlace& at, int64_t b0, int step) {
        stage_lines(reinterpret_cast<uint16_t*>(&w[0][0]), w_src + size_t(at.j0) * w_row_bytes + size_t(b0) * sizeof(W),
                    w_row_bytes, kTileRows, at.rows_valid, int(step * sizeof(W) / 2), int(kStep * sizeof(W) / 2));
        stage_lines(reinterpret_cast<uint16_t*>(&a[0][0]), act + size_t(at.t0) * act_stride + size_t(b0) * sizeof(A),
                    act_stride, kTileCols, at.cols_valid, int(step * sizeof(A) / 2), int(kStep * sizeof(A) / 2));
    }
};

// A tensor-core lane's four outputs: rows r0 and r0 + 8, columns c and c + 1 of the tile.
__device__ void store_quad(float* __restrict__ dst, int64_t N, const TilePlace& at, int r0, int c, const float (&acc)[4]) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int r = r0 + (i >> 1) * 8, col = c + (i & 1);
        if (r < at.rows_valid && col < at.cols_valid) dst[(at.t0 + col) * N + at.j0 + r] = acc[i];
    }
}

template <uint32_t Type>
__global__ void __launch_bounds__(kTileThreads)
    matmul_tiled_kernel(const uint8_t* __restrict__ w, size_t w_row_bytes, const uint8_t* __restrict__ act,
                        size_t act_stride, float* __restrict__ dst, int64_t K, int64_t N, int64_t T) {
    using WT = bm::weight<Type>;
    constexpr int kStep = WT::k_quant ? 1 : 8;  // blocks per K step: 256 elements
    __shared__ TileStage<Type, kStep> tile;
    const TilePlace at = tile_place(N, T);
    const int r = threadIdx.x % kTileRows, c0 = threadIdx.x / kTileRows;  // columns c0 + 8 i

    float acc[kOutsPerThread] = {};
    const int64_t nb = K / WT::elems;
    for (int64_t b0 = 0; b0 < nb; b0 += kStep) {
        const int step = int(nb - b0 < kStep ? nb - b0 : kStep);
        tile.load(w, w_row_bytes, act, act_stride, at, b0, step);
        __syncthreads();
        for (int b = 0; b < step; ++b) {
#pragma unroll
            for (int i = 0; i < kOutsPerThread; ++i)
                acc[i] = bm::add(acc[i], bm::block_dot(tile.w[r][b], tile.a[c0 + 8 * i][b]));
        }
        __syncthreads();
    }
    if (r < at.rows_valid) {
#pragma unroll
        for (int i = 0; i < kOutsPerThread; ++i)
            if (c0 + 8 * i < at.cols_valid) dst[(at.t0 + c0 + 8 * i) * N + at.j0 + r] = acc[i];
    }
}

// The integer sums of one block for a warp's 16 x 8 part of the tile: D = A B (see mma_operands.cuh).
__device__ __forceinline__ void mma_s8_m16n8k32(const bm::MmaWords& a_row_g, const bm::MmaWords& a_row_g8,
                                                const bm::MmaWords& b, int (&d)[4]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile(
        "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%10, %10, %10, %10};\n"
        : "=r"(d[0]), "=r"(d[1]), "=r"(d[2]), "=r"(d[3])
        : "r"(a_row_g.lo), "r"(a_row_g8.lo), "r"(a_row_g.hi), "r"(a_row_g8.hi), "r"(b.lo), "r"(b.hi), "r"(0));
#else
    (void)a_row_g, (void)a_row_g8, (void)b;
    d[0] = d[1] = d[2] = d[3] = 0;
    __trap();  // never launched there: matmul() asks for tensor cores only on sm_80 and newer
#endif
}

// The tiled kernel with the tensor cores' integer sums: warp w takes rows (w % 2) * 16 .. + 15 and
// columns (w / 2) * 8 .. + 7 of the 32 x 32 tile; lane (g, q) ends with rows g, g + 8 x columns
// 2q, 2q + 1 of that part.
template <uint32_t Type>
__global__ void __launch_bounds__(kTileThreads)
    matmul_mma_kernel(const uint8_t* __restrict__ w, size_t w_row_bytes, const uint8_t* __restrict__ act,
                      size_t act_stride, float* __restrict__ dst, int64_t K, int64_t N, int64_t T) {
    using WT = bm::weight<Type>;
    using W = typename WT::block;
    using A = typename WT::act_block;
    static_assert(!WT::k_quant, "32-element blocks only");
    constexpr int kStep = 8;  // blocks per K step: 256 elements
    __shared__ TileStage<Type, kStep> tile;
    const TilePlace at = tile_place(N, T);
    const int warp = int(threadIdx.x / 32), lane = int(threadIdx.x % 32), g = lane >> 2, q = lane & 3;
    const int r0 = (warp & 1) * 16 + g, c0 = (warp >> 1) * 8;  // rows r0, r0 + 8; columns c0 + 2q, + 1

    float acc[4] = {};  // (r0, 2q), (r0, 2q + 1), (r0 + 8, 2q), (r0 + 8, 2q + 1)
    const int64_t nb = K / WT::elems;
    for (int64_t b0 = 0; b0 < nb; b0 += kStep) {
        const int step = int(nb - b0 < kStep ? nb - b0 : kStep);
        tile.load(w, w_row_bytes, act, act_stride, at, b0, step);
        __syncthreads();
        for (int b = 0; b < step; ++b) {
            const W& w_g = tile.w[r0][b];
            const W& w_g8 = tile.w[r0 + 8][b];
            int d[4];
            mma_s8_m16n8k32(bm::mma_codes(w_g, q), bm::mma_codes(w_g8, q), bm::mma_act_words(tile.a[c0 + g][b], q), d);
            const A& x0 = tile.a[c0 + 2 * q][b];
            const A& x1 = tile.a[c0 + 2 * q + 1][b];
            acc[0] = bm::add(acc[0], bm::mma_term(w_g, x0, d[0]));
            acc[1] = bm::add(acc[1], bm::mma_term(w_g, x1, d[1]));
            acc[2] = bm::add(acc[2], bm::mma_term(w_g8, x0, d[2]));
            acc[3] = bm::add(acc[3], bm::mma_term(w_g8, x1, d[3]));
        }
        __syncthreads();
    }
    store_quad(dst, N, at, r0, c0 + 2 * q, acc);
}

// m16n8k16 on signed bytes: one 16-element half of a K-quant piece (see mma_operands.cuh).
__device__ __forceinline__ void mma_s8_m16n8k16(int a_row_g, int a_row_g8, int b, int (&d)[4]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("mma.sync.aligned.m16n8k16.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5}, {%6}, {%7, %7, %7, %7};\n"
                 : "=r"(d[0]), "=r"(d[1]), "=r"(d[2]), "=r"(d[3])
                 : "r"(a_row_g), "r"(a_row_g8), "r"(b), "r"(0));
#else
    (void)a_row_g, (void)a_row_g8, (void)b;
    d[0] = d[1] = d[2] = d[3] = 0;
    __trap();
#endif
}

// The K-quant tiled kernel with the tensor cores' integer sums: one super-block per step, the
// warps and lanes as in matmul_mma_kernel; per piece one m16n8k32 (Q4_K, Q5_K) or two m16n8k16,
// the integers of the super-block gathered exactly, then kterm once per super-block and output.
template <uint32_t Type>
__global__ void __launch_bounds__(kTileThreads)
    matmul_mma_kquant_kernel(const uint8_t* __restrict__ w, size_t w_row_bytes, const uint8_t* __restrict__ act,
                             size_t act_stride, float* __restrict__ dst, int64_t K, int64_t N, int64_t T) {
    using WT = bm::weight<Type>;
    using W = typename WT::block;
    using A = typename WT::act_block;
    static_assert(WT::k_quant, "super-blocks only");
    __shared__ TileStage<Type, 1> tile;
    const TilePlace at = tile_place(N, T);
    const int warp = int(threadIdx.x / 32), lane = int(threadIdx.x % 32), g = lane >> 2, q = lane & 3;
    const int r0 = (warp & 1) * 16 + g, c0 = (warp >> 1) * 8;

    float acc[4] = {};  // (r0, 2q), (r0, 2q + 1), (r0 + 8, 2q), (r0 + 8, 2q + 1)
    const int64_t nb = K / WT::elems;
    for (int64_t b = 0; b < nb; ++b) {
        tile.load(w, w_row_bytes, act, act_stride, at, b, 1);
        __syncthreads();
        const W& w_g = tile.w[r0][0];
        const W& w_g8 = tile.w[r0 + 8][0];
        const A& col_g = tile.a[c0 + g][0];
        const A& x0 = tile.a[c0 + 2 * q][0];
        const A& x1 = tile.a[c0 + 2 * q + 1][0];
        int isum[4] = {}, msum[4] = {};
        for (int p = 0; p < 8; ++p) {
            const bm::KScales s_g = bm::kscales(w_g, p), s_g8 = bm::kscales(w_g8, p);
            int d[4];
            if constexpr (bm::kquant_mma<W>::one_scale_per_piece) {
                mma_s8_m16n8k32({bm::kmma_code_word(w_g, p, q, s_g.bias), bm::kmma_code_word(w_g, p, 4 + q, s_g.bias)},
                                {bm::kmma_code_word(w_g8, p, q, s_g8.bias), bm::kmma_code_word(w_g8, p, 4 + q, s_g8.bias)},
                                {bm::kmma_act_word(col_g, p, q), bm::kmma_act_word(col_g, p, 4 + q)}, d);
                isum[0] += s_g.sc[0] * d[0];
                isum[1] += s_g.sc[0] * d[1];
                isum[2] += s_g8.sc[0] * d[2];
                isum[3] += s_g8.sc[0] * d[3];
            } else {
                for (int h = 0; h < 2; ++h) {
                    mma_s8_m16n8k16(bm::kmma_code_word(w_g, p, 4 * h + q, s_g.bias),
                                    bm::kmma_code_word(w_g8, p, 4 * h + q, s_g8.bias),
                                    bm::kmma_act_word(col_g, p, 4 * h + q), d);
                    isum[0] += s_g.sc[h] * d[0];
                    isum[1] += s_g.sc[h] * d[1];
                    isum[2] += s_g8.sc[h] * d[2];
                    isum[3] += s_g8.sc[h] * d[3];
                }
            }
            msum[0] += bm::kmma_min_term(s_g, x0, p);
            msum[1] += bm::kmma_min_term(s_g, x1, p);
            msum[2] += bm::kmma_min_term(s_g8, x0, p);
            msum[3] += bm::kmma_min_term(s_g8, x1, p);
        }
        acc[0] = bm::add(acc[0], bm::kterm(w_g, x0, bm::KSums{isum[0], msum[0]}));
        acc[1] = bm::add(acc[1], bm::kterm(w_g, x1, bm::KSums{isum[1], msum[1]}));
        acc[2] = bm::add(acc[2], bm::kterm(w_g8, x0, bm::KSums{isum[2], msum[2]}));
        acc[3] = bm::add(acc[3], bm::kterm(w_g8, x1, bm::KSums{isum[3], msum[3]}));
        __syncthreads();
    }
    store_quad(dst, N, at, r0, c0 + 2 * q, acc);
}

}  // namespace

cudaError_t matmul(uint32_t type, const void* w, const float* x, float* dst, int64_t K, int64_t N, int64_t T,
                   void* scratch, bool tensor_cores, cudaStream_t stream) {
    if (!weight_type_supported(type) || K < 0 || N < 0 || T < 0 || K % block_elems(type) != 0)
        return cudaErrorInvalidValue;
    if (N == 0 || T == 0) return cudaSuccess;
    if (K == 0) return cudaMemsetAsync(dst, 0, size_t(N) * size_t(T) * sizeof(float), stream);

    const uint32_t act_type = activation_type_of(type);
    const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
    size_t act_stride = size_t(K) * sizeof(float);
    if (act_type != PLINTH_TYPE_F32) {
        if (const cudaError_t e = quantize_activations(act_type, x, scratch, K, T, stream); e != cudaSuccess) return e;
        act = static_cast<const uint8_t*>(scratch);
        act_stride = row_bytes_of(act_type, K);
    }
    const auto* wb = static_cast<const uint8_t*>(w);
    const size_t w_row_bytes = row_bytes_of(type, K);
    dispatch_weight_type(type, [&](auto tag) {
        constexpr uint32_t kType = decltype(tag)::value;
        if constexpr (!is_float_type(kType)) {
            if (T > kMaxCols) {
                const int64_t tiles = ceil_div(N, kTileRows) * ceil_div(T, kTileCols);
                if (tensor_cores) {
                    if constexpr (bm::weight<kType>::k_quant)
                        matmul_mma_kquant_kernel<kType><<<unsigned(tiles), kTileThreads, 0, stream>>>(
                            wb, w_row_bytes, act, act_stride, dst, K, N, T);
                    else
                        matmul_mma_kernel<kType><<<unsigned(tiles), kTileThreads, 0, stream>>>(wb, w_row_bytes, act,
                                                                                               act_stride, dst, K, N, T);
                    return;
                }
                matmul_tiled_kernel<kType><<<unsigned(tiles), kTileThreads, 0, stream>>>(wb, w_row_bytes, act, act_stride,
                                                                                         dst, K, N, T);
                return;
            }
        }
        const int64_t blocks = ceil_div(N, kRowsPerBlock) * ceil_div(T, kMaxCols);
        matvec_kernel<kType><<<unsigned(blocks), 32 * kRowsPerBlock, 0, stream>>>(wb, w_row_bytes, act, act_stride, dst,
                                                                                 K, N, T, rows_aligned16(wb, w_row_bytes));
    });
    return cudaGetLastError();
}

}  // namespace plinth::cuda
