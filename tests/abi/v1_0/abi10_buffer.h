/* The abi10 device's buffers: host memory that stands in for device memory, reached by the host
 * only through upload and download (no host pointer, no wrapping), as a GPU's would be. */
#ifndef ABI10_BUFFER_H
#define ABI10_BUFFER_H

#include <plinth/plugin_api.h>

#include <stdint.h>

struct plinth_buffer_s {
    uint64_t size;
    unsigned char* bytes;
};

/* Every allocation starts at a multiple of this (device_info reports it). */
#define ABI10_BUFFER_ALIGNMENT 64u

plinth_status abi10_buffer_alloc(uint32_t device, uint64_t size, plinth_buffer* out, plinth_message* err);
void abi10_buffer_free(plinth_buffer buffer);
uint64_t abi10_buffer_size(plinth_buffer buffer);
/* Always NULL: the device does not claim PLINTH_BUFFER_HOST_VISIBLE. */
void* abi10_buffer_host_ptr(plinth_buffer buffer);
plinth_status abi10_buffer_upload(plinth_buffer buffer, uint64_t offset, const void* src, uint64_t size,
                                  plinth_message* err);
plinth_status abi10_buffer_download(plinth_buffer buffer, uint64_t offset, void* dst, uint64_t size,
                                    plinth_message* err);

/* 1 when `buffer` is a live buffer of this plugin. Looked up, never dereferenced first, so a
 * foreign or freed handle in a graph is refused instead of read. */
int abi10_buffer_is_live(plinth_buffer buffer);
/* Frees every buffer still live (shutdown). */
void abi10_buffer_free_all(void);

#endif /* ABI10_BUFFER_H */
