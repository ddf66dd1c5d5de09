// The loader, the instance, the physical devices and the logical device of each.
#include "vulkan_device.hpp"

#include "vulkan_buffer.hpp"
#include "vulkan_graph.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace plinth::vk {

context& ctx() {
    static context* c = new context;
    return *c;
}

void log(plinth_log_level level, const std::string& message) {
    const plinth_host_info* host = ctx().host;
    if (host && host->log) host->log(host->log_user, level, "vulkan", message.c_str());
}

const char* result_name(VkResult r) {
    switch (r) {
    case VK_SUCCESS: return "VK_SUCCESS";
    case VK_NOT_READY: return "VK_NOT_READY";
    case VK_TIMEOUT: return "VK_TIMEOUT";
    case VK_INCOMPLETE: return "VK_INCOMPLETE";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
    case VK_ERROR_FORMAT_NOT_SUPPORTED: return "VK_ERROR_FORMAT_NOT_SUPPORTED";
    case VK_ERROR_FRAGMENTED_POOL: return "VK_ERROR_FRAGMENTED_POOL";
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
    default: return "VkResult error";
    }
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

plinth_status vk_fail(plinth_message* err, VkResult r, const char* what) {
    const plinth_status st = (r == VK_ERROR_OUT_OF_HOST_MEMORY || r == VK_ERROR_OUT_OF_DEVICE_MEMORY)
                                 ? PLINTH_ERR_OUT_OF_MEMORY
                                 : PLINTH_ERR_INTERNAL;
    return fail(err, st, "%s failed: %s (%d)", what, result_name(r), int(r));
}

// ---- instance

namespace {

template <class Fn>
void load_instance_fn(const instance_fns& f, VkInstance instance, const char* name, Fn& out) {
    out = reinterpret_cast<Fn>(f.vkGetInstanceProcAddr(instance, name));
}

bool has_extension(const std::vector<VkExtensionProperties>& list, const char* name) {
    for (const auto& e : list)
        if (std::strcmp(e.extensionName, name) == 0) return true;
    return false;
}

const char* type_word(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
    default: return "other";
    }
}

}  // namespace

std::unique_ptr<instance_state> open_instance(std::string& why) {
    auto inst = std::make_unique<instance_state>();
    inst->library = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!inst->library) {
        const char* e = dlerror();
        why = std::string("no Vulkan loader (") + (e ? e : "libvulkan.so.1 not found") + ")";
        return nullptr;
    }
    inst->fn.vkGetInstanceProcAddr =
        reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(inst->library, "vkGetInstanceProcAddr"));
    if (!inst->fn.vkGetInstanceProcAddr) {
        why = "no Vulkan loader (libvulkan.so.1 has no vkGetInstanceProcAddr)";
        close_instance(inst);
        return nullptr;
    }
    const auto gipa = inst->fn.vkGetInstanceProcAddr;
    auto create_instance = reinterpret_cast<PFN_vkCreateInstance>(gipa(VK_NULL_HANDLE, "vkCreateInstance"));
    auto enumerate_version =
        reinterpret_cast<PFN_vkEnumerateInstanceVersion>(gipa(VK_NULL_HANDLE, "vkEnumerateInstanceVersion"));
    auto enumerate_ext = reinterpret_cast<PFN_vkEnumerateInstanceExtensionProperties>(
        gipa(VK_NULL_HANDLE, "vkEnumerateInstanceExtensionProperties"));
    if (!create_instance) {
        why = "no Vulkan loader (vkCreateInstance is missing)";
        close_instance(inst);
        return nullptr;
    }
    uint32_t loader_version = VK_API_VERSION_1_0;
    if (enumerate_version && enumerate_version(&loader_version) != VK_SUCCESS) loader_version = VK_API_VERSION_1_0;
    inst->api_version = loader_version >= VK_API_VERSION_1_1 ? VK_API_VERSION_1_1 : VK_API_VERSION_1_0;

    // Portability drivers (MoltenVK) are listed only when asked for.
    std::vector<const char*> extensions;
    VkInstanceCreateFlags flags = 0;
    if (enumerate_ext) {
        uint32_t n = 0;
        if (enumerate_ext(nullptr, &n, nullptr) == VK_SUCCESS && n) {
            std::vector<VkExtensionProperties> list(n);
            if (enumerate_ext(nullptr, &n, list.data()) == VK_SUCCESS) {
                list.resize(n);
                if (has_extension(list, "VK_KHR_portability_enumeration")) {
                    extensions.push_back("VK_KHR_portability_enumeration");
                    flags |= 0x00000001;  // VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR
                }
            }
        }
    }

    VkApplicationInfo app{};
    app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
    app.pApplicationName = "plinth";
    app.pEngineName = "plinth";
    app.apiVersion = inst->api_version;
    VkInstanceCreateInfo ci{};
    ci.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
    ci.flags = flags;
    ci.pApplicationInfo = &app;
    ci.enabledExtensionCount = uint32_t(extensions.size());
    ci.ppEnabledExtensionNames = extensions.data();
    VkResult r = create_instance(&ci, nullptr, &inst->instance);
    if (r != VK_SUCCESS) {
        inst->instance = VK_NULL_HANDLE;
        why = std::string("no Vulkan device (vkCreateInstance failed: ") + result_name(r) + ")";
        close_instance(inst);
        return nullptr;
    }
