#include "abi10_buffer.h"

#include "abi10_message.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The live buffers, unordered. A model has tens to hundreds, so a linear search is cheap. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static plinth_buffer* registry = NULL;
static size_t registry_count = 0, registry_capacity = 0;

static int registry_add(plinth_buffer buffer) {
    int added = 0;
    pthread_mutex_lock(&registry_lock);
    if (registry_count == registry_capacity) {
        const size_t capacity = registry_capacity ? registry_capacity * 2 : 64;
        plinth_buffer* grown = realloc(registry, capacity * sizeof(*grown));
        if (grown != NULL) {
            registry = grown;
            registry_capacity = capacity;
        }
    }
    if (registry_count < registry_capacity) {
        registry[registry_count++] = buffer;
        added = 1;
    }
    pthread_mutex_unlock(&registry_lock);
    return added;
}

/* Removes `buffer`; 1 when it was there. */
static int registry_remove(plinth_buffer buffer) {
    int removed = 0;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < registry_count; ++i)
        if (registry[i] == buffer) {
            registry[i] = registry[--registry_count];
            removed = 1;
            break;
        }
    pthread_mutex_unlock(&registry_lock);
    return removed;
}

int abi10_buffer_is_live(plinth_buffer buffer) {
    int live = 0;
    if (buffer == NULL) return 0;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < registry_count && !live; ++i) live = registry[i] == buffer;
    pthread_mutex_unlock(&registry_lock);
    return live;
}

plinth_status abi10_buffer_alloc(uint32_t device, uint64_t size, plinth_buffer* out, plinth_message* err) {
    if (out == NULL) return abi10_fail(err, PLINTH_ERR_INVALID_ARGUMENT, "buffer_alloc: no place for the handle");
    *out = NULL;
    if (device != 0) return abi10_fail(err, PLINTH_ERR_INVALID_ARGUMENT, "abi10 has no device %u", device);
    /* aligned_alloc wants a size that is a multiple of the alignment (and not 0). */
    const uint64_t rounded = (size + ABI10_BUFFER_ALIGNMENT - 1) / ABI10_BUFFER_ALIGNMENT * ABI10_BUFFER_ALIGNMENT;
    if (size > SIZE_MAX - ABI10_BUFFER_ALIGNMENT || rounded < size)
        return abi10_fail(err, PLINTH_ERR_OUT_OF_MEMORY, "abi10: a buffer of %llu bytes is too large",
                          (unsigned long long)size);
    struct plinth_buffer_s* b = malloc(sizeof(*b));
    if (b == NULL) return abi10_fail(err, PLINTH_ERR_OUT_OF_MEMORY, "abi10: out of memory");
    b->size = size;
    b->bytes = aligned_alloc(ABI10_BUFFER_ALIGNMENT, rounded ? (size_t)rounded : ABI10_BUFFER_ALIGNMENT);
    if (b->bytes == NULL || !registry_add(b)) {
        free(b->bytes);
        free(b);
        return abi10_fail(err, PLINTH_ERR_OUT_OF_MEMORY, "abi10: out of memory for a buffer of %llu bytes",
                          (unsigned long long)size);
    }
    *out = b;
    return PLINTH_OK;
}

void abi10_buffer_free(plinth_buffer buffer) {
    if (!registry_remove(buffer)) return; /* NULL, foreign or freed already: nothing of ours */
    free(buffer->bytes);
    free(buffer);
}

void abi10_buffer_free_all(void) {
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < registry_count; ++i) {
        free(registry[i]->bytes);
        free(registry[i]);
    }
    free(registry);
    registry = NULL;
    registry_count = registry_capacity = 0;
    pthread_mutex_unlock(&registry_lock);
}

uint64_t abi10_buffer_size(plinth_buffer buffer) { return abi10_buffer_is_live(buffer) ? buffer->size : 0; }

void* abi10_buffer_host_ptr(plinth_buffer buffer) {
    (void)buffer;
    return NULL;
}

/* Checks a transfer of `size` bytes at `offset` of `buffer` (without overflow). */
static plinth_status check_range(const char* what, plinth_buffer buffer, uint64_t offset, const void* host, uint64_t size,
                                 plinth_message* err) {
    if (!abi10_buffer_is_live(buffer))
        return abi10_fail(err, PLINTH_ERR_INVALID_ARGUMENT, "%s: not a live abi10 buffer", what);
    if (offset > buffer->size || size > buffer->size - offset)
        return abi10_fail(err, PLINTH_ERR_INVALID_ARGUMENT, "%s: %llu bytes at offset %llu run past the %llu-byte buffer",
                          what, (unsigned long long)size, (unsigned long long)offset,
                          (unsigned long long)buffer->size);
    if (size > 0 && host == NULL) return abi10_fail(err, PLINTH_ERR_INVALID_ARGUMENT, "%s: no host memory given", what);
    return PLINTH_OK;
}

plinth_status abi10_buffer_upload(plinth_buffer buffer, uint64_t offset, const void* src, uint64_t size,
                                  plinth_message* err) {
    const plinth_status st = check_range("buffer_upload", buffer, offset, src, size, err);
    if (st != PLINTH_OK) return st;
    if (size > 0) memcpy(buffer->bytes + offset, src, (size_t)size);
    return PLINTH_OK;
}

plinth_status abi10_buffer_download(plinth_buffer buffer, uint64_t offset, void* dst, uint64_t size,
                                    plinth_message* err) {
    const plinth_status st = check_range("buffer_download", buffer, offset, dst, size, err);
    if (st != PLINTH_OK) return st;
    if (size > 0) memcpy(dst, buffer->bytes + offset, (size_t)size);
    return PLINTH_OK;
}
