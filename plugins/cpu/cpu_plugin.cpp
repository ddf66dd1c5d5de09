// The CPU backend plugin's entry point: descriptor, ABI negotiation, probe and device table.
#include <plinth/plugin_api.h>
#include <plinth/sdk/plugin_entry.hpp>

#include "cpu_buffer.hpp"
#include "cpu_device.hpp"
#include "cpu_features.hpp"
#include "ops/compute.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace plinth::cpu {
namespace {

const plinth_host_info* g_host = nullptr;

void copy_text(char* dst, size_t capacity, const std::string& text) {
    std::snprintf(dst, capacity, "%s", text.c_str());
}

void probe(plinth_probe_result* out) {
    const auto& isa = detect_isa();
    out->usable = 1;
    // A plugin built for a wider ISA would score higher; this generic build runs anywhere.
    out->score = 10;
    copy_text(out->features, sizeof(out->features), describe(isa));
}

plinth_status init(const plinth_host_info* host, plinth_message*) {
    g_host = host;
    return PLINTH_OK;
}

void shutdown() {
    compute_shutdown();
    g_host = nullptr;
}

uint32_t device_count() { return 1; }

plinth_status device_info(uint32_t device, plinth_device_info* out, plinth_message* err) {
    if (device != 0) {
        std::snprintf(err->text, sizeof(err->text), "no CPU device %u (there is one: 0)", device);
        return PLINTH_ERR_INVALID_ARGUMENT;
    }
    const auto& cpu = describe_cpu();
    out->type = PLINTH_DEVICE_CPU;
    copy_text(out->name, sizeof(out->name), cpu.model_name);
    copy_text(out->description, sizeof(out->description),
              std::to_string(cpu.physical_cores) + " cores, " + std::to_string(cpu.logical_cores) +
                  " threads; " + describe(detect_isa()));
    out->memory_total = memory_total_bytes();
    out->memory_free = memory_available_bytes();
    out->compute_units = cpu.physical_cores;
    out->buffer_caps = PLINTH_BUFFER_HOST_VISIBLE | PLINTH_BUFFER_CAN_WRAP_HOST;
    out->buffer_alignment = buffer_alignment;
    return PLINTH_OK;
}

// What set_option takes (compute.cpp applies them), for the host's checks and listings.
const plinth_option_info* options(uint32_t* count) {
    static const char* const simd_levels[] = {"auto", "avx512", "avx2", "neon", "scalar", nullptr};
    static const char* const prefetch_levels[] = {"auto", "l1", "l2", nullptr};
    static const plinth_option_info list[] = {
        {sizeof(plinth_option_info), PLINTH_OPTION_INTEGER, "threads", "worker threads of the CPU kernels", "the physical cores", 1, 4096,
         nullptr},
        {sizeof(plinth_option_info), PLINTH_OPTION_CHOICE, "simd",
         "the kernels' instruction set: auto is the best this CPU runs; a lower level is for comparing or working around a kernel",
         "auto", 0, 0, simd_levels},
        {sizeof(plinth_option_info), PLINTH_OPTION_CHOICE, "prefetch",
         "the cache level the x86 kernels' prefetches of weight rows fill: auto is l2 on AMD CPUs (where it decoded 1.3-1.9x as "
         "fast) and l1 elsewhere; the other is for comparing",
         "auto", 0, 0, prefetch_levels},
    };
    *count = sizeof(list) / sizeof(list[0]);
    return list;
}

const plinth_backend_api backend_api = [] {
    plinth_backend_api api{};
    api.struct_size = sizeof(api);
    api.device_count = device_count;
    api.device_info = device_info;
    api.buffer_alloc = buffer_alloc;
    api.buffer_wrap_host = buffer_wrap_host;
    api.buffer_free = buffer_free;
    api.buffer_size = buffer_size;
    api.buffer_host_ptr = buffer_host_ptr;
    api.buffer_upload = buffer_upload;
    api.buffer_download = buffer_download;
    api.set_option = set_option;
    api.supports_node = supports_node;
    api.graph_compute = graph_compute;
    api.options = options;
    api.buffer_wrap_weights = buffer_wrap_weights;
    return api;
}();

plinth_plugin_descriptor descriptor =
    sdk::backend_descriptor("cpu", "0.1.0", "CPU backend (host memory, runtime ISA detection)",
                            probe, init, shutdown, &backend_api);

}  // namespace
}  // namespace plinth::cpu

PLINTH_PLUGIN_ENTRY(plinth::cpu::descriptor)