#define PLINTH_VK_LOAD_INSTANCE(name) load_instance_fn(inst->fn, inst->instance, #name, inst->fn.name);
    PLINTH_VK_INSTANCE_FNS(PLINTH_VK_LOAD_INSTANCE)
#undef PLINTH_VK_LOAD_INSTANCE
    if (inst->api_version >= VK_API_VERSION_1_1)
        load_instance_fn(inst->fn, inst->instance, "vkGetPhysicalDeviceMemoryProperties2",
                         inst->fn.vkGetPhysicalDeviceMemoryProperties2);
#define PLINTH_VK_CHECK_INSTANCE(name)                                              \
    if (!inst->fn.name) {                                                           \
        why = "the Vulkan loader lacks " #name;                                     \
        close_instance(inst);                                                       \
        return nullptr;                                                             \
    }
    PLINTH_VK_INSTANCE_FNS(PLINTH_VK_CHECK_INSTANCE)
#undef PLINTH_VK_CHECK_INSTANCE

    uint32_t count = 0;
    r = inst->fn.vkEnumeratePhysicalDevices(inst->instance, &count, nullptr);
    std::vector<VkPhysicalDevice> handles(count);
    if (r == VK_SUCCESS && count) r = inst->fn.vkEnumeratePhysicalDevices(inst->instance, &count, handles.data());
    if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
        why = std::string("no Vulkan device (vkEnumeratePhysicalDevices failed: ") + result_name(r) + ")";
        close_instance(inst);
        return nullptr;
    }
    handles.resize(count);
    for (VkPhysicalDevice h : handles) {
        physical_device d;
        d.handle = h;
        inst->fn.vkGetPhysicalDeviceProperties(h, &d.properties);
        inst->fn.vkGetPhysicalDeviceMemoryProperties(h, &d.memory);
        VkPhysicalDeviceFeatures features{};
        inst->fn.vkGetPhysicalDeviceFeatures(h, &features);
        d.float64 = features.shaderFloat64 == VK_TRUE;
        const std::string name = d.properties.deviceName;
        if (inst->api_version < VK_API_VERSION_1_1 || d.properties.apiVersion < VK_API_VERSION_1_1) {
            inst->skipped += (inst->skipped.empty() ? "" : "; ") + name + ": Vulkan 1.0 only";
            continue;
        }
        uint32_t nq = 0;
        inst->fn.vkGetPhysicalDeviceQueueFamilyProperties(h, &nq, nullptr);
        std::vector<VkQueueFamilyProperties> queues(nq);
        inst->fn.vkGetPhysicalDeviceQueueFamilyProperties(h, &nq, queues.data());
        int32_t family = -1;
        // A compute queue; a compute-only family first (it does not wait behind graphics work).
        for (uint32_t q = 0; q < nq && family < 0; ++q)
            if ((queues[q].queueFlags & VK_QUEUE_COMPUTE_BIT) && !(queues[q].queueFlags & VK_QUEUE_GRAPHICS_BIT))
                family = int32_t(q);
        for (uint32_t q = 0; q < nq && family < 0; ++q)
            if (queues[q].queueFlags & VK_QUEUE_COMPUTE_BIT) family = int32_t(q);
        if (family < 0) {
            inst->skipped += (inst->skipped.empty() ? "" : "; ") + name + ": no compute queue";
            continue;
        }
        d.queue_family = uint32_t(family);
        uint32_t ne = 0;
        std::vector<VkExtensionProperties> exts;
        if (inst->fn.vkEnumerateDeviceExtensionProperties(h, nullptr, &ne, nullptr) == VK_SUCCESS) {
            exts.resize(ne);
            if (inst->fn.vkEnumerateDeviceExtensionProperties(h, nullptr, &ne, exts.data()) != VK_SUCCESS) ne = 0;
            exts.resize(ne);
        }
        d.has_memory_budget =
            has_extension(exts, "VK_EXT_memory_budget") && inst->fn.vkGetPhysicalDeviceMemoryProperties2 != nullptr;
        for (uint32_t i = 0; i < d.memory.memoryHeapCount; ++i)
            if ((d.memory.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) &&
                (d.device_local_heap < 0 || d.memory.memoryHeaps[i].size > d.memory.memoryHeaps[d.device_local_heap].size))
                d.device_local_heap = int32_t(i);
        // The shaders address a binding with 32-bit byte offsets and signed element indices.
        d.max_binding_bytes = std::min<uint64_t>(d.properties.limits.maxStorageBufferRange, (uint64_t(1) << 31) - 1024);
        inst->devices.push_back(d);
    }
    return inst;
}

