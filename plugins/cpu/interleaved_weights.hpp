#pragma once
// The CPU backend's copies of weight matrices in its kernels' interleaved layout
// (quant::interleave), kept with the weights buffer they came from. Only a buffer the host wrapped
// as weights (buffer_wrap_weights: a read-only file mapping that never changes) has them. A copy is
// made on the matrix's first MATMUL; then the mapping's pages inside the matrix are released, so
// that the copy does not double the resident memory (another op that reads the matrix, e.g.
// GET_ROWS of a tied embedding, reads those pages back from the file).
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <map>
#include <tuple>

namespace plinth::cpu {

class interleaved_weights {
public:
    // Runs body(i0, i1) over [0, count), on as many threads as it likes.
    using parallel_range = std::function<void(int64_t count, const std::function<void(int64_t, int64_t)>& body)>;

    // The interleaved copy of the rows x n matrix of `type` at `data` (rows row_bytes apart), made
    // now when this is its first use; null when the kernels have no layout for it, or the copies
    // already take half the machine's memory.
    const void* get(const char* data, uint32_t type, int64_t rows, int64_t n, uint64_t row_bytes,
                    const parallel_range& parallel);

private:
    struct unmap {
        size_t size;
        void operator()(void* p) const;
    };
    using memory = std::unique_ptr<void, unmap>;
    static memory allocate(size_t bytes);

    std::mutex mutex_;
    uint64_t copied_ = 0;  // bytes of all the copies
    // By address, type and shape (one address may start matrices of several shapes: an expert's
    // slice and its whole tensor); null: no layout for it.
    using key = std::tuple<const char*, uint32_t, int64_t, int64_t, uint64_t>;
    std::map<key, memory> copies_;
};

}  // namespace plinth::cpu
