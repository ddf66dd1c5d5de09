#pragma once
// Bookkeeping of the paged KV cache: the cache is cut into fixed-size blocks of token slots;
// each sequence owns a list of blocks (its block table), grown as it grows and returned when it
// ends. The cache storage itself lives in backend buffers, one K and one V per layer.
#include <cstdint>
#include <map>
#include <vector>

namespace plinth {

class kv_block_table {
public:
    kv_block_table(uint32_t n_blocks, uint32_t block_size);

    uint32_t block_size() const { return block_size_; }
    uint32_t slot_count() const { return n_blocks_ * block_size_; }
    uint32_t free_blocks() const { return static_cast<uint32_t>(free_.size()); }

    // Starts an empty sequence and returns its id.
    int32_t add_sequence();
    // Returns the sequence's blocks to the pool; unknown ids are ignored.
    void remove_sequence(int32_t seq);
    bool has_sequence(int32_t seq) const { return seqs_.count(seq) != 0; }
    uint32_t length(int32_t seq) const;

    // Extends a sequence by n tokens and returns their slots, in position order. Throws
    // plinth::error when the cache has no room left (nothing is changed then).
    std::vector<int32_t> append(int32_t seq, uint32_t n);
    // Forgets the last n tokens of a sequence (e.g. a cancelled prefill).
    void truncate(int32_t seq, uint32_t new_length);

    // The sequence's blocks, padded with -1 to `width` entries (one row of the graph's table).
    std::vector<int32_t> table_row(int32_t seq, uint32_t width) const;
    uint32_t blocks_of(int32_t seq) const;

private:
    struct sequence {
        std::vector<int32_t> blocks;
        uint32_t length = 0;
    };
    const sequence& get(int32_t seq) const;

    uint32_t n_blocks_, block_size_;
    std::vector<int32_t> free_;  // a stack of free block numbers
    std::map<int32_t, sequence> seqs_;
    int32_t next_id_ = 0;
};

}  // namespace plinth