void close_instance(std::unique_ptr<instance_state>& inst) {
    if (!inst) return;
    if (inst->instance != VK_NULL_HANDLE && inst->fn.vkDestroyInstance) inst->fn.vkDestroyInstance(inst->instance, nullptr);
    inst->instance = VK_NULL_HANDLE;
    if (inst->library) dlclose(inst->library);
    inst.reset();
}

// ---- the context

plinth_status context_init(plinth_message* err) {
    context& c = ctx();
    if (c.inst) return PLINTH_OK;
    std::string why;
    c.inst = open_instance(why);
    if (!c.inst) return fail(err, PLINTH_ERR_UNSUPPORTED, "%s", why.c_str());
    c.devices.clear();
    c.devices.resize(c.inst->devices.size());
    for (size_t i = 0; i < c.inst->devices.size(); ++i)
        log(PLINTH_LOG_DEBUG, "device " + std::to_string(i) + ": " + c.inst->devices[i].properties.deviceName);
    return PLINTH_OK;
}

namespace {

void destroy_device(device& d) {
    if (d.handle == VK_NULL_HANDLE) return;
    d.fn.vkDeviceWaitIdle(d.handle);
    release_all_buffers(d);
    release_compute(d);
    destroy_host_buffer(d, d.staging);
    destroy_host_buffer(d, d.aux);
    if (d.fence) d.fn.vkDestroyFence(d.handle, d.fence, nullptr);
    if (d.command_pool) d.fn.vkDestroyCommandPool(d.handle, d.command_pool, nullptr);
    d.fn.vkDestroyDevice(d.handle, nullptr);
    d.handle = VK_NULL_HANDLE;
}

}  // namespace

void context_shutdown() {
    context& c = ctx();
    for (auto& d : c.devices)
        if (d) destroy_device(*d);
    c.devices.clear();
    close_instance(c.inst);
}

uint32_t device_count() {
    const context& c = ctx();
    return c.inst ? uint32_t(c.inst->devices.size()) : 0;
}

