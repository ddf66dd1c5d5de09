// Cutting a logical graph into per-device segments. Within a segment every tensor is bound to that
// device: weights through the device's locator, inputs to its copy of the input block, results to
// its scratch. An intermediate read by a later segment than the one that wrote it is exported
// (copied out after the writer runs) and imported (copied in before the reader runs).
#include <plinth/logical_graph.hpp>

#include <plinth/error.hpp>

#include <algorithm>

namespace plinth {
namespace {

constexpr tensor_id unmapped = PLINTH_NO_TENSOR;

void add_unique(std::vector<std::pair<tensor_id, tensor_id>>& list, tensor_id base, tensor_id local) {
    for (const auto& [b, l] : list)
        if (b == base) return;
    list.emplace_back(base, local);
}

}  // namespace

std::vector<graph_segment> partition(const logical_graph& g, const std::vector<device_binding>& devices,
                                     tensor_id output) {
    const auto& tensors = g.tensors();
    std::vector<graph_segment> segments;
    std::vector<std::vector<tensor_id>> local;  // per segment: logical id -> local id
    std::vector<int> producer(tensors.size(), -1);

    const auto local_of = [&](size_t s, tensor_id id, auto&& self) -> tensor_id {
        if (local[s][id] != unmapped) return local[s][id];
        const auto& t = tensors[id];
        graph_segment& seg = segments[s];
        const device_binding& dev = devices.at(seg.device);
        tensor_id l = unmapped;
        if (t.base != id) {
            l = seg.graph.view(self(s, t.base, self), t.shape);
        } else {
            switch (t.what) {
            case logical_graph::kind::weight: {
                const auto [buffer, offset] = dev.locate_weight(*t.weight);
                l = seg.graph.bound(t.type, t.shape, buffer, offset);
                break;
            }
            case logical_graph::kind::input:
                l = seg.graph.bound(t.type, t.shape, dev.inputs, t.offset);
                break;
            case logical_graph::kind::on_device:
                if (t.device != seg.device)
                    throw error("internal: a tensor of device " + std::to_string(t.device) + " is used on device " +
                                std::to_string(seg.device));
                l = seg.graph.bound(t.type, t.shape, t.buffer, t.offset);
                break;
            case logical_graph::kind::intermediate:
                l = seg.graph.intermediate(t.type, t.shape);
                if (producer[id] >= 0 && static_cast<size_t>(producer[id]) != s) {
                    // Written by an earlier segment: copy it across.
                    seg.graph.keep_alive(l);
                    add_unique(seg.imports, id, l);
                    const size_t p = static_cast<size_t>(producer[id]);
                    const tensor_id there = local[p][id];
                    segments[p].graph.keep_alive(there);
                    add_unique(segments[p].exports, id, there);
                }
                break;
            }
        }
        local[s][id] = l;
        return l;
    };

    for (const auto& n : g.nodes()) {
        if (segments.empty() || segments.back().device != n.device) {
            segments.emplace_back().device = n.device;
            local.emplace_back(tensors.size(), unmapped);
        }
        const size_t s = segments.size() - 1;
        plinth_node op = n.op;
        for (auto& src : op.src)
            if (src != PLINTH_NO_TENSOR) src = local_of(s, src, local_of);
        const tensor_id dst_base = tensors.at(n.op.dst).base;
        if (tensors[dst_base].what == logical_graph::kind::intermediate && producer[dst_base] < 0)
            producer[dst_base] = static_cast<int>(s);
        op.dst = local_of(s, n.op.dst, local_of);
        segments[s].graph.add_node(op);
    }

    // The result leaves the segment that computed it.
    const tensor_id out_base = tensors.at(output).base;
    if (producer.at(out_base) < 0) throw error("internal: the graph's output is never computed");
    const size_t p = static_cast<size_t>(producer[out_base]);
    segments[p].graph.keep_alive(local[p][out_base]);
    add_unique(segments[p].exports, out_base, local[p][out_base]);
    return segments;
}

}  // namespace plinth
