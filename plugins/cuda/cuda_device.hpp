#pragma once
// The CUDA side of the plugin: the runtime's view of the driver and the devices (listed at init),
// and per device what its graphs need, made on the device's first use: a stream, a pinned staging
// buffer for uploads and downloads, the error words the kernels flag bad indices in, the weight
// kernels' activation scratch and the host-made tables of ROPE and GEGLU.
#include <plinth/plugin_api.h>

#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <plinth/sdk/rope_table.hpp>

namespace plinth::cuda {

// What the runtime says about one device (at init; the probe asks the same).
struct device_properties {
    int ordinal = 0;
    std::string name;        // "NVIDIA H200"
    int major = 0, minor = 0; // compute capability
    int sm_count = 0;
    uint64_t memory_total = 0;
    bool integrated = false;
};

// The driver and the devices, or why there are none: `why` is empty when usable.
struct runtime_survey {
    int driver_version = 0, runtime_version = 0;  // 13000 = 13.0
    std::vector<device_properties> devices;
    std::string why;
};
runtime_survey survey_runtime();

// An executable CUDA graph kept for graphs of one shape (cuda_graph_replay.hpp).
struct captured_graph {
    cudaGraphExec_t exec = nullptr;
    uint64_t shape = 0, last_use = 0;
};

// A device in use.
struct device {
    device_properties props;
    uint32_t index = 0;
    cudaStream_t stream = nullptr;
    void* staging = nullptr;             // pinned host memory, staging_bytes, used as two halves
    cudaEvent_t staging_free[2] = {};    // recorded after the copy out of / into each half
    uint32_t* errors = nullptr;          // device: one word per node of the graph, 0 = fine
    uint32_t* errors_host = nullptr;     // pinned: where they are read back
    uint64_t error_words = 0;            // capacity of both
    void* scratch = nullptr;             // device: the weight kernels' activations
    uint64_t scratch_bytes = 0;
    uint16_t* gelu_table = nullptr;      // device: GEGLU's 64K F16 values, uploaded on first use
    float* rope_tables = nullptr;        // device: the tables of rope_cached, one after another
    uint64_t rope_table_words = 0;       // capacity
    std::vector<sdk::rope_table> rope_cached; // what rope_tables holds, in order
    std::vector<struct plinth_buffer_s*> buffers;  // live, freed at shutdown if the host did not
    captured_graph graphs[4];            // by shape: a decode step's, a prefill's, ...
    uint64_t graph_uses = 0;             // a clock for replacing the least recently used
    bool graphs_unavailable = false;     // capture failed here once: kernels go one by one
};

constexpr uint64_t staging_bytes = 16ull << 20;  // two halves: copies go in pieces of 8 MiB

struct context {
    std::mutex mutex;  // every entry point of the plugin holds it
    const plinth_host_info* host = nullptr;
    runtime_survey runtime;
    uint64_t next_buffer_id = 1;
    bool graphs_off = true;         // the option graphs (default off): every kernel launched one by one
    bool tensor_cores_off = false;  // the option tensor_cores=off: MATMUL's integer sums by dp4a
    std::vector<std::unique_ptr<device>> devices;  // by index; null until used
};

context& ctx();  // never destroyed (the host may shut down from a static destructor)

void log(plinth_log_level level, const std::string& message);

// Lists the devices (plugin init) / frees everything (plugin shutdown). Caller holds the lock.
plinth_status context_init(plinth_message* err);
void context_shutdown();
uint32_t device_count();
// The device `index`, its stream and staging made on first use, and made current on this thread
// (cudaSetDevice). Caller holds the lock.
plinth_status get_device(uint32_t index, device** out, plinth_message* err);
plinth_status device_info(uint32_t index, plinth_device_info* out, plinth_message* err);

// ---- helpers

plinth_status fail(plinth_message* err, plinth_status status, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
// "what failed: cudaErrorX (its description)", as PLINTH_ERR_OUT_OF_MEMORY for an allocation failure,
// else PLINTH_ERR_INTERNAL.
plinth_status cuda_fail(plinth_message* err, cudaError_t e, const char* what);

// Device memory of at least `bytes` at *ptr (kept when big enough, else freed and allocated again,
// half as large again as asked, so that growing graphs do not reallocate every time). The stream must
// be idle.
plinth_status ensure_device_memory(void** ptr, uint64_t& capacity, uint64_t bytes, const char* what, plinth_message* err);

}  // namespace plinth::cuda
