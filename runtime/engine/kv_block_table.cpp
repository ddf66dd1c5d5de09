#include <plinth/kv_block_table.hpp>

#include <plinth/error.hpp>

namespace plinth {

kv_block_table::kv_block_table(uint32_t n_blocks, uint32_t block_size) : n_blocks_(n_blocks), block_size_(block_size) {
    if (n_blocks == 0 || block_size == 0) throw error("internal: empty KV cache");
    // Hand out low block numbers first: a single sequence then fills the cache front to back.
    for (uint32_t b = n_blocks; b-- > 0;) free_.push_back(static_cast<int32_t>(b));
}

int32_t kv_block_table::add_sequence() {
    seqs_[next_id_] = {};
    return next_id_++;
}

void kv_block_table::remove_sequence(int32_t seq) {
    auto it = seqs_.find(seq);
    if (it == seqs_.end()) return;
    for (auto b = it->second.blocks.rbegin(); b != it->second.blocks.rend(); ++b) free_.push_back(*b);
    seqs_.erase(it);
}

const kv_block_table::sequence& kv_block_table::get(int32_t seq) const {
    auto it = seqs_.find(seq);
    if (it == seqs_.end()) throw error("internal: unknown sequence " + std::to_string(seq));
    return it->second;
}

uint32_t kv_block_table::length(int32_t seq) const { return get(seq).length; }
uint32_t kv_block_table::blocks_of(int32_t seq) const { return static_cast<uint32_t>(get(seq).blocks.size()); }

std::vector<int32_t> kv_block_table::append(int32_t seq, uint32_t n) {
    get(seq);
    sequence& s = seqs_[seq];
    const uint64_t new_length = uint64_t(s.length) + n;
    const uint64_t blocks_needed = (new_length + block_size_ - 1) / block_size_;
    if (blocks_needed - s.blocks.size() > free_.size())
        throw error("the KV cache is full: " + std::to_string(new_length) + " tokens do not fit in the " +
                    std::to_string(free_.size() * block_size_ + s.blocks.size() * block_size_) +
                    " slots left for this sequence (raise the context size)");
    while (s.blocks.size() < blocks_needed) {
        s.blocks.push_back(free_.back());
        free_.pop_back();
    }
    std::vector<int32_t> slots(n);
    for (uint32_t i = 0; i < n; ++i) {
        const uint32_t pos = s.length + i;
        slots[i] = s.blocks[pos / block_size_] * static_cast<int32_t>(block_size_) + static_cast<int32_t>(pos % block_size_);
    }
    s.length = static_cast<uint32_t>(new_length);
    return slots;
}

void kv_block_table::truncate(int32_t seq, uint32_t new_length) {
    get(seq);
    sequence& s = seqs_[seq];
    if (new_length >= s.length) return;
    s.length = new_length;
    const size_t keep = (new_length + block_size_ - 1) / block_size_;
    while (s.blocks.size() > keep) {
        free_.push_back(s.blocks.back());
        s.blocks.pop_back();
    }
}

std::vector<int32_t> kv_block_table::table_row(int32_t seq, uint32_t width) const {
    const auto& blocks = get(seq).blocks;
    std::vector<int32_t> row(width, -1);
    for (size_t i = 0; i < blocks.size() && i < width; ++i) row[i] = blocks[i];
    return row;
}

}  // namespace plinth
