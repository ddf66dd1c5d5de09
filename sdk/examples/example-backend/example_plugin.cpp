// The example backend plugin: one device that computes every ABI 1.0 op of compute.h in plain
// scalar C++, in memory of its own, and declares one option. Built out of tree from an installed
// plinth alone (sdk/examples/example-backend/CMakeLists.txt); docs/plugin-guide.md walks through
// it. What a real backend changes: the kernels (example_ops.cpp) and where buffers live
// (example_memory.cpp); the entry, the option table and the node checks stay as they are here.
#include "example_memory.hpp"
#include "example_ops.hpp"

#include <plinth/sdk/node_validator.hpp>
#include <plinth/sdk/plugin_entry.hpp>

#include <charconv>
#include <cstring>
#include <exception>
#include <string_view>
#include <vector>

namespace example {

namespace {

// ---- the option: backends.example.some_option in a deployment file, or
// --backend-option example.some_option=N. It sets the memory the device offers, in MiB: a stand-in
// for a real backend's settings, with an effect `plinth devices` shows.
constexpr int64_t some_option_min = 1, some_option_max = 65536;
const plinth_option_info option_table[] = {
    {sizeof(plinth_option_info), PLINTH_OPTION_INTEGER, "some_option",
     "the memory the example device offers, in MiB (allocations past it fail)", "256", some_option_min, some_option_max, nullptr},
};

const plinth_option_info* options(uint32_t* count) {
    *count = uint32_t(sizeof(option_table) / sizeof(option_table[0]));
    return option_table;
}

plinth_status set_option(const char* key, const char* value, plinth_message* err) {
    if (!key || !value) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "set_option: NULL key or value");
    if (std::strcmp(key, "some_option") != 0)
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "the example backend has no option '%s' (it has: some_option)", key);
    const std::string_view text(value);
    int64_t mib = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mib);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || mib < some_option_min || mib > some_option_max)
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "some_option must be an integer from %lld to %lld, not '%s'",
                    (long long)some_option_min, (long long)some_option_max, value);
    set_memory_mib(mib);
    return PLINTH_OK;
}

// ---- the device

uint32_t device_count() { return 1; }

plinth_status device_info(uint32_t device, plinth_device_info* out, plinth_message* err) {
    if (device != 0) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "no example device %u (there is one: 0)", device);
    if (!out || out->struct_size < sizeof(plinth_device_info)) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "device_info: bad out struct");
    const uint32_t size = out->struct_size;
    std::memset(out, 0, sizeof(plinth_device_info));
    out->struct_size = size;
    // Not PLINTH_DEVICE_CPU with host-memory buffers: the host sees a device with memory of its
    // own, as it would see a GPU, and keeps using the CPU plugin as its fallback and reference.
    out->type = PLINTH_DEVICE_OTHER;
    std::snprintf(out->name, sizeof(out->name), "Example device (%llu MiB)", (unsigned long long)(memory_total() >> 20));
    std::snprintf(out->description, sizeof(out->description), "plinth's SDK example: every ABI 1.0 op, scalar C++, F32/F16/Q8_0/Q4_0 weights");
    out->memory_total = memory_total();
    out->memory_free = memory_total() - std::min(memory_total(), memory_used());
    out->compute_units = 1;
    out->buffer_caps = 0;
    out->buffer_alignment = buffer_alignment;
    return PLINTH_OK;
}

// ---- checking nodes: the SDK's validator, told where this device's buffers are and what it reads

struct hooks : plinth::sdk::node_validator_hooks<tensor> {
    static const char* backend_name() { return "example"; }
    static bool decodes(uint32_t, uint32_t type) { return example::decodes(type); }
    static plinth::sdk::buffer_location locate(const plinth_buffer_s* b) {
        plinth::sdk::buffer_location at;
        at.size = b->size;
        at.has_memory = b->data != nullptr;
        at.space = b;  // memory of its own: tensors overlap only within one buffer
        return at;
    }
    static void place(tensor& view, const plinth_tensor& t, const plinth::sdk::buffer_location&) { view.data = t.buffer->data + t.offset; }
    plinth_status node_limits(const plinth_graph&, const node& n, const plinth::sdk::node_failure& failure) const {
        if (!computes(n.node->op)) return failure.unsupported("the example device computes only the ABI 1.0 ops");
        return PLINTH_OK;
    }
};

int32_t supports_node(uint32_t device, const plinth_graph* graph, uint32_t index) {
    if (device != 0 || plinth::sdk::check_graph_header(graph, nullptr) != PLINTH_OK || index >= graph->n_nodes) return 0;
    node n;
    return plinth::sdk::node_validator<hooks>(*graph, hooks{}, plinth::sdk::validation_mode::shapes, nullptr).node(index, n) == PLINTH_OK;
}

plinth_status graph_compute(uint32_t device, const plinth_graph* graph, plinth_message* err) {
    if (device != 0) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "no example device %u (there is one: 0)", device);
    plinth_status st = plinth::sdk::check_graph_header(graph, err);
    if (st != PLINTH_OK) return st;
    // Every node is checked before any runs, so a bad graph changes nothing.
    std::vector<node> nodes(graph->n_nodes);
    const plinth::sdk::node_validator<hooks> check(*graph, hooks{}, plinth::sdk::validation_mode::full, err);
    for (uint32_t i = 0; i < graph->n_nodes; ++i)
        if ((st = check.node(i, nodes[i])) != PLINTH_OK) return st;
    try {  // no exception crosses the C ABI
        for (const node& n : nodes)
            if ((st = run(n, err)) != PLINTH_OK) return st;
    } catch (const std::exception& e) {
        return fail(err, PLINTH_ERR_INTERNAL, "example backend: %s", e.what());
    }
    return PLINTH_OK;
}

// ---- the plugin

void probe(plinth_probe_result* out) {
    out->usable = 1;  // plain C++: it runs wherever it was built
    out->score = 1;
    std::snprintf(out->features, sizeof(out->features), "scalar");
}

plinth_status init(const plinth_host_info*, plinth_message*) { return PLINTH_OK; }
void shutdown() {}

const plinth_backend_api api = [] {
    plinth_backend_api a{};
    a.struct_size = sizeof(a);
    a.device_count = device_count;
    a.device_info = device_info;
    a.buffer_alloc = buffer_alloc;
    a.buffer_free = buffer_free;
    a.buffer_size = buffer_size;
    a.buffer_upload = buffer_upload;
    a.buffer_download = buffer_download;
    a.set_option = set_option;
    a.supports_node = supports_node;
    a.graph_compute = graph_compute;
    a.options = options;
    return a;
}();

plinth_plugin_descriptor descriptor = plinth::sdk::backend_descriptor(
    "example", "0.1.0", "plinth SDK example backend: scalar C++ in memory of its own", probe, init, shutdown, &api);

}  // namespace

}  // namespace example

PLINTH_PLUGIN_ENTRY(example::descriptor)
