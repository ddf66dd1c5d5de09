#pragma once
// The machine's memory read bandwidth as a decoding kernel could reach it: `threads` threads each
// stream their share of a buffer far larger than the caches with the widest vector loads this
// CPU has and software prefetch ahead, best of a few passes. `plinth bench --bandwidth` prints
// decode speed as a fraction of it (issue: decode at the bandwidth limit).
#include <cstddef>

namespace plinth::cli {

// Bytes per second (10^9 = 1 GB/s).
double measure_read_bandwidth(unsigned threads, size_t bytes = size_t(1) << 30, int passes = 4);

}  // namespace plinth::cli
