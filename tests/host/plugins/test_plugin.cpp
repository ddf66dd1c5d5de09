// A configurable fake backend plugin for the host's tests. Compile-time switches make the
// misbehaving variants the host must refuse:
//   TEST_PLUGIN_ABI_MAJOR  the ABI major it claims (another major: built against other headers)
//   TEST_PLUGIN_PROBE_REFUSES  its probe says it cannot run here
//   TEST_PLUGIN_NAME / TEST_PLUGIN_SCORE  name and probe score (for variant selection)
#include <plinth/plugin_api.h>

#include <cstdio>

#ifndef TEST_PLUGIN_ABI_MAJOR
#define TEST_PLUGIN_ABI_MAJOR PLINTH_ABI_MAJOR
#endif
#ifndef TEST_PLUGIN_NAME
#define TEST_PLUGIN_NAME "testdev"
#endif
#ifndef TEST_PLUGIN_SCORE
#define TEST_PLUGIN_SCORE 1
#endif

namespace {

void probe(plinth_probe_result* out) {
#ifdef TEST_PLUGIN_PROBE_REFUSES
    out->usable = 0;
    std::snprintf(out->reason, sizeof(out->reason), "no imaginary accelerator found");
#else
    out->usable = 1;
#endif
    out->score = TEST_PLUGIN_SCORE;
}

plinth_status init(const plinth_host_info*, plinth_message*) { return PLINTH_OK; }
void shutdown() {}
uint32_t device_count() { return 2; }

plinth_status device_info(uint32_t device, plinth_device_info* out, plinth_message* err) {
    if (device >= 2) {
        std::snprintf(err->text, sizeof(err->text), "no device %u", device);
        return PLINTH_ERR_INVALID_ARGUMENT;
    }
    out->type = PLINTH_DEVICE_ACCEL;
    std::snprintf(out->name, sizeof(out->name), "test device %u", device);
    out->memory_total = 1u << 30;
    out->memory_free = 1u << 29;
    return PLINTH_OK;
}

plinth_status unsupported(plinth_message* err) {
    std::snprintf(err->text, sizeof(err->text), "test device has no buffers");
    return PLINTH_ERR_UNSUPPORTED;
}

const plinth_backend_api backend_api = [] {
    plinth_backend_api api{};
    api.struct_size = sizeof(api);
    api.device_count = device_count;
    api.device_info = device_info;
    api.buffer_alloc = [](uint32_t, uint64_t, plinth_buffer*, plinth_message* err) { return unsupported(err); };
    api.buffer_free = [](plinth_buffer) {};
    api.buffer_size = [](plinth_buffer) -> uint64_t { return 0; };
    api.buffer_host_ptr = [](plinth_buffer) -> void* { return nullptr; };
    api.buffer_upload = [](plinth_buffer, uint64_t, const void*, uint64_t, plinth_message* err) { return unsupported(err); };
    api.buffer_download = [](plinth_buffer, uint64_t, void*, uint64_t, plinth_message* err) { return unsupported(err); };
    return api;
}();

const plinth_plugin_descriptor descriptor = [] {
    plinth_plugin_descriptor d{};
    d.struct_size = sizeof(d);
    d.abi_major = TEST_PLUGIN_ABI_MAJOR;
    d.abi_minor = 0;
    d.kind = PLINTH_PLUGIN_BACKEND;
    d.name = TEST_PLUGIN_NAME;
    d.version = "9.9.9";
    d.description = "fake backend for the host's tests";
    d.probe = probe;
    d.init = init;
    d.shutdown = shutdown;
    d.backend = &backend_api;
    return d;
}();

}  // namespace

// Deliberately does not negotiate: it always answers with the major it was built for, as a
// plugin built against other headers would.
extern "C" PLINTH_EXPORT const plinth_plugin_descriptor* plinth_plugin_entry(const plinth_host_info*, plinth_message*) {
    return &descriptor;
}
