#include <plinth/compute_graph.hpp>

#include <plinth/error.hpp>
#include <plinth/weight_types.h>

#include <algorithm>

namespace plinth {

uint64_t tensor_bytes(const plinth_tensor& t) {
    const auto traits = plinth_weight_type_info(t.type);
    const uint64_t rows = t.shape[1] * t.shape[2] * t.shape[3];
    return t.shape[0] / traits.block_size * traits.block_bytes * rows;
}

tensor_id compute_graph::bound(uint32_t type, std::array<uint64_t, 4> shape, plinth_buffer buffer, uint64_t offset) {
    plinth_tensor t{};
    t.type = type;
    std::copy(shape.begin(), shape.end(), t.shape);
    t.buffer = buffer;
    t.offset = offset;
    tensors_.push_back(t);
    alias_of_.push_back(static_cast<tensor_id>(tensors_.size() - 1));
    intermediate_.push_back(false);
    keep_alive_.push_back(false);
    return static_cast<tensor_id>(tensors_.size() - 1);
}

tensor_id compute_graph::intermediate(uint32_t type, std::array<uint64_t, 4> shape) {
    const tensor_id id = bound(type, shape, nullptr, 0);
    intermediate_[id] = true;
    return id;
}

tensor_id compute_graph::view(tensor_id base, std::array<uint64_t, 4> shape) {
    const plinth_tensor b = tensors_.at(base);
    const tensor_id id = bound(b.type, shape, b.buffer, b.offset);
    if (tensor_bytes(tensors_[id]) != tensor_bytes(b)) throw error("internal: view changes the size of a tensor");
    alias_of_[id] = alias_of_[base];
    intermediate_[id] = intermediate_[base];
    return id;
}

tensor_id compute_graph::node(plinth_op op, tensor_id dst, std::initializer_list<tensor_id> src,
                              std::initializer_list<int32_t> i, std::initializer_list<float> f) {
    plinth_node n{};
    n.op = op;
    n.dst = dst;
    std::fill(std::begin(n.src), std::end(n.src), PLINTH_NO_TENSOR);
    std::copy(src.begin(), src.end(), n.src);
    std::copy(i.begin(), i.end(), n.i);
    std::copy(f.begin(), f.end(), n.f);
    nodes_.push_back(n);
    return dst;
}

void compute_graph::keep_alive(tensor_id id) { keep_alive_.at(alias_of_.at(id)) = true; }

plinth_graph compute_graph::c_graph() const {
    plinth_graph g{};
    g.struct_size = sizeof(g);
    g.n_tensors = static_cast<uint32_t>(tensors_.size());
    g.tensors = tensors_.data();
    g.n_nodes = static_cast<uint32_t>(nodes_.size());
    g.nodes = nodes_.data();
    return g;
}

}  // namespace plinth
