#pragma once
// Device buffers: one cudaMalloc each. Uploads and downloads go through the device's pinned staging
// buffer, as asynchronous copies on its stream, and are finished when they return.
#include "cuda_device.hpp"

// The opaque handle type of the ABI, defined here for this backend.
struct plinth_buffer_s {
    plinth::cuda::device* dev;  // null once the device was torn down (only the handle is left)
    void* ptr;                  // device memory
    uint64_t size;              // as asked for
    uint64_t id;                // unique per allocation (never reused, unlike the address)
    uint64_t version;           // bumped by every upload and every graph that writes into it
};

namespace plinth::cuda {

plinth_status buffer_alloc(uint32_t device, uint64_t size, plinth_buffer* out, plinth_message* err);
void buffer_free(plinth_buffer buffer);
uint64_t buffer_size(plinth_buffer buffer);
void* buffer_host_ptr(plinth_buffer buffer);
plinth_status buffer_upload(plinth_buffer buffer, uint64_t offset, const void* src, uint64_t size, plinth_message* err);
plinth_status buffer_download(plinth_buffer buffer, uint64_t offset, void* dst, uint64_t size, plinth_message* err);

// buffer_download with the lock already held and the device current (ROPE's frequency factors,
// read while preparing a graph).
plinth_status read_buffer(const plinth_buffer_s* b, uint64_t offset, void* dst, uint64_t size, plinth_message* err);

// Frees every buffer still alive on `dev` (device teardown). Caller holds the lock.
void release_all_buffers(device& dev);

}  // namespace plinth::cuda
