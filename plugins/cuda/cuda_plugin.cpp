// The CUDA backend plugin's entry point: descriptor, ABI negotiation, probe and backend table.
#include <plinth/plugin_api.h>
#include <plinth/sdk/entry_guard.hpp>
#include <plinth/sdk/plugin_entry.hpp>

#include "cuda_buffer.hpp"
#include "cuda_device.hpp"
#include "cuda_graph.hpp"

#include <cstdio>
#include <string>

namespace plinth::cuda {
namespace {

void copy_text(char* dst, size_t capacity, const std::string& text) { std::snprintf(dst, capacity, "%s", text.c_str()); }

// Usable when the runtime finds a driver at least as new as itself and one device or more; the
// features name each device and its compute capability.
void probe(plinth_probe_result* out) {
    sdk::guarded_probe(out, [out] {
        const runtime_survey s = survey_runtime();
        if (!s.why.empty()) {
            out->usable = 0;
            copy_text(out->reason, sizeof(out->reason), s.why);
            return;
        }
        std::string found;
        for (const device_properties& d : s.devices)
            found += (found.empty() ? "" : "; ") + d.name + " (sm_" + std::to_string(d.major) + std::to_string(d.minor) + ")";
        out->usable = 1;
        out->score = 20;
        copy_text(out->features, sizeof(out->features), found);
    });
}

plinth_status init(const plinth_host_info* host, plinth_message* err) {
    return sdk::guarded(err, "init", [&] {
        context& c = ctx();
        std::lock_guard<std::mutex> lock(c.mutex);
        c.host = host;
        return context_init(err);
    });
}

void shutdown() {
    sdk::guarded_quietly([] {
        context& c = ctx();
        std::lock_guard<std::mutex> lock(c.mutex);
        context_shutdown();
        c.host = nullptr;
    });
}

uint32_t api_device_count() {
    context& c = ctx();
    std::lock_guard<std::mutex> lock(c.mutex);
    return device_count();
}

plinth_status api_device_info(uint32_t device, plinth_device_info* out, plinth_message* err) {
    if (!out) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "device_info: out is NULL");
    return sdk::guarded(err, "device_info", [&] {
        context& c = ctx();
        std::lock_guard<std::mutex> lock(c.mutex);
        return device_info(device, out, err);
    });
}

plinth_status api_buffer_alloc(uint32_t device, uint64_t size, plinth_buffer* out, plinth_message* err) {
    return sdk::guarded(err, "buffer_alloc", [&] { return buffer_alloc(device, size, out, err); });
}

void api_buffer_free(plinth_buffer b) {
    sdk::guarded_quietly([&] { buffer_free(b); });
}

plinth_status api_buffer_upload(plinth_buffer b, uint64_t offset, const void* src, uint64_t size, plinth_message* err) {
    return sdk::guarded(err, "buffer_upload", [&] { return buffer_upload(b, offset, src, size, err); });
}

plinth_status api_buffer_download(plinth_buffer b, uint64_t offset, void* dst, uint64_t size, plinth_message* err) {
    return sdk::guarded(err, "buffer_download", [&] { return buffer_download(b, offset, dst, size, err); });
}

// What set_option takes (cuda_graph.cpp applies them), for the host's checks and listings.
const plinth_option_info* options(uint32_t* count) {
    static const char* const on_off[] = {"on", "off", nullptr};
    static const plinth_option_info list[] = {
        {sizeof(plinth_option_info), PLINTH_OPTION_CHOICE, "graphs",
         "on: capture each step's kernels and launch them as one CUDA graph (an H200 decoded 4-14% slower that way: every "
         "step is captured and its graph updated anew); off: every kernel launched by itself",
         "off", 0, 0, on_off},
        {sizeof(plinth_option_info), PLINTH_OPTION_CHOICE, "tensor_cores",
         "off: MATMUL's prefill sums by dp4a instead of 8-bit tensor-core mma (the same results; for comparing)", "on", 0, 0,
         on_off},
    };
    *count = sizeof(list) / sizeof(list[0]);
    return list;
}

const plinth_backend_api backend_api = [] {
    plinth_backend_api api{};
    api.struct_size = sizeof(api);
    api.device_count = api_device_count;
    api.device_info = api_device_info;
    api.buffer_alloc = api_buffer_alloc;
    api.buffer_wrap_host = nullptr;  // device memory cannot wrap host memory (no PLINTH_BUFFER_CAN_WRAP_HOST)
    api.buffer_free = api_buffer_free;
    api.buffer_size = buffer_size;
    api.buffer_host_ptr = buffer_host_ptr;
    api.buffer_upload = api_buffer_upload;
    api.buffer_download = api_buffer_download;
    api.set_option = set_option;
    api.supports_node = supports_node;
    api.graph_compute = graph_compute;
    api.options = options;
    return api;
}();

plinth_plugin_descriptor descriptor = sdk::backend_descriptor(
    "cuda", "0.1.0", "CUDA backend (NVIDIA GPUs, compute capability 8.0 and newer)", probe, init, shutdown, &backend_api);

}  // namespace
}  // namespace plinth::cuda

PLINTH_PLUGIN_ENTRY(plinth::cuda::descriptor)
