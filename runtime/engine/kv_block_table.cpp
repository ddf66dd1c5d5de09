#include <plinth/kv_block_table.hpp>

#include <plinth/error.hpp>

#include <algorithm>

namespace plinth {

kv_block_table::kv_block_table(uint32_t n_blocks, uint32_t block_size)
    : n_blocks_(n_blocks), block_size_(block_size), blocks_(n_blocks) {
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
    // Last block first: the deepest blocks of a prefix are then evicted before its root.
    for (auto b = it->second.blocks.rbegin(); b != it->second.blocks.rend(); ++b) release(*b);
    seqs_.erase(it);
}

const kv_block_table::sequence& kv_block_table::get(int32_t seq) const {
    auto it = seqs_.find(seq);
    if (it == seqs_.end()) throw error("internal: unknown sequence " + std::to_string(seq));
    return it->second;
}

uint32_t kv_block_table::length(int32_t seq) const { return static_cast<uint32_t>(get(seq).tokens.size()); }
uint32_t kv_block_table::blocks_of(int32_t seq) const { return static_cast<uint32_t>(get(seq).blocks.size()); }

int32_t kv_block_table::allocate() {
    int32_t b;
    if (!free_.empty()) {
        b = free_.back();
        free_.pop_back();
    } else {
        b = cached_.front();  // the caller checked free_blocks()
        cached_.pop_front();
        forget(blocks_[b]);
    }
    block& nb = blocks_[b];
    nb.refs = 1;
    ++nb.generation;
    nb.parent = -1;
    return b;
}

void kv_block_table::forget(block& bl) {
    if (bl.published)
        for (auto [at, end] = index_.equal_range(bl.key); at != end; ++at)
            if (&blocks_[at->second] == &bl) {
                index_.erase(at);
                break;
            }
    bl.published = false;
    bl.tokens.clear();
}

void kv_block_table::release(int32_t b) {
    block& bl = blocks_[b];
    if (--bl.refs > 0) return;
    if (!bl.tokens.empty()) {
        cached_.push_back(b);
        bl.cached_at = std::prev(cached_.end());
    } else {
        free_.push_back(b);
    }
}

uint64_t kv_block_table::key_of(int32_t parent, uint64_t parent_generation, std::span<const int32_t> tokens) const {
    // FNV-1a over the parent's identity and the token ids; equal keys are confirmed by comparison.
    uint64_t h = 1469598103934665603ull;
    const auto mix = [&h](uint64_t v) {
        for (int i = 0; i < 8; ++i) {
            h ^= (v >> (8 * i)) & 0xff;
            h *= 1099511628211ull;
        }
    };
    mix(static_cast<uint64_t>(static_cast<int64_t>(parent)));
    mix(parent_generation);
    for (int32_t t : tokens) mix(static_cast<uint32_t>(t));
    return h;
}

int32_t kv_block_table::find_published(int32_t parent, uint64_t parent_generation, std::span<const int32_t> tokens) const {
    for (auto [at, end] = index_.equal_range(key_of(parent, parent_generation, tokens)); at != end; ++at) {
        const block& bl = blocks_[at->second];
        if (bl.parent == parent && bl.parent_generation == parent_generation &&
            std::equal(bl.tokens.begin(), bl.tokens.end(), tokens.begin(), tokens.end()))
            return at->second;
    }
    return -1;
}

uint32_t kv_block_table::attach_prefix(int32_t seq, std::span<const int32_t> tokens) {
    get(seq);
    sequence& s = seqs_[seq];
    if (!s.tokens.empty() || tokens.empty()) return 0;
    const size_t max_blocks = (tokens.size() - 1) / block_size_;
    int32_t parent = -1;
    uint64_t parent_generation = 0;
    for (size_t i = 0; i < max_blocks; ++i) {
        const auto part = tokens.subspan(i * block_size_, block_size_);
        const int32_t b = find_published(parent, parent_generation, part);
        if (b < 0) break;
        block& bl = blocks_[b];
        if (bl.refs++ == 0) cached_.erase(bl.cached_at);
        s.blocks.push_back(b);
        s.tokens.insert(s.tokens.end(), part.begin(), part.end());
        parent = b;
        parent_generation = bl.generation;
    }
    s.published = static_cast<uint32_t>(s.blocks.size());

    // Then the unused cached block that continues the prompt furthest, taken over.
    const auto rest = tokens.subspan(s.tokens.size(), std::min<size_t>(block_size_, tokens.size() - s.tokens.size() - 1));
    int32_t best = -1;
    size_t best_common = 0;
    for (const int32_t b : cached_) {
        const block& bl = blocks_[b];
        if (bl.parent != parent || bl.parent_generation != parent_generation) continue;
        const size_t n = std::min(bl.tokens.size(), rest.size());
        const size_t common = size_t(std::mismatch(bl.tokens.begin(), bl.tokens.begin() + std::ptrdiff_t(n), rest.begin()).first - bl.tokens.begin());
        if (common > best_common) {
            best = b;
            best_common = common;
        }
    }
    if (best >= 0) {
        block& bl = blocks_[best];
        cached_.erase(bl.cached_at);
        forget(bl);  // its slots past the common tokens are this sequence's to write
        bl.refs = 1;
        ++bl.generation;
        bl.parent = -1;
        s.blocks.push_back(best);
        s.tokens.insert(s.tokens.end(), rest.begin(), rest.begin() + std::ptrdiff_t(best_common));
    }
    return static_cast<uint32_t>(s.tokens.size());
}

uint32_t kv_block_table::blocks_needed(int32_t seq, uint32_t n) const {
    const sequence& s = get(seq);
    const uint64_t blocks = (uint64_t(s.tokens.size()) + n + block_size_ - 1) / block_size_;
    return static_cast<uint32_t>(blocks - std::min<uint64_t>(blocks, s.blocks.size()));
}

std::vector<int32_t> kv_block_table::append(int32_t seq, std::span<const int32_t> tokens) {
    const uint32_t n = static_cast<uint32_t>(tokens.size());
    const uint32_t need = blocks_needed(seq, n);
    sequence& s = seqs_[seq];
    if (need > free_blocks())
        throw error("the KV cache is full: " + std::to_string(s.tokens.size() + n) + " tokens do not fit in the " +
                    std::to_string(free_blocks() * block_size_ + s.blocks.size() * block_size_) +
                    " slots left for this sequence (raise the context size)");
    for (uint32_t i = 0; i < need; ++i) s.blocks.push_back(allocate());
    std::vector<int32_t> slots(n);
    const size_t start = s.tokens.size();
    for (uint32_t i = 0; i < n; ++i) {
        const size_t pos = start + i;
        slots[i] = s.blocks[pos / block_size_] * static_cast<int32_t>(block_size_) + static_cast<int32_t>(pos % block_size_);
    }
    s.tokens.insert(s.tokens.end(), tokens.begin(), tokens.end());
    return slots;
}

void kv_block_table::truncate(int32_t seq, uint32_t new_length) {
    get(seq);
    sequence& s = seqs_[seq];
    if (new_length >= s.tokens.size()) return;
    s.tokens.resize(new_length);
    const size_t keep = (new_length + block_size_ - 1) / block_size_;
    while (s.blocks.size() > keep) {
        release(s.blocks.back());
        s.blocks.pop_back();
    }
    // A block cut into is no longer full: it must not count as examined for publishing, and its
    // record and children (cached, released above) no longer describe what it will hold.
    s.published = std::min<uint32_t>(s.published, static_cast<uint32_t>(new_length / block_size_));
    if (const size_t tail = new_length % block_size_; tail > 0) {
        block& bl = blocks_[s.blocks.back()];
        if (bl.tokens.size() > tail) {
            std::vector<int32_t> kept(bl.tokens.begin(), bl.tokens.begin() + std::ptrdiff_t(tail));
            forget(bl);
            bl.tokens = std::move(kept);
            ++bl.generation;
        }
    }
}

void kv_block_table::record(int32_t b, int32_t parent, std::span<const int32_t> tokens) {
    block& bl = blocks_[b];
    bl.parent = parent;
    bl.parent_generation = parent < 0 ? 0 : blocks_[parent].generation;
    bl.tokens.assign(tokens.begin(), tokens.end());
}

void kv_block_table::publish(int32_t seq) {
    get(seq);
    sequence& s = seqs_[seq];
    const size_t full = s.tokens.size() / block_size_;
    for (size_t i = s.published; i < full; ++i) {
        block& bl = blocks_[s.blocks[i]];
        if (bl.published) continue;  // attached from the cache
        const int32_t parent = i == 0 ? -1 : s.blocks[i - 1];
        const std::span<const int32_t> part(s.tokens.data() + i * block_size_, block_size_);
        record(s.blocks[i], parent, part);
        // The same prefix computed twice at once (two requests arriving together): the first
        // published stays; this block keeps only its record (another sequence may adopt it).
        if (find_published(parent, bl.parent_generation, part) >= 0) continue;
        bl.published = true;
        bl.key = key_of(parent, bl.parent_generation, part);
        index_.emplace(bl.key, s.blocks[i]);
    }
    s.published = static_cast<uint32_t>(full);
    // The partial last block's computed tokens, recorded anew at every call.
    if (const size_t tail = s.tokens.size() % block_size_; tail > 0 && s.blocks.size() > full)
        record(s.blocks[full], full == 0 ? -1 : s.blocks[full - 1], std::span<const int32_t>(s.tokens.data() + full * block_size_, tail));
}

std::vector<int32_t> kv_block_table::table_row(int32_t seq, uint32_t width) const {
    const auto& blocks = get(seq).blocks;
    std::vector<int32_t> row(width, -1);
    for (size_t i = 0; i < blocks.size() && i < width; ++i) row[i] = blocks[i];
    return row;
}

}  // namespace plinth
