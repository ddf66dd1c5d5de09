#pragma once
// The Vulkan side of the plugin: the loader (opened with dlopen, so a machine without Vulkan gets a
// refusal instead of a load failure), the instance, every physical device that can run compute,
// and the logical device made for one on its first use.
#include <plinth/plugin_api.h>

#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <plinth/sdk/rope_table.hpp>

namespace plinth::vk {

// ---- function tables (everything is loaded through vkGetInstanceProcAddr / vkGetDeviceProcAddr)

#define PLINTH_VK_INSTANCE_FNS(X)                  \
    X(vkDestroyInstance)                           \
    X(vkEnumeratePhysicalDevices)                  \
    X(vkGetPhysicalDeviceProperties)               \
    X(vkGetPhysicalDeviceFeatures)                 \
    X(vkGetPhysicalDeviceMemoryProperties)         \
    X(vkGetPhysicalDeviceQueueFamilyProperties)    \
    X(vkEnumerateDeviceExtensionProperties)        \
    X(vkCreateDevice)                              \
    X(vkGetDeviceProcAddr)

#define PLINTH_VK_DEVICE_FNS(X)      \
    X(vkDestroyDevice)               \
    X(vkDeviceWaitIdle)              \
    X(vkGetDeviceQueue)              \
    X(vkQueueSubmit)                 \
    X(vkCreateBuffer)                \
    X(vkDestroyBuffer)               \
    X(vkGetBufferMemoryRequirements) \
    X(vkAllocateMemory)              \
    X(vkFreeMemory)                  \
    X(vkBindBufferMemory)            \
    X(vkMapMemory)                   \
    X(vkUnmapMemory)                 \
    X(vkCreateCommandPool)           \
    X(vkDestroyCommandPool)          \
    X(vkAllocateCommandBuffers)      \
    X(vkResetCommandBuffer)          \
    X(vkBeginCommandBuffer)          \
    X(vkEndCommandBuffer)            \
    X(vkCmdCopyBuffer)               \
    X(vkCmdPipelineBarrier)          \
    X(vkCmdBindPipeline)             \
    X(vkCmdBindDescriptorSets)       \
    X(vkCmdPushConstants)            \
    X(vkCmdDispatch)                 \
    X(vkCreateFence)                 \
    X(vkDestroyFence)                \
    X(vkResetFences)                 \
    X(vkWaitForFences)               \
    X(vkCreateShaderModule)          \
    X(vkDestroyShaderModule)         \
    X(vkCreateDescriptorSetLayout)   \
    X(vkDestroyDescriptorSetLayout)  \
    X(vkCreatePipelineLayout)        \
    X(vkDestroyPipelineLayout)       \
    X(vkCreateComputePipelines)      \
    X(vkDestroyPipeline)             \
    X(vkCreateDescriptorPool)        \
    X(vkDestroyDescriptorPool)       \
    X(vkResetDescriptorPool)         \
    X(vkAllocateDescriptorSets)      \
    X(vkUpdateDescriptorSets)

#define PLINTH_VK_DECLARE_FN(name) PFN_##name name = nullptr;

struct instance_fns {
    PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr = nullptr;
    PLINTH_VK_INSTANCE_FNS(PLINTH_VK_DECLARE_FN)
    // Vulkan 1.1 (absent with a 1.0 instance).
    PFN_vkGetPhysicalDeviceMemoryProperties2 vkGetPhysicalDeviceMemoryProperties2 = nullptr;
};

struct device_fns {
    PLINTH_VK_DEVICE_FNS(PLINTH_VK_DECLARE_FN)
};

// ---- devices

struct physical_device {
    VkPhysicalDevice handle = VK_NULL_HANDLE;
    VkPhysicalDeviceProperties properties{};
    VkPhysicalDeviceMemoryProperties memory{};
    uint32_t queue_family = 0;        // one with compute
    bool has_memory_budget = false;   // VK_EXT_memory_budget
    int32_t device_local_heap = -1;   // the largest DEVICE_LOCAL heap, -1 when none
    uint64_t max_binding_bytes = 0;   // what one descriptor may cover (maxStorageBufferRange, capped)
    bool float64 = false;             // shaderFloat64: the shaders' double-precision variants run
};

struct instance_state {
    void* library = nullptr;  // dlopen handle of libvulkan
    VkInstance instance = VK_NULL_HANDLE;
    uint32_t api_version = VK_API_VERSION_1_0;
    instance_fns fn;
    std::vector<physical_device> devices;  // Vulkan 1.1+ devices with a compute queue
    std::string skipped;                   // devices left out, and why (for the probe's features)
};

// Opens the loader, creates an instance and lists the devices. On failure returns null and sets
// `why` ("no Vulkan loader (...)", ...).
std::unique_ptr<instance_state> open_instance(std::string& why);
void close_instance(std::unique_ptr<instance_state>& inst);

// A host-visible, coherent buffer (staging, the aux buffer).
struct host_buffer {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    void* mapped = nullptr;
    uint64_t size = 0;
    uint64_t id = 0;  // unique per allocation (descriptor-set cache keys)
};

// A logical device, made on first use of a physical device.
struct device {
    const instance_state* inst = nullptr;
    const physical_device* phys = nullptr;
    uint32_t index = 0;
    device_fns fn;
    VkDevice handle = VK_NULL_HANDLE;
    VkQueue queue = VK_NULL_HANDLE;
    uint32_t device_memory_type = 0;     // for tensors: DEVICE_LOCAL
    bool device_memory_mappable = false; // ... and also HOST_VISIBLE | HOST_COHERENT (lavapipe, iGPUs)
    uint32_t host_memory_type = 0;       // HOST_VISIBLE | HOST_COHERENT, for staging
    VkCommandPool command_pool = VK_NULL_HANDLE;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VkFence fence = VK_NULL_HANDLE;
    host_buffer staging;
    host_buffer aux;
    std::vector<sdk::rope_table> aux_rope_tables;  // what the aux buffer holds after the gelu table, in order
    bool aux_gelu_table = false;              // GEGLU's table is in the aux buffer (vulkan_graph.cpp)

