#include <plinth/logical_graph.hpp>

#include <plinth/error.hpp>
#include <plinth/weight_types.h>

#include <algorithm>

namespace plinth {

tensor_id logical_graph::push(tensor t) {
    const auto id = static_cast<tensor_id>(tensors_.size());
    t.base = id;
    tensors_.push_back(t);
    return id;
}

tensor_id logical_graph::weight(const tensor_view& w) {
    tensor t;
    t.type = w.type;
    for (size_t i = 0; i < w.shape.size() && i < 4; ++i) t.shape[i] = w.shape[i];
    t.what = kind::weight;
    t.weight = &w;
    return push(t);
}

tensor_id logical_graph::input(uint64_t offset, std::array<uint64_t, 4> shape) {
    tensor t;
    t.type = PLINTH_TYPE_I32;
    t.shape = shape;
    t.what = kind::input;
    t.offset = offset;
    return push(t);
}

tensor_id logical_graph::on_device(uint32_t type, std::array<uint64_t, 4> shape, plinth_buffer buffer, uint64_t offset,
                                   uint32_t device) {
    tensor t;
    t.type = type;
    t.shape = shape;
    t.what = kind::on_device;
    t.buffer = buffer;
    t.offset = offset;
    t.device = device;
    return push(t);
}

tensor_id logical_graph::intermediate(uint32_t type, std::array<uint64_t, 4> shape) {
    tensor t;
    t.type = type;
    t.shape = shape;
    return push(t);
}

tensor_id logical_graph::view(tensor_id base, std::array<uint64_t, 4> shape) {
    tensor t = tensors_.at(base);
    t.shape = shape;
    const tensor_id id = push(t);
    tensors_[id].base = tensors_[base].base;
    return id;
}

tensor_id logical_graph::add(plinth_op op, tensor_id dst, std::initializer_list<tensor_id> src,
                             std::initializer_list<int32_t> i, std::initializer_list<float> f) {
    node n;
    n.device = device_;
    n.op.op = op;
    n.op.dst = dst;
    std::fill(std::begin(n.op.src), std::end(n.op.src), PLINTH_NO_TENSOR);
    std::copy(src.begin(), src.end(), n.op.src);
    std::copy(i.begin(), i.end(), n.op.i);
    std::copy(f.begin(), f.end(), n.op.f);
    nodes_.push_back(n);
    return dst;
}

}  // namespace plinth
