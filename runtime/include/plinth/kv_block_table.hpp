#pragma once
// Bookkeeping of the paged KV cache: the cache is cut into fixed-size blocks of token slots;
// each sequence owns a list of blocks (its block table), grown as it grows and returned when it
// ends. The cache storage itself lives in backend buffers, one K and one V per layer.
//
// Prefix caching: a full block whose keys and values are computed can be published; it is then
// known by its tokens and by the block before it (so, inductively, by the whole prefix it ends),
// and a later sequence that starts with the same tokens attaches it instead of computing it again.
// Every other computed block (a sequence's partial last block, or a full one whose prefix was
// already published by another sequence) keeps a record of its tokens and parent too. A block
// nobody uses stays cached, with its record, until its memory is needed: allocation takes
// never-used blocks first, then evicts the least recently released cached block. After the shared
// full blocks, a new sequence may also adopt a cached block whose leading tokens continue its
// prompt (the same parent, at least one token in common): it takes the block over, keeps those
// tokens' keys and values and writes its own after them, so the block leaves the cache. This is
// what lets a repeated short prompt, or a chat's last partial block, skip its prefill. Every
// allocation or adoption gives a block a new generation, so a block that held another prefix
// before is never mistaken for its old self by a child that named it as parent.
#include <cstdint>
#include <list>
#include <map>
#include <span>
#include <unordered_map>
#include <vector>

namespace plinth {

class kv_block_table {
public:
    kv_block_table(uint32_t n_blocks, uint32_t block_size);

    uint32_t block_size() const { return block_size_; }
    uint32_t block_count() const { return n_blocks_; }
    uint32_t slot_count() const { return n_blocks_ * block_size_; }
    // Blocks an allocation can take: never used, or cached but not used by any sequence.
    uint32_t free_blocks() const { return static_cast<uint32_t>(free_.size() + cached_.size()); }
    // Blocks some sequence uses.
    uint32_t used_blocks() const { return n_blocks_ - free_blocks(); }

    // Starts an empty sequence and returns its id.
    int32_t add_sequence();
    // Returns the sequence's blocks to the pool; unknown ids are ignored.
    void remove_sequence(int32_t seq);
    bool has_sequence(int32_t seq) const { return seqs_.count(seq) != 0; }
    uint32_t length(int32_t seq) const;

    // Attaches to an empty sequence the longest chain of published blocks that holds the start of
    // `tokens`, then adopts the cached block that continues it furthest, leaving at least the last
    // token unattached (its logits must be computed). Returns the number of tokens attached.
    uint32_t attach_prefix(int32_t seq, std::span<const int32_t> tokens);

    // Extends a sequence by these tokens and returns their slots, in position order. Throws
    // plinth::error when the cache has no room left (nothing is changed then).
    std::vector<int32_t> append(int32_t seq, std::span<const int32_t> tokens);
    // Forgets the tokens of a sequence from new_length on (e.g. a failed forward pass).
    void truncate(int32_t seq, uint32_t new_length);
    // The sequence's tokens are computed now: publishes its full blocks, and records the tokens
    // of the others (see above).
    void publish(int32_t seq);
    // Blocks that appending n tokens to the sequence would allocate.
    uint32_t blocks_needed(int32_t seq, uint32_t n) const;

    // The sequence's blocks, padded with -1 to `width` entries (one row of the graph's table).
    std::vector<int32_t> table_row(int32_t seq, uint32_t width) const;
    uint32_t blocks_of(int32_t seq) const;

private:
    struct block {
        uint32_t refs = 0;            // sequences using it
        uint64_t generation = 0;      // bumped at every allocation
        bool published = false;
        int32_t parent = -1;          // the block before it in the prefix (with a record only)
        uint64_t parent_generation = 0;
        uint64_t key = 0;             // hash of (parent, parent_generation, tokens)
        std::vector<int32_t> tokens;  // the record: computed tokens (none: nothing to reuse)
        std::list<int32_t>::iterator cached_at;  // in cached_, when it has a record and is unused
    };
    struct sequence {
        std::vector<int32_t> blocks;
        std::vector<int32_t> tokens;  // one per position
        uint32_t published = 0;       // leading blocks known to be published (or examined)
    };
    const sequence& get(int32_t seq) const;
    int32_t allocate();
    void release(int32_t b);
    uint64_t key_of(int32_t parent, uint64_t parent_generation, std::span<const int32_t> tokens) const;
    int32_t find_published(int32_t parent, uint64_t parent_generation, std::span<const int32_t> tokens) const;
    void forget(block& bl);  // drops its record and publication
    void record(int32_t b, int32_t parent, std::span<const int32_t> tokens);

    uint32_t n_blocks_, block_size_;
    std::vector<block> blocks_;
    std::vector<int32_t> free_;       // a stack of never-used (or unpublished) block numbers
    std::list<int32_t> cached_;       // unused blocks with a record: least recently released first
    std::unordered_multimap<uint64_t, int32_t> index_;  // key -> published block
    std::map<int32_t, sequence> seqs_;
    int32_t next_id_ = 0;
};

}  // namespace plinth
