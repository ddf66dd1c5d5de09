#include <plinth/placement.hpp>

#include "device_select.hpp"

#include <plinth/compute.h>
#include <plinth/compute_graph.hpp>
#include <plinth/weight_types.h>
#include <plinth/error.hpp>
#include <plinth/plugin_host.hpp>

#include <algorithm>
#include <sstream>

#include <re2/re2.h>

namespace plinth {
namespace {

constexpr uint32_t unplaced = UINT32_MAX;

std::string at(const source_location& where) {
    return where.line ? where.file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) + ": " : "";
}

// Bytes of every weight of one layer, as its architecture lists them.
uint64_t layer_weight_bytes(const architecture& arch, uint32_t layer) {
    uint64_t n = 0;
    for (const weight_use& w : arch.layer_weights(layer)) n += w.tensor->size;
    return n;
}

int layer_of(const std::string& tensor_name) {
    if (tensor_name.rfind("blk.", 0) != 0) return -1;
    return std::atoi(tensor_name.c_str() + 4);
}

struct plan_builder {
    placement_plan plan;
    const plugin_host& host;

    uint32_t slot(const std::string& device) {
        auto it = std::find(plan.devices.begin(), plan.devices.end(), device);
        if (it != plan.devices.end()) return static_cast<uint32_t>(it - plan.devices.begin());
        detail::select_device(host, device);  // throws when it does not exist
        plan.devices.push_back(device);
        plan.weight_bytes.push_back(0);
        plan.kv_bytes.push_back(0);
        return static_cast<uint32_t>(plan.devices.size() - 1);
    }
};

// Every device of every loaded backend, GPUs first: the order `auto` fills them in.
std::vector<std::pair<std::string, plinth_device_info>> auto_candidates(const plugin_host& host) {
    std::vector<std::pair<std::string, plinth_device_info>> gpus, cpus;
    for (const auto* b : host.backends()) {
        for (uint32_t i = 0; i < b->backend->device_count(); ++i) {
            plinth_device_info info{};
            info.struct_size = sizeof(info);
            plinth_message msg{};
            if (b->backend->device_info(i, &info, &msg) != PLINTH_OK || b->backend->graph_compute == nullptr) continue;
            auto& list = info.type == PLINTH_DEVICE_CPU ? cpus : gpus;
            list.emplace_back(b->name + ":" + std::to_string(i), info);
        }
    }
    gpus.insert(gpus.end(), cpus.begin(), cpus.end());
    return gpus;
}

// Whether `device` runs `op` (MATMUL, MATMUL_EXPERTS, or GET_ROWS for the token embedding) on
// weight `w`: its supports_node on a shape-only graph of that one node, with an F32 activation of
// one token (and the plugin's ABI minor covers the op).
bool device_runs(const plugin_host& host, const std::string& device, uint32_t op, const tensor_view& w) {
    const auto [backend, index] = detail::select_device(host, device);
    const plinth_backend_api* api = backend->backend;
    if (plinth_op_abi_minor(op) > backend->abi_minor) return false;
    if (api->supports_node == nullptr) return true;
    const uint64_t k = w.shape.at(0), n = w.shape.size() > 1 ? w.shape[1] : 1, experts = w.shape.size() > 2 ? w.shape[2] : 1;
    compute_graph g;
    const tensor_id weight = g.bound(w.type, {k, n, experts, 1}, nullptr, 0);
    if (op == PLINTH_OP_GET_ROWS) {
        const tensor_id ids = g.bound(PLINTH_TYPE_I32, {1, 1, 1, 1}, nullptr, 0);
        g.node(PLINTH_OP_GET_ROWS, g.bound(PLINTH_TYPE_F32, {k, 1, 1, 1}, nullptr, 0), {weight, ids});
    } else if (op == PLINTH_OP_MATMUL_EXPERTS) {
        const tensor_id x = g.bound(PLINTH_TYPE_F32, {k, 1, 1, 1}, nullptr, 0);
        const tensor_id gate = g.bound(PLINTH_TYPE_F32, {experts, 1, 1, 1}, nullptr, 0);
        g.node(PLINTH_OP_MATMUL_EXPERTS, g.bound(PLINTH_TYPE_F32, {n, 1, 1, 1}, nullptr, 0), {weight, x, gate}, {1, 1});
    } else {
        const tensor_id x = g.bound(PLINTH_TYPE_F32, {k, 1, 1, 1}, nullptr, 0);
        g.node(PLINTH_OP_MATMUL, g.bound(PLINTH_TYPE_F32, {n, 1, 1, 1}, nullptr, 0), {weight, x});
    }
    const plinth_graph graph = g.c_graph();
    return api->supports_node(index, &graph, 0) != 0;
}

}  // namespace

