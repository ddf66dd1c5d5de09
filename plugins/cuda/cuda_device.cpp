// The runtime, the devices and what each needs once in use.
#include "cuda_device.hpp"

#include "cuda_graph_replay.hpp"

#include "cuda_buffer.hpp"

#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <cstdio>

namespace plinth::cuda {

context& ctx() {
    static context* c = new context;
    return *c;
}

void log(plinth_log_level level, const std::string& message) {
    const plinth_host_info* host = ctx().host;
    if (host && host->log) host->log(host->log_user, level, "cuda", message.c_str());
}

plinth_status fail(plinth_message* err, plinth_status status, const char* fmt, ...) {
    if (err) {
        va_list args;
        va_start(args, fmt);
        std::vsnprintf(err->text, sizeof(err->text), fmt, args);
        va_end(args);
    }
    return status;
}

plinth_status cuda_fail(plinth_message* err, cudaError_t e, const char* what) {
    const plinth_status st = e == cudaErrorMemoryAllocation ? PLINTH_ERR_OUT_OF_MEMORY : PLINTH_ERR_INTERNAL;
    return fail(err, st, "%s failed: %s (%s)", what, cudaGetErrorName(e), cudaGetErrorString(e));
}

namespace {

std::string version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

}  // namespace

runtime_survey survey_runtime() {
    runtime_survey s;
    // Without libcuda.so.1 the runtime reports driver version 0 (or an error), and nothing else works.
    if (cudaDriverGetVersion(&s.driver_version) != cudaSuccess || s.driver_version == 0) {
        s.why = "no CUDA driver (libcuda.so.1 not found)";
        return s;
    }
    cudaRuntimeGetVersion(&s.runtime_version);
    const std::string too_old =
        "CUDA driver " + version_text(s.driver_version) + " is older than the runtime " + version_text(s.runtime_version);
    // A driver of an older major cannot run this runtime; within one major the runtime's minor
    // version compatibility may still run it, which cudaGetDeviceCount says.
    if (s.driver_version / 1000 < s.runtime_version / 1000) {
        s.why = too_old;
        return s;
    }
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e == cudaErrorInsufficientDriver) {
        s.why = too_old;
        return s;
    }
    if (e == cudaErrorNoDevice || (e == cudaSuccess && count == 0)) {
        s.why = "no CUDA device";
        return s;
    }
    if (e != cudaSuccess) {
        s.why = std::string("no usable CUDA device (") + cudaGetErrorName(e) + ": " + cudaGetErrorString(e) + ")";
        return s;
    }
    for (int i = 0; i < count; ++i) {
        cudaDeviceProp prop{};
        if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
        device_properties d;
        d.ordinal = i;
        d.name = prop.name;
        d.major = prop.major;
        d.minor = prop.minor;
        d.sm_count = prop.multiProcessorCount;
        d.memory_total = prop.totalGlobalMem;
        d.integrated = prop.integrated != 0;
        s.devices.push_back(d);
    }
    if (s.devices.empty()) s.why = "no CUDA device (none answered cudaGetDeviceProperties)";
    return s;
}

plinth_status context_init(plinth_message* err) {
    context& c = ctx();
    c.runtime = survey_runtime();
    if (!c.runtime.why.empty()) return fail(err, PLINTH_ERR_UNSUPPORTED, "%s", c.runtime.why.c_str());
    c.devices.clear();
    c.devices.resize(c.runtime.devices.size());
    // The options' starting values from the environment, for programs that set no options (the
    // test binaries): PLINTH_CUDA_GRAPHS=on, PLINTH_CUDA_TENSOR_CORES=off. set_option overrides.
    const auto is = [](const char* name, const char* value) {
        const char* v = std::getenv(name);
        return v != nullptr && std::strcmp(v, value) == 0;
    };
    c.graphs_off = !is("PLINTH_CUDA_GRAPHS", "on");
    c.tensor_cores_off = is("PLINTH_CUDA_TENSOR_CORES", "off");
    if (!c.graphs_off || c.tensor_cores_off)
        log(PLINTH_LOG_INFO, std::string("from the environment:") + (!c.graphs_off ? " graphs on" : "") +
                                 (c.tensor_cores_off ? " tensor cores off" : ""));
    for (const device_properties& d : c.runtime.devices)
        log(PLINTH_LOG_DEBUG, "device " + std::to_string(d.ordinal) + ": " + d.name + ", compute capability " +
                                  std::to_string(d.major) + "." + std::to_string(d.minor) + ", " +
                                  std::to_string(d.sm_count) + " SMs");
    return PLINTH_OK;
}

