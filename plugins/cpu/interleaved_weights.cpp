#include "interleaved_weights.hpp"

#include "cpu_device.hpp"
#include "quant/cpu_kernels.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <new>

namespace plinth::cpu {
namespace {

// The whole pages of [data, data + bytes): the mapping's pages that hold this matrix alone.
void release_pages(const char* data, uint64_t bytes) {
    const auto page = uintptr_t(sysconf(_SC_PAGESIZE));
    const uintptr_t first = (uintptr_t(data) + page - 1) / page * page, end = (uintptr_t(data) + bytes) / page * page;
    if (end > first) madvise(reinterpret_cast<void*>(first), end - first, MADV_DONTNEED);  // advice: a failure changes nothing
}

constexpr size_t kHugePage = size_t(2) << 20;

}  // namespace

// Anonymous memory at a 2 MiB boundary, its whole 2 MiB spans asked for as huge pages (a decode
// step streams every weight once: with 4 KiB pages that is a TLB miss every 4 KiB), the tail in
// ordinary pages so that resident memory stays the copy's size.
interleaved_weights::memory interleaved_weights::allocate(size_t bytes) {
    const size_t size = (bytes + 4095) / 4096 * 4096, reserve = size + kHugePage;
    void* p = mmap(nullptr, reserve, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    const uintptr_t base = uintptr_t(p), start = (base + kHugePage - 1) / kHugePage * kHugePage;
    if (start > base) munmap(p, start - base);  // the reservation's head and tail beyond the copy
    if (base + reserve > start + size) munmap(reinterpret_cast<void*>(start + size), base + reserve - (start + size));
    if (const size_t huge = size / kHugePage * kHugePage)
        madvise(reinterpret_cast<void*>(start), huge, MADV_HUGEPAGE);  // advice: without it, ordinary pages
    return memory(reinterpret_cast<void*>(start), unmap{size});
}

void interleaved_weights::unmap::operator()(void* p) const { munmap(p, size); }

const void* interleaved_weights::get(const char* data, uint32_t type, int64_t rows, int64_t n, uint64_t row_bytes,
                                     const parallel_range& parallel) {
    std::lock_guard<std::mutex> lock(mutex_);
    const key k{data, type, rows, n, row_bytes};
    if (const auto it = copies_.find(k); it != copies_.end()) return it->second.get();
    memory copy(nullptr, unmap{0});
    const size_t bytes = quant::interleavable(type, rows, n) ? quant::interleaved_bytes(type, rows, n) : 0;
    // The copies live in anonymous memory, which (without swap) the kernel cannot page out as it
    // can the mapping's: they stop at half the machine's memory, and later matrices are read in
    // place, so that a model near the memory's size still runs as it did (from the page cache).
    const uint64_t total = memory_total_bytes();
    if (bytes != 0 && quant::interleaving_pays(type) && (total == 0 || copied_ + bytes <= total / 2)) {
        copy = allocate(bytes);
        copied_ += bytes;
        const int64_t group_rows = 16, groups = rows / group_rows;
        const size_t group_bytes = bytes / size_t(groups);
        auto* out = static_cast<char*>(copy.get());
        // In pieces of 64 groups (1024 rows), each piece's pages released once it is copied, so that
        // the largest matrix (the output) is not resident twice at the peak (1.1B Q4_0: 718 MB
        // peak before, 667 after) while the releases stay few (each one interrupts every thread
        // of the process); the pages two pieces share go at the end.
        constexpr int64_t piece = 64;
        parallel((groups + piece - 1) / piece, [&](int64_t p0, int64_t p1) {
            const int64_t g0 = p0 * piece, g1 = std::min(groups, p1 * piece);
            const char* from = data + uint64_t(g0 * group_rows) * row_bytes;
            quant::interleave(type, (g1 - g0) * group_rows, n, from, row_bytes, out + size_t(g0) * group_bytes);
            release_pages(from, uint64_t((g1 - g0) * group_rows) * row_bytes);
        });
        release_pages(data, uint64_t(rows) * row_bytes);
    }
    return copies_.emplace(k, std::move(copy)).first->second.get();
}

}  // namespace plinth::cpu
