#pragma once
// Internal: which cache level the kernels' software prefetches of weight rows fill. Data only, as
// kernel_tables.hpp, so that files compiled for different instruction sets can share it.
//
// The row kernels ask for the next row group's lines while they read this one's. Into the first
// level (T0) was the best choice on the Intel AVX-512 machine the kernels were tuned on; on an AMD
// Zen 4 the same requests into the second level (T1) ran 1.1B Q4_0 decode 1.6-1.9x as fast (the
// first level's requests there left the kernel waiting on memory at 8-9 GB/s a core). dispatch.cpp picks
// the level by vendor; the CPU plugin's option `prefetch` overrides it for comparing.
namespace plinth::quant::detail {

// true: T1 (the second level); false: T0. Read at the prefetches (a branch that always goes the
// same way; a plain bool, so that the compiler may load it once for several), written only while
// no kernel runs (the CPU plugin's set_option holds its lock, as for `simd`).
extern bool prefetch_to_l2;

}  // namespace plinth::quant::detail
