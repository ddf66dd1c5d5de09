#pragma once
// The machine's memory read bandwidth as a decoding kernel could reach it: `threads` threads each
// stream their share of a buffer far larger than the caches, in transparent huge pages as the CPU
// backend's weight copies are, with the widest vector loads this CPU has and software prefetch
// ahead. `plinth bench --bandwidth` measures it beside every decode repetition and prints decode
// as a fraction of it (issue: decode at the bandwidth limit).
#include <cstddef>
#include <cstdint>

namespace plinth::cli {

class read_bandwidth_probe {
public:
    // Allocates and writes the buffer once (first touch by the threads that read it).
    explicit read_bandwidth_probe(unsigned threads, size_t bytes = size_t(1) << 30);
    ~read_bandwidth_probe();
    read_bandwidth_probe(const read_bandwidth_probe&) = delete;
    read_bandwidth_probe& operator=(const read_bandwidth_probe&) = delete;

    // Bytes per second (10^9 = 1 GB/s), the best of `passes` passes over the whole buffer.
    double measure(int passes = 2);

private:
    template <class Work>
    void on_each_thread(Work&& work);

    unsigned threads_;
    size_t words_;
    uint64_t* buffer_;
};

}  // namespace plinth::cli
