// Device buffers, and the staging copies that fill and read them.
#include "vulkan_buffer.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace plinth::vk {
namespace {

constexpr uint64_t staging_bytes = 16ull << 20;  // copies larger than this go in pieces

bool in_range(const plinth_buffer_s* b, uint64_t offset, uint64_t size) {
    return offset <= b->size && size <= b->size - offset;
}

void destroy(device& dev, plinth_buffer_s* b) {
    if (b->mapped) dev.fn.vkUnmapMemory(dev.handle, b->memory);
    if (b->buffer) dev.fn.vkDestroyBuffer(dev.handle, b->buffer, nullptr);
    if (b->memory) dev.fn.vkFreeMemory(dev.handle, b->memory, nullptr);
    delete b;
}

plinth_status ensure_staging(device& dev, plinth_message* err) {
    if (dev.staging.buffer) return PLINTH_OK;
    return create_host_buffer(dev, staging_bytes, dev.staging, err);
}

// One staged piece: host <-> staging <-> device buffer, `to_device` says which way.
plinth_status staged_copy(plinth_buffer_s* b, uint64_t offset, void* host, uint64_t size, bool to_device,
                          plinth_message* err) {
    device& dev = *b->dev;
    plinth_status st = ensure_staging(dev, err);
    if (st != PLINTH_OK) return st;
    const auto all_writes = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT;
    for (uint64_t done = 0; done < size;) {
        const uint64_t piece = std::min(size - done, dev.staging.size);
        if (to_device) std::memcpy(dev.staging.mapped, static_cast<const char*>(host) + done, piece);
        if ((st = begin_commands(dev, err)) != PLINTH_OK) return st;
        // Earlier work on this buffer (graphs, copies) is finished and visible to the copy.
        memory_barrier(dev, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT | VK_PIPELINE_STAGE_HOST_BIT, all_writes,
                       VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
        VkBufferCopy region{};
        region.size = piece;
        if (to_device) {
            region.dstOffset = offset + done;
            dev.fn.vkCmdCopyBuffer(dev.cmd, dev.staging.buffer, b->buffer, 1, &region);
        } else {
            region.srcOffset = offset + done;
            dev.fn.vkCmdCopyBuffer(dev.cmd, b->buffer, dev.staging.buffer, 1, &region);
        }
        memory_barrier(dev, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                       VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
                       VK_ACCESS_HOST_READ_BIT | VK_ACCESS_MEMORY_READ_BIT | VK_ACCESS_MEMORY_WRITE_BIT);
        if ((st = submit_and_wait(dev, err)) != PLINTH_OK) return st;
        if (!to_device) std::memcpy(static_cast<char*>(host) + done, dev.staging.mapped, piece);
        done += piece;
    }
    return PLINTH_OK;
}

}  // namespace

plinth_status buffer_alloc(uint32_t index, uint64_t size, plinth_buffer* out, plinth_message* err) {
    if (!out) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "buffer_alloc: out is NULL");
    *out = nullptr;
    context& c = ctx();
    std::lock_guard<std::mutex> lock(c.mutex);
    device* dev = nullptr;
    plinth_status st = get_device(index, &dev, err);
    if (st != PLINTH_OK) return st;
    return allocate_buffer(*dev, size, out, err);
}

