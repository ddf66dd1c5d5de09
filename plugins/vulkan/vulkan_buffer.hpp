#pragma once
// Device buffers: one VkBuffer with its own device-local memory each. Uploads and downloads go
// through a host-visible staging buffer and a copy on the queue; where the device-local memory is
// also host-visible and coherent (lavapipe, many integrated GPUs) it is mapped once and copied
// directly instead (set_option("staging", "always") forces the staging path, for tests).
#include "vulkan_device.hpp"

// The opaque handle type of the ABI, defined here for this backend.
struct plinth_buffer_s {
    plinth::vk::device* dev;
    VkBuffer buffer;
    VkDeviceMemory memory;
    uint64_t size;        // as asked for
    uint64_t vk_size;     // the VkBuffer's size: `size` rounded up to 256 bytes
    void* mapped;         // non-null when the memory is host-visible and coherent
    uint64_t id;          // unique per allocation (descriptor-set cache keys)
};

namespace plinth::vk {

plinth_status buffer_alloc(uint32_t device, uint64_t size, plinth_buffer* out, plinth_message* err);
void buffer_free(plinth_buffer buffer);
uint64_t buffer_size(plinth_buffer buffer);
void* buffer_host_ptr(plinth_buffer buffer);
plinth_status buffer_upload(plinth_buffer buffer, uint64_t offset, const void* src, uint64_t size, plinth_message* err);
plinth_status buffer_download(plinth_buffer buffer, uint64_t offset, void* dst, uint64_t size, plinth_message* err);

// buffer_alloc / buffer_free for a device in hand, the lock already held (the compute scratch).
plinth_status allocate_buffer(device& dev, uint64_t size, plinth_buffer_s** out, plinth_message* err);
void free_buffer(device& dev, plinth_buffer_s* b);

// buffer_download with the lock already held (ROPE's frequency factors, read while planning a graph).
plinth_status read_buffer(plinth_buffer_s* b, uint64_t offset, void* dst, uint64_t size, plinth_message* err);

// Frees every buffer still alive on `dev` (device teardown). Caller holds the lock.
void release_all_buffers(device& dev);

}  // namespace plinth::vk
