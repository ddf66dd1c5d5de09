#pragma once
// The host's side of the op graph: builds the plain-C plinth_graph a backend computes, and plans
// where the intermediate tensors live in one scratch buffer.
#include <plinth/plugin_api.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace plinth {

using tensor_id = uint32_t;

class compute_graph {
public:
    // A tensor that already lives in a buffer (weights, KV cache, inputs).
    tensor_id bound(uint32_t type, std::array<uint64_t, 4> shape, plinth_buffer buffer, uint64_t offset);
    // An intermediate result; placed in the scratch buffer by plan_scratch().
    tensor_id intermediate(uint32_t type, std::array<uint64_t, 4> shape);
    // Another shape over the same bytes as `base` (same element count).
    tensor_id view(tensor_id base, std::array<uint64_t, 4> shape);

    // Appends a node; returns its dst for chaining.
    tensor_id node(plinth_op op, tensor_id dst, std::initializer_list<tensor_id> src,
                   std::initializer_list<int32_t> i = {}, std::initializer_list<float> f = {});

    // Appends a node whose tensor indices are already this graph's.
    void add_node(const plinth_node& n) { nodes_.push_back(n); }

    // Keeps an intermediate alive for the whole graph: for tensors written before the graph runs
    // (copied in from another device) or read after it (copied out, the result).
    void keep_alive(tensor_id id);

    // Assigns every intermediate an offset in `scratch`, reusing memory of tensors no later node
    // reads. Returns the bytes needed; call with scratch == nullptr to size, then with the buffer.
    uint64_t plan_scratch(plinth_buffer scratch, uint64_t alignment = 64);

    plinth_graph c_graph() const;
    const plinth_tensor& tensor(tensor_id id) const { return tensors_[id]; }
    size_t node_count() const { return nodes_.size(); }

private:
    std::vector<plinth_tensor> tensors_;
    std::vector<plinth_node> nodes_;
    std::vector<tensor_id> alias_of_;   // for views: the base tensor; else the tensor itself
    std::vector<bool> intermediate_;
    std::vector<bool> keep_alive_;
};

uint64_t tensor_bytes(const plinth_tensor& t);

}  // namespace plinth