plinth_status allocate_buffer(device& dev_ref, uint64_t size, plinth_buffer_s** out, plinth_message* err) {
    context& c = ctx();
    device* dev = &dev_ref;
    *out = nullptr;
    if (size > (uint64_t(1) << 48))
        return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "cannot allocate %llu bytes", (unsigned long long)size);

    auto* b = new (std::nothrow) plinth_buffer_s{dev, VK_NULL_HANDLE, VK_NULL_HANDLE, size, 0, nullptr, 0};
    if (!b) return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "cannot allocate a buffer handle");
    b->vk_size = std::max<uint64_t>((size + 255) / 256 * 256, 256);
    VkBufferCreateInfo bi{};
    bi.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
    bi.size = b->vk_size;
    bi.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VkResult r = dev->fn.vkCreateBuffer(dev->handle, &bi, nullptr, &b->buffer);
    if (r != VK_SUCCESS) {
        b->buffer = VK_NULL_HANDLE;
        destroy(*dev, b);
        return vk_fail(err, r, "vkCreateBuffer");
    }
    VkMemoryRequirements req{};
    dev->fn.vkGetBufferMemoryRequirements(dev->handle, b->buffer, &req);
    uint32_t type = dev->device_memory_type;
    if (!(req.memoryTypeBits & (1u << type))) {
        // The preferred type cannot back this buffer: take any device-local type that can.
        type = UINT32_MAX;
        const auto& mem = dev->phys->memory;
        for (uint32_t i = 0; i < mem.memoryTypeCount && type == UINT32_MAX; ++i)
            if ((req.memoryTypeBits & (1u << i)) && (mem.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT))
                type = i;
        if (type == UINT32_MAX) {
            destroy(*dev, b);
            return fail(err, PLINTH_ERR_UNSUPPORTED, "no device-local memory type can hold a storage buffer");
        }
    }
    VkMemoryAllocateInfo ai{};
    ai.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
    ai.allocationSize = req.size;
    ai.memoryTypeIndex = type;
    if ((r = dev->fn.vkAllocateMemory(dev->handle, &ai, nullptr, &b->memory)) != VK_SUCCESS) {
        b->memory = VK_NULL_HANDLE;
        destroy(*dev, b);
        if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY)
            return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "cannot allocate %llu bytes of device memory on %s (%s)",
                        (unsigned long long)size, dev->phys->properties.deviceName, result_name(r));
        return vk_fail(err, r, "vkAllocateMemory");
    }
    if ((r = dev->fn.vkBindBufferMemory(dev->handle, b->buffer, b->memory, 0)) != VK_SUCCESS) {
        destroy(*dev, b);
        return vk_fail(err, r, "vkBindBufferMemory");
    }
    const VkMemoryPropertyFlags mappable = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    if ((dev->phys->memory.memoryTypes[type].propertyFlags & mappable) == mappable) {
        if (dev->fn.vkMapMemory(dev->handle, b->memory, 0, VK_WHOLE_SIZE, 0, &b->mapped) != VK_SUCCESS)
            b->mapped = nullptr;  // fine: the staging path serves
    }
    b->id = c.next_id++;
    try {
        dev->buffers.push_back(b);
    } catch (...) {
        destroy(*dev, b);
        return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "out of memory");
    }
    *out = b;
    return PLINTH_OK;
}

void buffer_free(plinth_buffer b) {
    if (!b) return;
    context& c = ctx();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (!b->dev) {  // its device was torn down already (release_all_buffers): only the handle is left
        delete b;
        return;
    }
    free_buffer(*b->dev, b);
}

void free_buffer(device& dev, plinth_buffer_s* b) {
    auto it = std::find(dev.buffers.begin(), dev.buffers.end(), b);
    if (it == dev.buffers.end()) return;  // already released (device teardown)
    dev.buffers.erase(it);
    destroy(dev, b);
}

uint64_t buffer_size(plinth_buffer b) { return b ? b->size : 0; }

void* buffer_host_ptr(plinth_buffer) { return nullptr; }

plinth_status buffer_upload(plinth_buffer b, uint64_t offset, const void* src, uint64_t size, plinth_message* err) {
    if (!b || !b->dev || !in_range(b, offset, size))
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "upload of %llu bytes at offset %llu is out of range",
                    (unsigned long long)size, (unsigned long long)offset);
    if (size == 0) return PLINTH_OK;
    if (!src) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "upload from a NULL pointer");
    context& c = ctx();
    std::lock_guard<std::mutex> lock(c.mutex);
    // Every graph has finished when its graph_compute returned, so the memory is idle here.
    if (b->mapped && !c.always_stage) {
        std::memcpy(static_cast<char*>(b->mapped) + offset, src, size);
        return PLINTH_OK;
    }
    return staged_copy(b, offset, const_cast<void*>(src), size, true, err);
}

plinth_status buffer_download(plinth_buffer b, uint64_t offset, void* dst, uint64_t size, plinth_message* err) {
    if (!b || !b->dev || !in_range(b, offset, size))
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "download of %llu bytes at offset %llu is out of range",
                    (unsigned long long)size, (unsigned long long)offset);
    if (size == 0) return PLINTH_OK;
    if (!dst) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "download to a NULL pointer");
    std::lock_guard<std::mutex> lock(ctx().mutex);
    return read_buffer(b, offset, dst, size, err);
}

plinth_status read_buffer(plinth_buffer_s* b, uint64_t offset, void* dst, uint64_t size, plinth_message* err) {
    if (b->mapped && !ctx().always_stage) {
        std::memcpy(dst, static_cast<const char*>(b->mapped) + offset, size);
        return PLINTH_OK;
    }
    return staged_copy(b, offset, dst, size, false, err);
}

void release_all_buffers(device& dev) {
    for (plinth_buffer_s* b : dev.buffers) {
        if (b->mapped) dev.fn.vkUnmapMemory(dev.handle, b->memory);
        if (b->buffer) dev.fn.vkDestroyBuffer(dev.handle, b->buffer, nullptr);
        if (b->memory) dev.fn.vkFreeMemory(dev.handle, b->memory, nullptr);
        // The handle itself stays allocated (the host may still hold it); buffer_free ignores it.
        b->buffer = VK_NULL_HANDLE;
        b->memory = VK_NULL_HANDLE;
        b->mapped = nullptr;
        b->dev = nullptr;
    }
    dev.buffers.clear();
}

}  // namespace plinth::vk
