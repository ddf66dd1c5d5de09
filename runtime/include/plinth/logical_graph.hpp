#pragma once
// The graph of a forward pass before it meets devices: every node says which device it belongs
// to, weights are named by their tensor (not yet by a buffer), and inputs by their offset in the
// batch's input block. partition() turns it into one concrete graph per run of nodes on one
// device, with the activations that cross devices copied at the boundaries.
#include <plinth/compute_graph.hpp>
#include <plinth/model_file.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <utility>
#include <vector>

namespace plinth {

class logical_graph {
public:
    enum class kind { weight, input, on_device, intermediate };
    struct tensor {
        uint32_t type = 0;
        std::array<uint64_t, 4> shape{1, 1, 1, 1};
        kind what = kind::intermediate;
        const tensor_view* weight = nullptr;  // kind::weight
        uint64_t offset = 0;                  // kind::input: in the input block; kind::on_device: in buffer
        plinth_buffer buffer = nullptr;       // kind::on_device
        uint32_t device = 0;                  // kind::on_device
        tensor_id base = 0;                   // itself, or the tensor a view looks at
    };
    struct node {
        plinth_node op{};
        uint32_t device = 0;
    };

    tensor_id weight(const tensor_view& t);
    tensor_id input(uint64_t offset, std::array<uint64_t, 4> shape);  // I32
    tensor_id on_device(uint32_t type, std::array<uint64_t, 4> shape, plinth_buffer buffer, uint64_t offset,
                        uint32_t device);
    tensor_id intermediate(uint32_t type, std::array<uint64_t, 4> shape);
    tensor_id view(tensor_id base, std::array<uint64_t, 4> shape);

    // Nodes added from now on belong to `device` (an index into the caller's device list).
    void set_device(uint32_t device) { device_ = device; }
    tensor_id add(plinth_op op, tensor_id dst, std::initializer_list<tensor_id> src,
                  std::initializer_list<int32_t> i = {}, std::initializer_list<float> f = {});

    const std::vector<tensor>& tensors() const { return tensors_; }
    const std::vector<node>& nodes() const { return nodes_; }
    std::vector<node>& nodes() { return nodes_; }

private:
    tensor_id push(tensor t);
    std::vector<tensor> tensors_;
    std::vector<node> nodes_;
    uint32_t device_ = 0;
};

// What partition() needs to know about each device.
struct device_binding {
    plinth_buffer inputs = nullptr;  // this device's copy of the input block
    std::function<std::pair<plinth_buffer, uint64_t>(const tensor_view&)> locate_weight;
};

// One run of consecutive nodes on one device.
struct graph_segment {
    uint32_t device = 0;
    compute_graph graph;
    std::vector<std::pair<tensor_id, tensor_id>> imports;  // (logical base, local): copied in before
    std::vector<std::pair<tensor_id, tensor_id>> exports;  // (logical base, local): copied out after
};

// Cuts `g` at every change of device. `output` is exported from the segment that computes it.
std::vector<graph_segment> partition(const logical_graph& g, const std::vector<device_binding>& devices,
                                     tensor_id output);

}  // namespace plinth