namespace {

void release_device(device& dev) {
    cudaSetDevice(dev.props.ordinal);
    if (dev.stream) cudaStreamSynchronize(dev.stream);
    release_graphs(dev);
    release_all_buffers(dev);
    if (dev.scratch) cudaFree(dev.scratch);
    if (dev.errors) cudaFree(dev.errors);
    if (dev.gelu_table) cudaFree(dev.gelu_table);
    if (dev.rope_tables) cudaFree(dev.rope_tables);
    if (dev.errors_host) cudaFreeHost(dev.errors_host);
    if (dev.staging) cudaFreeHost(dev.staging);
    for (cudaEvent_t& ev : dev.staging_free)
        if (ev) cudaEventDestroy(ev);
    if (dev.stream) cudaStreamDestroy(dev.stream);
    dev = device{};
}

}  // namespace

void context_shutdown() {
    context& c = ctx();
    for (auto& d : c.devices)
        if (d) release_device(*d);
    c.devices.clear();
}

uint32_t device_count() { return uint32_t(ctx().devices.size()); }

plinth_status get_device(uint32_t index, device** out, plinth_message* err) {
    context& c = ctx();
    if (index >= c.devices.size())
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "no CUDA device %u (there are %zu)", index, c.devices.size());
    const device_properties& props = c.runtime.devices[index];
    cudaError_t e = cudaSetDevice(props.ordinal);
    if (e != cudaSuccess) return cuda_fail(err, e, "cudaSetDevice");
    if (!c.devices[index]) {
        auto dev = std::make_unique<device>();
        dev->props = props;
        dev->index = index;
        if ((e = cudaStreamCreateWithFlags(&dev->stream, cudaStreamNonBlocking)) != cudaSuccess)
            return cuda_fail(err, e, "cudaStreamCreate");
        if ((e = cudaMallocHost(&dev->staging, staging_bytes)) != cudaSuccess) {
            cudaStreamDestroy(dev->stream);
            return cuda_fail(err, e, "cudaMallocHost (the staging buffer)");
        }
        for (cudaEvent_t& ev : dev->staging_free)
            if ((e = cudaEventCreateWithFlags(&ev, cudaEventDisableTiming)) != cudaSuccess) {
                release_device(*dev);
                return cuda_fail(err, e, "cudaEventCreate");
            }
        c.devices[index] = std::move(dev);
        log(PLINTH_LOG_DEBUG, "device " + std::to_string(index) + " (" + props.name + ") ready");
    }
    *out = c.devices[index].get();
    return PLINTH_OK;
}

plinth_status device_info(uint32_t index, plinth_device_info* out, plinth_message* err) {
    context& c = ctx();
    if (index >= c.runtime.devices.size())
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "no CUDA device %u (there are %zu)", index, c.runtime.devices.size());
    const device_properties& d = c.runtime.devices[index];
    out->type = d.integrated ? PLINTH_DEVICE_IGPU : PLINTH_DEVICE_GPU;
    std::snprintf(out->name, sizeof(out->name), "%s", d.name.c_str());
    std::snprintf(out->description, sizeof(out->description),
                  "%s, compute capability %d.%d (sm_%d%d), %d SMs; CUDA driver %s, runtime %s", d.name.c_str(), d.major,
                  d.minor, d.major, d.minor, d.sm_count, version_text(c.runtime.driver_version).c_str(),
                  version_text(c.runtime.runtime_version).c_str());
    out->memory_total = d.memory_total;
    out->memory_free = d.memory_total;
    size_t free_bytes = 0, total_bytes = 0;
    if (cudaSetDevice(d.ordinal) == cudaSuccess && cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess)
        out->memory_free = free_bytes;
    out->compute_units = uint32_t(d.sm_count);
    out->buffer_caps = 0;          // device memory: reached through upload / download only
    out->buffer_alignment = 256;   // cudaMalloc's
    return PLINTH_OK;
}

plinth_status ensure_device_memory(void** ptr, uint64_t& capacity, uint64_t bytes, const char* what, plinth_message* err) {
    if (*ptr && capacity >= bytes) return PLINTH_OK;
    if (*ptr) cudaFree(*ptr);
    *ptr = nullptr;
    capacity = 0;
    const uint64_t want = bytes < (uint64_t(1) << 20) ? (uint64_t(1) << 20) : bytes + bytes / 2;
    cudaError_t e = cudaMalloc(ptr, want);
    if (e != cudaSuccess) {
        cudaGetLastError();  // an allocation failure is not sticky; clear it
        *ptr = nullptr;
        if ((e = cudaMalloc(ptr, bytes)) != cudaSuccess) {
            cudaGetLastError();
            *ptr = nullptr;
            return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "cannot allocate %llu bytes of device memory for %s (%s)",
                        (unsigned long long)bytes, what, cudaGetErrorString(e));
        }
        capacity = bytes;
        return PLINTH_OK;
    }
    capacity = want;
    return PLINTH_OK;
}

}  // namespace plinth::cuda