placement_plan plan_placement(const placement_settings& settings, const std::string& default_device,
                              const plugin_host& host, const model_file& file, const architecture& arch,
                              uint64_t kv_bytes_per_layer) {
    plan_builder b{{}, host};
    const uint32_t n_layer = arch.hparams().n_layer;
    const std::vector<weight_use> globals = arch.global_weights();
    std::string embedding_name;
    for (const auto& g : globals)
        if (g.op == PLINTH_OP_GET_ROWS) embedding_name = g.tensor->name;
    std::vector<uint32_t> layer(n_layer, unplaced);

    // Layer rules.
    bool any_layer_rule = false;
    for (const auto& rule : settings.rules) {
        if (!rule.layers) continue;
        any_layer_rule = true;
        uint32_t device = 0;
        try {
            device = b.slot(rule.device.str());
        } catch (const error& e) {
            throw error(at(rule.where) + e.what());
        }
        for (const auto& range : rule.layers->ranges) {
            const uint32_t last = range.to_last ? n_layer - 1 : range.last;
            if (range.first >= n_layer || last >= n_layer)
                throw error(at(rule.where) + "placement names layer " + std::to_string(std::max(range.first, last)) +
                            ", but the model has layers 0-" + std::to_string(n_layer - 1));
            for (uint32_t l = range.first; l <= last; ++l) {
                if (layer[l] != unplaced)
                    throw error(at(rule.where) + "layer " + std::to_string(l) + " is placed twice (on " +
                                b.plan.devices[layer[l]] + " and " + rule.device.str() + ")");
                layer[l] = device;
            }
        }
    }

    if (settings.automatic) {
        // Fill the unplaced layers in order: each device takes as many as fit its budget.
        size_t next = 0;
        for (const auto& [id, info] : auto_candidates(host)) {
            const auto budget_it = settings.budget.find(id);
            const bool explicit_budget = budget_it != settings.budget.end();
            uint64_t budget = explicit_budget ? budget_it->second : info.memory_free / 10 * 9;
            bool took_any = false;
            while (next < n_layer) {
                if (layer[next] != unplaced) {
                    ++next;
                    continue;
                }
                const uint64_t need = layer_weight_bytes(arch, next) + kv_bytes_per_layer;
                if (need > budget) break;
                budget -= need;
                layer[next++] = b.slot(id);
                took_any = true;
            }
            if (explicit_budget && !took_any && next < n_layer)
                throw error("the placement budget of " + id + " (" + std::to_string(budget_it->second) +
                            " bytes) is too small for a single layer (" +
                            std::to_string(layer_weight_bytes(arch, next) + kv_bytes_per_layer) + " bytes)");
        }
        for (uint32_t l = 0; l < n_layer; ++l)
            if (layer[l] == unplaced)
                throw error("automatic placement found no device with room for layer " + std::to_string(l));
    } else if (!any_layer_rule) {
        std::string id = default_device;
        if (id.empty()) {
            const auto host_device = host.host_memory_device();
            if (!host_device)
                throw error("no loaded backend has a device that works in host memory to run the model on: name one with --device or a placement");
            id = *host_device;
        }
        const uint32_t device = b.slot(id);
        std::fill(layer.begin(), layer.end(), device);
    } else {
        for (uint32_t l = 0; l < n_layer; ++l)
            if (layer[l] == unplaced)
                throw error("no placement rule names layer " + std::to_string(l) + " (add it to a `layers` rule)");
    }
    b.plan.layer_device = layer;
    b.plan.embedding_device = layer.front();
    b.plan.output_device = layer.back();

    // Tensor rules: override where single weights (and the nodes that read them) go.
    for (const auto& rule : settings.rules) {
        if (!rule.tensors) continue;
        uint32_t device = 0;
        try {
            device = b.slot(rule.device.str());
        } catch (const error& e) {
            throw error(at(rule.where) + e.what());
        }
        const RE2 pattern(*rule.tensors, RE2::Quiet);  // checked by the config loader; linear-time matching
        if (!pattern.ok()) throw error(at(rule.where) + "'tensors' is not a valid regular expression: " + pattern.error());
        bool matched = false;
        for (const auto& t : file.tensors()) {
            if (!RE2::FullMatch(t.name, pattern)) continue;
            matched = true;
            b.plan.tensor_overrides[t.name] = device;
        }
        if (!matched) throw error(at(rule.where) + "the tensors rule \"" + *rule.tensors + "\" matches no tensor of the model");
    }
    // Where a weight goes: its tensors rule, else its layer's device (the ends': embedding, output).
    const auto device_by_layer = [&](const std::string& name) {
        const int l = layer_of(name);
        if (l >= 0 && static_cast<uint32_t>(l) < n_layer) return layer[static_cast<uint32_t>(l)];
        return name == embedding_name ? b.plan.embedding_device : b.plan.output_device;
    };
    const auto device_of_tensor = [&](const tensor_view& t) {
        if (auto it = b.plan.tensor_overrides.find(t.name); it != b.plan.tensor_overrides.end()) return it->second;
        return device_by_layer(t.name);
    };

    // A weight whose op its device refuses (supports_node: e.g. a type the backend has no kernel
    // for) runs on the CPU instead, which reads it from the mapping: placed there as an override,
    // so it is not uploaded and the copies it costs are counted. (The engine would move such nodes
    // anyway; this makes the plan say so.)
    const std::string fallback = host.host_memory_device().value_or("");
    std::vector<std::pair<const tensor_view*, uint32_t>> uses;  // weight, op
    for (const auto& g : globals)
        if (g.op != 0) uses.emplace_back(g.tensor, g.op);
    for (uint32_t l = 0; l < n_layer; ++l)
        for (const auto& w : arch.layer_weights(l))
            if (w.op != 0) uses.emplace_back(w.tensor, w.op);
    for (const auto& [t, op] : uses) {
        const std::string device = b.plan.devices[device_of_tensor(*t)];  // (a copy: slot() may grow the list)
        if (device == fallback || device_runs(host, device, op, *t)) continue;
        if (fallback.empty()) continue;  // no host-memory backend: the engine reports the node it cannot place
        const uint32_t cpu = b.slot(fallback);
        b.plan.tensor_overrides[t->name] = cpu;
        b.plan.refused[t->name] = {device, plinth_weight_type_info(t->type).name};
    }

    for (const auto& t : file.tensors()) b.plan.weight_bytes[device_of_tensor(t)] += t.size;
    for (uint32_t l = 0; l < n_layer; ++l) b.plan.kv_bytes[layer[l]] += kv_bytes_per_layer;

    // Activations cross devices wherever consecutive layers (or the ends) change device.
    uint32_t copies = 0;
    uint32_t prev = b.plan.embedding_device;
    for (uint32_t l = 0; l < n_layer; ++l) {
        copies += layer[l] != prev;
        prev = layer[l];
    }
    copies += b.plan.output_device != prev;
    // A weight moved off its layer's device sends its input there and its result back.
    for (const auto& [name, device] : b.plan.tensor_overrides) copies += device != device_by_layer(name) ? 2 : 0;
    b.plan.boundary_copies = copies;
    return b.plan;
}

