// ROPE, one thread per (row, item): items 0 .. n_rot/2 - 1 are the rotated pairs, the rest the
// dims past n_rot, copied. Mode 0 rotates (x[2i], x[2i+1]), mode 2 (NeoX) (x[i], x[i + n_rot/2]).
//
// The angles are the CPU backend's float arithmetic (plinth/compute.h): theta_0 = float(position),
// theta_{i+1} = theta_i * step, angle = scale * theta_i (divided by factor i, correctly rounded,
// with frequency factors). cos and sin come from the host-made table (plinth/sdk/rope_table.hpp: the C
// library's values) for positions inside it; past it (or for a negative position) they are
// evaluated here in double and rounded to float. Each output is one rounding of
// fma(x0, c, -(x1 s)) / fma(x0, s, x1 c).
#include "kernels/common.cuh"
#include "kernels/kernels.hpp"

namespace plinth::cuda::kernels {
namespace {

__global__ void rope_kernel(rope_args a, int64_t total, uint32_t items) {
    const uint32_t half = a.n_rot / 2;
    for (int64_t idx = global_index(); idx < total; idx += global_stride()) {
        const int64_t row = idx / items;
        const uint32_t e = uint32_t(idx % items);
        const float* x = a.x + row * a.head_dim;
        float* d = a.dst + row * a.head_dim;
        if (e >= half) {  // a dim past n_rot: copied
            const uint32_t i = a.n_rot + (e - half);
            d[i] = x[i];
            continue;
        }
        const int32_t pos = a.positions[row / a.heads];
        float c, s;
        if (pos >= 0 && uint32_t(pos) < a.table_positions) {
            const float* cs = a.table + 2 * (int64_t(pos) * half + e);
            c = cs[0];
            s = cs[1];
        } else {
            float theta = float(pos);
            for (uint32_t k = 0; k < e; ++k) theta = theta * a.step;
            float angle = a.scale * theta;
            if (a.factors) angle = angle / a.factors[e];
            double sd, cd;
            sincos(double(angle), &sd, &cd);
            c = float(cd);
            s = float(sd);
        }
        const uint32_t i0 = a.neox ? e : 2 * e;
        const uint32_t i1 = a.neox ? e + half : 2 * e + 1;
        const float x0 = x[i0], x1 = x[i1];
        d[i0] = fmaf(x0, c, -(x1 * s));
        d[i1] = fmaf(x0, s, x1 * c);
    }
}

}  // namespace

cudaError_t rope(const rope_args& args, cudaStream_t stream) {
    const uint32_t items = args.n_rot / 2 + (args.head_dim - args.n_rot);
    const int64_t total = args.rows * int64_t(items);
    rope_kernel<<<blocks_for(total), threads_per_block, 0, stream>>>(args, total, items);
    return cudaGetLastError();
}

}  // namespace plinth::cuda::kernels
