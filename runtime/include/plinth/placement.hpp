#pragma once
// Which device holds each layer (its weights and KV cache) and each weight placed apart by a
// `tensors` rule: from the config's rules, from `auto` (as many layers as fit on the GPUs, the
// rest on the CPU), or everything on one device. Checked and printable before any weight loads.
#include <plinth/config.hpp>
#include <plinth/architecture.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace plinth {

class plugin_host;

struct placement_plan {
    std::vector<std::string> devices;      // device ids in use; indices below point here
    std::vector<uint32_t> layer_device;    // per layer
    uint32_t embedding_device = 0;
    uint32_t output_device = 0;
    std::map<std::string, uint32_t> tensor_overrides;  // tensor name -> device (tensors rules, refusals)
    // Weights moved to the CPU because their layer's device refused their op (supports_node).
    struct refusal {
        std::string device;  // the device that refused
        std::string type;    // the weight's type name
    };
    std::map<std::string, refusal> refused;  // by tensor name
    std::vector<uint64_t> weight_bytes;    // per device
    std::vector<uint64_t> kv_bytes;        // per device
    uint32_t boundary_copies = 0;          // activations crossing devices per forward pass

    // The plan as a table: layer ranges and devices, bytes per device, copies per token.
    std::string describe() const;
};

// Throws plinth::error for a device that does not exist (or whose plugin is not loaded), layers
// outside the model, layers no rule names, overlapping rules, a `tensors` rule that matches
// nothing, or a budget too small for any layer.
placement_plan plan_placement(const placement_settings& settings, const std::string& default_device,
                              const plugin_host& host, const model_file& file, const architecture& arch,
                              uint64_t kv_bytes_per_layer);

}  // namespace plinth
