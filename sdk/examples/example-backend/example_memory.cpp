#include "example_memory.hpp"

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace example {

namespace {
std::atomic<uint64_t> total{uint64_t(256) << 20};
std::atomic<uint64_t> used{0};
}  // namespace

uint64_t memory_total() { return total.load(); }
uint64_t memory_used() { return used.load(); }
void set_memory_mib(int64_t mib) { total = uint64_t(mib) << 20; }

plinth_status fail(plinth_message* err, plinth_status status, const char* fmt, ...) {
    if (err) {
        va_list args;
        va_start(args, fmt);
        std::vsnprintf(err->text, sizeof(err->text), fmt, args);
        va_end(args);
    }
    return status;
}

plinth_status buffer_alloc(uint32_t device, uint64_t size, plinth_buffer* out, plinth_message* err) {
    if (device != 0) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "no example device %u (there is one: 0)", device);
    if (!out) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "buffer_alloc: out is NULL");
    if (size > memory_total() - std::min(memory_total(), memory_used()))
        return fail(err, PLINTH_ERR_OUT_OF_MEMORY,
                    "the example device has %llu of its %llu MiB free (backends.example.some_option); %llu bytes do not fit",
                    (unsigned long long)((memory_total() - std::min(memory_total(), memory_used())) >> 20),
                    (unsigned long long)(memory_total() >> 20), (unsigned long long)size);
    const uint64_t rounded = (size + buffer_alignment - 1) / buffer_alignment * buffer_alignment;
    void* data = std::aligned_alloc(buffer_alignment, rounded ? rounded : buffer_alignment);
    if (!data) return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "the example device could not allocate %llu bytes", (unsigned long long)size);
    auto* b = new (std::nothrow) plinth_buffer_s{static_cast<char*>(data), size};
    if (!b) {
        std::free(data);
        return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    used += size;
    *out = b;
    return PLINTH_OK;
}

void buffer_free(plinth_buffer buffer) {
    if (!buffer) return;
    used -= buffer->size;
    std::free(buffer->data);
    delete buffer;
}

uint64_t buffer_size(plinth_buffer buffer) { return buffer ? buffer->size : 0; }

namespace {
plinth_status check_range(plinth_buffer buffer, uint64_t offset, const void* host, uint64_t size, const char* what, plinth_message* err) {
    if (!buffer || (!host && size)) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "%s: a NULL buffer or host pointer", what);
    if (offset > buffer->size || size > buffer->size - offset)
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "%s: %llu bytes at offset %llu pass the end of a %llu-byte buffer", what,
                    (unsigned long long)size, (unsigned long long)offset, (unsigned long long)buffer->size);
    return PLINTH_OK;
}
}  // namespace

plinth_status buffer_upload(plinth_buffer buffer, uint64_t offset, const void* src, uint64_t size, plinth_message* err) {
    const plinth_status st = check_range(buffer, offset, src, size, "buffer_upload", err);
    if (st == PLINTH_OK && size) std::memcpy(buffer->data + offset, src, size);
    return st;
}

plinth_status buffer_download(plinth_buffer buffer, uint64_t offset, void* dst, uint64_t size, plinth_message* err) {
    const plinth_status st = check_range(buffer, offset, dst, size, "buffer_download", err);
    if (st == PLINTH_OK && size) std::memcpy(dst, buffer->data + offset, size);
    return st;
}

}  // namespace example
