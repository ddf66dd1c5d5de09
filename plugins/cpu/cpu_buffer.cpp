#include "cpu_buffer.hpp"

#include "cpu_device.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace plinth::cpu {
namespace {

plinth_status fail(plinth_message* err, plinth_status status, const char* fmt, unsigned long long a,
                   unsigned long long b = 0) {
    if (err) std::snprintf(err->text, sizeof(err->text), fmt, a, b);
    return status;
}

bool in_range(const plinth_buffer_s* b, uint64_t offset, uint64_t size) {
    return offset <= b->size && size <= b->size - offset;
}

}  // namespace

plinth_status buffer_alloc(uint32_t device, uint64_t size, plinth_buffer* out, plinth_message* err) {
    if (device != 0) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "no CPU device %llu", device);
    // Refuse what cannot fit instead of letting the OS overcommit and kill the process later.
    const uint64_t total = memory_total_bytes();
    if (total != 0 && size > total)
        return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "cannot allocate %llu bytes: the machine has %llu", size, total);
    const uint64_t rounded = (size + buffer_alignment - 1) / buffer_alignment * buffer_alignment;
    void* data = rounded ? std::aligned_alloc(buffer_alignment, rounded) : nullptr;
    if (rounded && !data) return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "cannot allocate %llu bytes", size);
    *out = new (std::nothrow) plinth_buffer_s{data, size, true};
    if (!*out) {
        std::free(data);
        return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "cannot allocate a buffer handle", 0);
    }
    return PLINTH_OK;
}

plinth_status buffer_wrap_host(uint32_t device, void* host, uint64_t size, plinth_buffer* out, plinth_message* err) {
    if (device != 0) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "no CPU device %llu", device);
    if (host == nullptr && size != 0) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "null host pointer", 0);
    *out = new (std::nothrow) plinth_buffer_s{host, size, false};
    return *out ? PLINTH_OK : fail(err, PLINTH_ERR_OUT_OF_MEMORY, "cannot allocate a buffer handle", 0);
}

plinth_status buffer_wrap_weights(uint32_t device, const void* host, uint64_t size, plinth_buffer* out, plinth_message* err) {
    if (plinth_status st = buffer_wrap_host(device, const_cast<void*>(host), size, out, err); st != PLINTH_OK) return st;
    (*out)->interleaved.reset(new (std::nothrow) interleaved_weights);
    if ((*out)->interleaved) return PLINTH_OK;
    buffer_free(*out);
    *out = nullptr;
    return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "cannot allocate a buffer handle", 0);
}

void buffer_free(plinth_buffer buffer) {
    if (!buffer) return;
    if (buffer->owned) std::free(buffer->data);
    delete buffer;
}

uint64_t buffer_size(plinth_buffer buffer) { return buffer ? buffer->size : 0; }

void* buffer_host_ptr(plinth_buffer buffer) { return buffer ? buffer->data : nullptr; }

plinth_status buffer_upload(plinth_buffer buffer, uint64_t offset, const void* src, uint64_t size, plinth_message* err) {
    if (!buffer || !in_range(buffer, offset, size))
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "upload of %llu bytes at offset %llu is out of range", size, offset);
    if (buffer->interleaved)  // buffer_wrap_weights: a read-only mapping that does not change
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "cannot upload %llu bytes into a buffer of mapped weights (read-only)", size);
    if (size) std::memcpy(static_cast<char*>(buffer->data) + offset, src, size);
    return PLINTH_OK;
}

plinth_status buffer_download(plinth_buffer buffer, uint64_t offset, void* dst, uint64_t size, plinth_message* err) {
    if (!buffer || !in_range(buffer, offset, size))
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "download of %llu bytes at offset %llu is out of range", size, offset);
    if (size) std::memcpy(dst, static_cast<const char*>(buffer->data) + offset, size);
    return PLINTH_OK;
}

}  // namespace plinth::cpu
