// Placing intermediates in one scratch buffer: each base tensor is live from the node that first
// writes it to the last node that reads it (through any view); first-fit over freed ranges.
#include <plinth/compute_graph.hpp>

#include <algorithm>
#include <map>

namespace plinth {

uint64_t compute_graph::plan_scratch(plinth_buffer scratch, uint64_t alignment) {
    const size_t n = tensors_.size();
    constexpr size_t unused = SIZE_MAX;
    std::vector<size_t> first(n, unused), last(n, 0);
    for (size_t k = 0; k < nodes_.size(); ++k) {
        const auto touch = [&](uint32_t id) {
            if (id == PLINTH_NO_TENSOR) return;
            const tensor_id base = alias_of_[id];
            if (!intermediate_[base]) return;
            first[base] = std::min(first[base], k);
            last[base] = std::max(last[base], k);
        };
        touch(nodes_[k].dst);
        for (uint32_t s : nodes_[k].src) touch(s);
    }

    for (size_t id = 0; id < n; ++id) {
        if (!keep_alive_[id] || !intermediate_[id]) continue;
        first[id] = 0;
        last[id] = nodes_.empty() ? 0 : nodes_.size() - 1;
    }

    // Walk the nodes; allocate each base at its first use, free it after its last.
    std::map<uint64_t, uint64_t> free_ranges;  // offset -> size
    uint64_t high_water = 0;
    std::vector<uint64_t> offset(n, 0);
    const auto round_up = [&](uint64_t v) { return (v + alignment - 1) / alignment * alignment; };
    const auto allocate = [&](uint64_t size) {
        for (auto it = free_ranges.begin(); it != free_ranges.end(); ++it) {
            if (it->second < size) continue;
            const uint64_t at = it->first, left = it->second - size;
            free_ranges.erase(it);
            if (left) free_ranges[at + size] = left;
            return at;
        }
        const uint64_t at = high_water;
        high_water += size;
        return at;
    };
    const auto release = [&](uint64_t at, uint64_t size) {
        auto [it, ok] = free_ranges.emplace(at, size);
        // Merge with neighbours so large tensors can reuse space freed in pieces.
        if (auto next = std::next(it); next != free_ranges.end() && it->first + it->second == next->first) {
            it->second += next->second;
            free_ranges.erase(next);
        }
        if (it != free_ranges.begin()) {
            auto prev = std::prev(it);
            if (prev->first + prev->second == it->first) {
                prev->second += it->second;
                free_ranges.erase(it);
            }
        }
    };
    // The bases that start and end at each node, in id order (bucketed once: the planner runs for
    // every decoded token, and a scan of all tensors per node grows with layers squared).
    std::vector<uint32_t> start_count(nodes_.size() + 1, 0), end_count(nodes_.size() + 1, 0);
    for (size_t id = 0; id < n; ++id) {
        if (first[id] == unused || alias_of_[id] != id || first[id] >= nodes_.size()) continue;
        ++start_count[first[id] + 1];
        ++end_count[last[id] + 1];
    }
    for (size_t k = 0; k < nodes_.size(); ++k) {
        start_count[k + 1] += start_count[k];
        end_count[k + 1] += end_count[k];
    }
    std::vector<uint32_t> starts(start_count.back()), ends(end_count.back());
    {
        std::vector<uint32_t> s_at(start_count.begin(), start_count.end() - 1), e_at(end_count.begin(), end_count.end() - 1);
        for (size_t id = 0; id < n; ++id) {
            if (first[id] == unused || alias_of_[id] != id || first[id] >= nodes_.size()) continue;
            starts[s_at[first[id]]++] = uint32_t(id);
            ends[e_at[last[id]]++] = uint32_t(id);
        }
    }
    for (size_t k = 0; k < nodes_.size(); ++k) {
        for (uint32_t i = start_count[k]; i < start_count[k + 1]; ++i)
            offset[starts[i]] = allocate(round_up(tensor_bytes(tensors_[starts[i]])));
        for (uint32_t i = end_count[k]; i < end_count[k + 1]; ++i)
            release(offset[ends[i]], round_up(tensor_bytes(tensors_[ends[i]])));
    }
    if (scratch != nullptr) {
        for (size_t id = 0; id < n; ++id) {
            if (!intermediate_[id]) continue;
            tensors_[id].buffer = scratch;
            tensors_[id].offset = offset[alias_of_[id]];
        }
    }
    return high_water;
}

}  // namespace plinth
