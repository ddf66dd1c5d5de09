#pragma once
// The example device's memory: plain host allocations standing in for a device's own memory, so
// that the host moves data in and out through buffer_upload / buffer_download as it would for a
// GPU. The device offers `some_option` MiB (the plugin's one option) and refuses allocations past it.
#include <plinth/plugin_api.h>

#include <cstdint>

struct plinth_buffer_s {
    char* data = nullptr;
    uint64_t size = 0;
};

namespace example {

constexpr uint64_t buffer_alignment = 64;

// The memory the device offers, in bytes (some_option MiB), and how much is in use.
uint64_t memory_total();
uint64_t memory_used();
void set_memory_mib(int64_t mib);

plinth_status buffer_alloc(uint32_t device, uint64_t size, plinth_buffer* out, plinth_message* err);
void buffer_free(plinth_buffer buffer);
uint64_t buffer_size(plinth_buffer buffer);
plinth_status buffer_upload(plinth_buffer buffer, uint64_t offset, const void* src, uint64_t size, plinth_message* err);
plinth_status buffer_download(plinth_buffer buffer, uint64_t offset, void* dst, uint64_t size, plinth_message* err);

// Writes a printf-style message into err (which may be null) and returns `status`.
plinth_status fail(plinth_message* err, plinth_status status, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

}  // namespace example