namespace {

int32_t find_memory_type(const VkPhysicalDeviceMemoryProperties& mem, uint32_t allowed, VkMemoryPropertyFlags want) {
    for (uint32_t i = 0; i < mem.memoryTypeCount; ++i)
        if ((allowed & (1u << i)) && (mem.memoryTypes[i].propertyFlags & want) == want) return int32_t(i);
    return -1;
}

plinth_status make_device(context& c, uint32_t index, device& d, plinth_message* err) {
    const instance_state& inst = *c.inst;
    const physical_device& p = inst.devices[index];
    d.inst = &inst;
    d.phys = &p;
    d.index = index;

    const float priority = 1.0f;
    VkDeviceQueueCreateInfo q{};
    q.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
    q.queueFamilyIndex = p.queue_family;
    q.queueCount = 1;
    q.pQueuePriorities = &priority;
    VkDeviceCreateInfo ci{};
    ci.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
    ci.queueCreateInfoCount = 1;
    ci.pQueueCreateInfos = &q;
    VkPhysicalDeviceFeatures enabled{};
    enabled.shaderFloat64 = p.float64 ? VK_TRUE : VK_FALSE;
    ci.pEnabledFeatures = &enabled;
    VkResult r = inst.fn.vkCreateDevice(p.handle, &ci, nullptr, &d.handle);
    if (r != VK_SUCCESS) {
        d.handle = VK_NULL_HANDLE;
        return vk_fail(err, r, "vkCreateDevice");
    }
#define PLINTH_VK_LOAD_DEVICE(name) \
    d.fn.name = reinterpret_cast<PFN_##name>(inst.fn.vkGetDeviceProcAddr(d.handle, #name));
    PLINTH_VK_DEVICE_FNS(PLINTH_VK_LOAD_DEVICE)
#undef PLINTH_VK_LOAD_DEVICE
#define PLINTH_VK_CHECK_DEVICE(name)                                                       \
    if (!d.fn.name) {                                                                      \
        auto destroy = reinterpret_cast<PFN_vkDestroyDevice>(inst.fn.vkGetDeviceProcAddr(d.handle, "vkDestroyDevice")); \
        if (destroy) destroy(d.handle, nullptr);                                           \
        d.handle = VK_NULL_HANDLE;                                                         \
        return fail(err, PLINTH_ERR_INTERNAL, "the Vulkan driver lacks " #name);           \
    }
    PLINTH_VK_DEVICE_FNS(PLINTH_VK_CHECK_DEVICE)
#undef PLINTH_VK_CHECK_DEVICE
    d.fn.vkGetDeviceQueue(d.handle, p.queue_family, 0, &d.queue);

    const int32_t local = find_memory_type(p.memory, ~0u, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    const int32_t host =
        find_memory_type(p.memory, ~0u, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    if (host < 0) {
        d.fn.vkDestroyDevice(d.handle, nullptr);
        d.handle = VK_NULL_HANDLE;
        return fail(err, PLINTH_ERR_UNSUPPORTED, "device %u has no host-visible coherent memory", index);
    }
    d.host_memory_type = uint32_t(host);
    d.device_memory_type = local >= 0 ? uint32_t(local) : uint32_t(host);
    const VkMemoryPropertyFlags mappable = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    d.device_memory_mappable = (p.memory.memoryTypes[d.device_memory_type].propertyFlags & mappable) == mappable;

    VkCommandPoolCreateInfo pci{};
    pci.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
    pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pci.queueFamilyIndex = p.queue_family;
    if ((r = d.fn.vkCreateCommandPool(d.handle, &pci, nullptr, &d.command_pool)) != VK_SUCCESS) {
        d.command_pool = VK_NULL_HANDLE;
        destroy_device(d);
        return vk_fail(err, r, "vkCreateCommandPool");
    }
    VkCommandBufferAllocateInfo ai{};
    ai.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
    ai.commandPool = d.command_pool;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    if ((r = d.fn.vkAllocateCommandBuffers(d.handle, &ai, &d.cmd)) != VK_SUCCESS) {
        destroy_device(d);
        return vk_fail(err, r, "vkAllocateCommandBuffers");
    }
    VkFenceCreateInfo fci{};
    fci.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
    if ((r = d.fn.vkCreateFence(d.handle, &fci, nullptr, &d.fence)) != VK_SUCCESS) {
        d.fence = VK_NULL_HANDLE;
        destroy_device(d);
        return vk_fail(err, r, "vkCreateFence");
    }
    log(PLINTH_LOG_DEBUG, std::string("opened ") + p.properties.deviceName +
                              (d.device_memory_mappable ? " (device memory is host-visible)" : ""));
    return PLINTH_OK;
}

}  // namespace

plinth_status get_device(uint32_t index, device** out, plinth_message* err) {
    context& c = ctx();
    if (!c.inst) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "the Vulkan backend is not initialised");
    if (index >= c.devices.size())
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "no Vulkan device %u (there are %zu)", index, c.devices.size());
    if (!c.devices[index]) {
        auto d = std::make_unique<device>();
        const plinth_status st = make_device(c, index, *d, err);
        if (st != PLINTH_OK) return st;
        c.devices[index] = std::move(d);
    }
    *out = c.devices[index].get();
    return PLINTH_OK;
}

plinth_status device_info(uint32_t index, plinth_device_info* out, plinth_message* err) {
    context& c = ctx();
    if (!c.inst || index >= c.inst->devices.size())
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "no Vulkan device %u (there are %u)", index, device_count());
    const physical_device& p = c.inst->devices[index];
    switch (p.properties.deviceType) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: out->type = PLINTH_DEVICE_GPU; break;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: out->type = PLINTH_DEVICE_IGPU; break;
    default: out->type = PLINTH_DEVICE_OTHER; break;  // CPU (lavapipe), virtual, other
    }
    const std::string name = p.properties.deviceName;
    std::snprintf(out->name, sizeof(out->name), "%s", name.substr(0, sizeof(out->name) - 1).c_str());
    const uint32_t v = p.properties.apiVersion;
    // Without shaderFloat64 the shaders' sums may differ from the CPU backend's in rare last bits.
    std::snprintf(out->description, sizeof(out->description), "Vulkan %u.%u.%u %s, vendor 0x%04x, device 0x%04x, %s",
                  VK_API_VERSION_MAJOR(v), VK_API_VERSION_MINOR(v), VK_API_VERSION_PATCH(v),
                  type_word(p.properties.deviceType), p.properties.vendorID, p.properties.deviceID,
                  p.float64 ? "shaderFloat64" : "no shaderFloat64");
    uint64_t total = 0, free_bytes = 0;
    if (p.device_local_heap >= 0) {
        total = p.memory.memoryHeaps[p.device_local_heap].size;
        free_bytes = total;
        if (p.has_memory_budget) {
            VkPhysicalDeviceMemoryBudgetPropertiesEXT budget{};
            budget.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT;
            VkPhysicalDeviceMemoryProperties2 props{};
            props.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2;
            props.pNext = &budget;
            c.inst->fn.vkGetPhysicalDeviceMemoryProperties2(p.handle, &props);
            const uint64_t b = budget.heapBudget[p.device_local_heap];
            const uint64_t used = budget.heapUsage[p.device_local_heap];
            if (b != 0) free_bytes = b > used ? b - used : 0;
        }
    }
    out->memory_total = total;
    out->memory_free = std::min(free_bytes, total);
    out->compute_units = 0;  // core Vulkan does not say
    out->buffer_caps = 0;    // buffers are device memory: reached through upload / download only
    out->buffer_alignment = std::max<uint64_t>(256, p.properties.limits.minStorageBufferOffsetAlignment);
    return PLINTH_OK;
}