std::string placement_plan::describe() const {
    std::ostringstream out;
    out << "placement:\n";
    size_t start = 0;
    for (size_t l = 1; l <= layer_device.size(); ++l) {
        if (l < layer_device.size() && layer_device[l] == layer_device[start]) continue;
        out << "  layers " << start;
        if (l - 1 != start) out << "-" << l - 1;
        out << " -> " << devices[layer_device[start]] << "\n";
        start = l;
    }
    out << "  token embedding -> " << devices[embedding_device] << "\n";
    out << "  output -> " << devices[output_device] << "\n";
    // Rule overrides one by one; weights their device refused, counted by type.
    std::map<std::string, uint32_t> refused_counts;  // "vulkan:0 does not run the Q5_K weights; ..."
    for (const auto& [name, device] : tensor_overrides) {
        const auto it = refused.find(name);
        if (it == refused.end()) out << "  tensor " << name << " -> " << devices[device] << "\n";
        else ++refused_counts[it->second.device + " does not run the " + it->second.type + " weights; they run on " + devices[device]];
    }
    for (const auto& [what, count] : refused_counts) out << "  " << count << " weights: " << what << "\n";
    for (size_t d = 0; d < devices.size(); ++d)
        out << "  " << devices[d] << ": weights " << (weight_bytes[d] >> 10) << " KiB, KV cache " << (kv_bytes[d] >> 10)
            << " KiB\n";
    out << "  activation copies between devices per forward pass: " << boundary_copies << "\n";
    return out.str();
}

}  // namespace plinth
