#pragma once
// Host-memory buffers: owned (aligned allocation) or wrapping caller memory such as an mmap.
#include <plinth/plugin_api.h>

#include <memory>

#include "interleaved_weights.hpp"

// The opaque handle type of the ABI, defined here for this backend (the compute code reads a
// tensor's address as data + offset).
struct plinth_buffer_s {
    void* data;
    uint64_t size;
    bool owned;  // false when wrapping caller memory (e.g. the mmapped model file)
    // A model's weights (buffer_wrap_weights): the kernels' own copies of its matrices; else null.
    std::unique_ptr<plinth::cpu::interleaved_weights> interleaved = nullptr;
};

namespace plinth::cpu {

inline constexpr uint64_t buffer_alignment = 64;  // one cache line, and enough for AVX-512 loads

plinth_status buffer_alloc(uint32_t device, uint64_t size, plinth_buffer* out, plinth_message* err);
plinth_status buffer_wrap_host(uint32_t device, void* host, uint64_t size, plinth_buffer* out, plinth_message* err);
plinth_status buffer_wrap_weights(uint32_t device, const void* host, uint64_t size, plinth_buffer* out, plinth_message* err);
void buffer_free(plinth_buffer buffer);
uint64_t buffer_size(plinth_buffer buffer);
void* buffer_host_ptr(plinth_buffer buffer);
plinth_status buffer_upload(plinth_buffer buffer, uint64_t offset, const void* src, uint64_t size, plinth_message* err);
plinth_status buffer_download(plinth_buffer buffer, uint64_t offset, void* dst, uint64_t size, plinth_message* err);

}  // namespace plinth::cpu