    // Compute objects (vulkan_recording.cpp), made on first use.
    VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
    VkPipelineLayout pipeline_layout = VK_NULL_HANDLE;
    std::vector<VkPipeline> pipelines;  // by kernel id; VK_NULL_HANDLE until first used
    std::vector<VkDescriptorPool> descriptor_pools;
    size_t pool_sets_left = 0;          // in descriptor_pools.back()
    std::unordered_map<std::string, VkDescriptorSet> descriptor_sets;  // by binding key
    // The quantized activations of MATMUL (two regions, see vulkan_dispatch_plan.cpp); one of `buffers`.
    struct plinth_buffer_s* scratch = nullptr;

    std::vector<struct plinth_buffer_s*> buffers;  // live, freed at shutdown if the host did not
};

struct context {
    std::mutex mutex;  // every entry point of the plugin holds it
    std::unique_ptr<instance_state> inst;
    std::vector<std::unique_ptr<device>> devices;  // by index; null until used
    bool always_stage = false;                     // set_option("staging", "always")
    bool float64_off = false;                      // set_option("float64", "off"): the _nof64 shaders
    uint64_t next_id = 1;
    const plinth_host_info* host = nullptr;
};

context& ctx();  // never destroyed (the host may shut down from a static destructor)

void log(plinth_log_level level, const std::string& message);

// Creates the instance (plugin init) / destroys everything (plugin shutdown). Caller holds the lock.
plinth_status context_init(plinth_message* err);
void context_shutdown();
uint32_t device_count();
// The logical device for `index`, made on first use. Caller holds the lock.
plinth_status get_device(uint32_t index, device** out, plinth_message* err);

plinth_status device_info(uint32_t index, plinth_device_info* out, plinth_message* err);

// ---- helpers

const char* result_name(VkResult r);
plinth_status fail(plinth_message* err, plinth_status status, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
plinth_status vk_fail(plinth_message* err, VkResult r, const char* what);

plinth_status create_host_buffer(device& dev, uint64_t size, host_buffer& out, plinth_message* err);
void destroy_host_buffer(device& dev, host_buffer& b);
// Resets dev.cmd and begins recording (one-time submit).
plinth_status begin_commands(device& dev, plinth_message* err);
// Ends dev.cmd, submits it and waits for it to finish.
plinth_status submit_and_wait(device& dev, plinth_message* err);
// A global barrier: everything `src_stage` wrote (src_access) is visible to dst_access in dst_stage.
void memory_barrier(device& dev, VkPipelineStageFlags src_stage, VkAccessFlags src_access,
                    VkPipelineStageFlags dst_stage, VkAccessFlags dst_access);

}  // namespace plinth::vk