// ---- command helpers

plinth_status create_host_buffer(device& dev, uint64_t size, host_buffer& out, plinth_message* err) {
    out = host_buffer{};
    VkBufferCreateInfo bi{};
    bi.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
    bi.size = std::max<uint64_t>(size, 256);
    bi.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VkResult r = dev.fn.vkCreateBuffer(dev.handle, &bi, nullptr, &out.buffer);
    if (r != VK_SUCCESS) {
        out.buffer = VK_NULL_HANDLE;
        return vk_fail(err, r, "vkCreateBuffer (host-visible)");
    }
    VkMemoryRequirements req{};
    dev.fn.vkGetBufferMemoryRequirements(dev.handle, out.buffer, &req);
    const int32_t type = find_memory_type(dev.phys->memory, req.memoryTypeBits,
                                          VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    if (type < 0) {
        destroy_host_buffer(dev, out);
        return fail(err, PLINTH_ERR_UNSUPPORTED, "no host-visible memory type for a buffer");
    }
    VkMemoryAllocateInfo ai{};
    ai.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
    ai.allocationSize = req.size;
    ai.memoryTypeIndex = uint32_t(type);
    if ((r = dev.fn.vkAllocateMemory(dev.handle, &ai, nullptr, &out.memory)) != VK_SUCCESS) {
        out.memory = VK_NULL_HANDLE;
        destroy_host_buffer(dev, out);
        return vk_fail(err, r, "vkAllocateMemory (host-visible)");
    }
    if ((r = dev.fn.vkBindBufferMemory(dev.handle, out.buffer, out.memory, 0)) != VK_SUCCESS ||
        (r = dev.fn.vkMapMemory(dev.handle, out.memory, 0, VK_WHOLE_SIZE, 0, &out.mapped)) != VK_SUCCESS) {
        out.mapped = nullptr;
        destroy_host_buffer(dev, out);
        return vk_fail(err, r, "binding / mapping host-visible memory");
    }
    out.size = bi.size;
    out.id = ctx().next_id++;
    return PLINTH_OK;
}

void destroy_host_buffer(device& dev, host_buffer& b) {
    if (b.mapped) dev.fn.vkUnmapMemory(dev.handle, b.memory);
    if (b.buffer) dev.fn.vkDestroyBuffer(dev.handle, b.buffer, nullptr);
    if (b.memory) dev.fn.vkFreeMemory(dev.handle, b.memory, nullptr);
    b = host_buffer{};
}

plinth_status begin_commands(device& dev, plinth_message* err) {
    VkResult r = dev.fn.vkResetCommandBuffer(dev.cmd, 0);
    if (r != VK_SUCCESS) return vk_fail(err, r, "vkResetCommandBuffer");
    VkCommandBufferBeginInfo bi{};
    bi.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    if ((r = dev.fn.vkBeginCommandBuffer(dev.cmd, &bi)) != VK_SUCCESS) return vk_fail(err, r, "vkBeginCommandBuffer");
    return PLINTH_OK;
}

plinth_status submit_and_wait(device& dev, plinth_message* err) {
    VkResult r = dev.fn.vkEndCommandBuffer(dev.cmd);
    if (r != VK_SUCCESS) return vk_fail(err, r, "vkEndCommandBuffer");
    if ((r = dev.fn.vkResetFences(dev.handle, 1, &dev.fence)) != VK_SUCCESS) return vk_fail(err, r, "vkResetFences");
    VkSubmitInfo si{};
    si.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
    si.commandBufferCount = 1;
    si.pCommandBuffers = &dev.cmd;
    if ((r = dev.fn.vkQueueSubmit(dev.queue, 1, &si, dev.fence)) != VK_SUCCESS) return vk_fail(err, r, "vkQueueSubmit");
    if ((r = dev.fn.vkWaitForFences(dev.handle, 1, &dev.fence, VK_TRUE, UINT64_MAX)) != VK_SUCCESS)
        return vk_fail(err, r, "vkWaitForFences");
    return PLINTH_OK;
}

void memory_barrier(device& dev, VkPipelineStageFlags src_stage, VkAccessFlags src_access,
                    VkPipelineStageFlags dst_stage, VkAccessFlags dst_access) {
    VkMemoryBarrier b{};
    b.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
    b.srcAccessMask = src_access;
    b.dstAccessMask = dst_access;
    dev.fn.vkCmdPipelineBarrier(dev.cmd, src_stage, dst_stage, 0, 1, &b, 0, nullptr, 0, nullptr);
}

}  // namespace plinth::vk
